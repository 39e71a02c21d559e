"""Which text encoding a file is in: UTF-8 (with or without BOM), UTF-16 with BOM, or Windows-1252.

No detection library: the project does not depend on one (charset-normalizer
is not installed here), and the question is narrow. A byte-order mark
decides; otherwise a file that decodes as strict UTF-8 is UTF-8, because
text in a legacy 8-bit encoding almost never happens to form valid UTF-8
sequences. What is left is read as Windows-1252, the superset of Latin-1 that
Excel on Windows writes (Latin-1 puts invisible control codes where 1252 has
€, dashes and curly quotes, so 1252 is the right reading of both), unless
the bytes say it is something else, in which case we stop and ask for
--encoding instead of storing garbled names.

The whole file is read once in blocks before importing, so that a bad byte
near the end stops the import before any lead is stored, with flat memory.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

BLOCK = 1 << 20
WINDOWS_1252 = "cp1252"
# Bytes Windows-1252 leaves undefined: a file holding them is not 1252 text.
_UNDEFINED_1252 = frozenset(b"\x81\x8d\x8f\x90\x9d")
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}")
_WORD = re.compile(r"[^\W\d_]+")
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8 with BOM"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16 (little-endian, BOM)"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16 (big-endian, BOM)"),
)


class EncodingUnknown(Exception):
    """The file's encoding cannot be told apart; the message says why and what to do."""


@dataclass(frozen=True)
class Encoding:
    codec: str  # the name Python's codecs know
    label: str  # what the summary shows


def detect_encoding(path: Path, forced: str | None = None) -> Encoding:
    if forced:
        return _check_forced(path, forced)
    with path.open("rb") as handle:
        head = handle.read(4)
    for bom, codec, label in _BOMS:
        if head.startswith(bom):
            _decode_all(path, codec, label)
            return Encoding(codec, label)
    if _decodes(path, "utf-8"):
        return Encoding("utf-8", "UTF-8")
    _check_windows_1252(path)
    return Encoding(WINDOWS_1252, "Windows-1252 / Latin-1")


def _check_forced(path: Path, name: str) -> Encoding:
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        raise EncodingUnknown(f"--encoding {name}: Python knows no such encoding") from None
    if codec == "utf-8" and _starts_with(path, codecs.BOM_UTF8):
        codec = "utf-8-sig"  # the BOM is not part of the first column's name
    _decode_all(path, codec, name)
    return Encoding(codec, f"{name} (--encoding)")


def _starts_with(path: Path, prefix: bytes) -> bool:
    with path.open("rb") as handle:
        return handle.read(len(prefix)) == prefix


def _blocks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while block := handle.read(BLOCK):
            yield block


_NUL_BYTES = (
    "the file holds NUL bytes: UTF-16 without a byte-order mark, or not a text "
    "file; save it as UTF-8, or pass --encoding utf-16-le (or utf-16-be)"
)


def _decodes(path: Path, codec: str) -> bool:
    decoder = codecs.getincrementaldecoder(codec)("strict")
    try:
        for block in _blocks(path):
            if b"\x00" in block:  # valid UTF-8, but no text file holds it
                raise EncodingUnknown(_NUL_BYTES)
            decoder.decode(block)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _decode_all(path: Path, codec: str, label: str) -> None:
    decoder = codecs.getincrementaldecoder(codec)("strict")
    offset = 0
    try:
        for block in _blocks(path):
            decoder.decode(block)
            offset += len(block)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        raise EncodingUnknown(
            f"the file is not valid {label}: byte {offset + exc.start} cannot be decoded; "
            "pass --encoding with the encoding it was saved in"
        ) from None


def _check_windows_1252(path: Path) -> None:
    """Refuse what only looks like 1252: NUL bytes, undefined bytes, mixed UTF-8, other scripts."""
    utf8_sequences = stray = 0
    sample: list[str] = []
    for block in _blocks(path):
        if b"\x00" in block:
            raise EncodingUnknown(_NUL_BYTES)
        if _UNDEFINED_1252.intersection(block):
            raise EncodingUnknown(
                "the file is neither UTF-8 nor Windows-1252/Latin-1; "
                "pass --encoding with the encoding it was saved in"
            )
        utf8_sequences += len(_UTF8_SEQUENCE.findall(block))
        stray += sum(1 for byte in block if byte >= 0x80)
        if len(sample) < 4:
            sample.append(block.decode(WINDOWS_1252))
    # A stray Latin-1 pair that happens to look like UTF-8 is rare; many are a mixed file.
    if utf8_sequences and utf8_sequences * 2 * 10 >= stray:
        raise EncodingUnknown(
            "the file mixes UTF-8 with another encoding (some lines decode as UTF-8, some "
            "do not); re-save it as UTF-8, or pass --encoding to read all of it one way"
        )
    if _looks_like_another_script("".join(sample)):
        raise EncodingUnknown(
            "the file is not UTF-8 and its accented words do not look like Latin-1 text "
            "(perhaps Windows-1251 or another code page); pass --encoding, e.g. --encoding cp1251"
        )


def _looks_like_another_script(text: str) -> bool:
    """Whole words of accented letters: a Cyrillic or Greek code page read as 1252.

    In German, French or Spanish names an accented letter sits among plain
    ones ("Müller", "François"); a word made mostly of them is another script.
    """
    words = [w for w in _WORD.findall(text) if any(ord(ch) > 0x7F for ch in w)]
    if not words:
        return False
    foreign = sum(
        1 for w in words if len(w) >= 3 and sum(ord(ch) > 0x7F for ch in w) / len(w) > 0.7
    )
    return foreign * 2 > len(words)
