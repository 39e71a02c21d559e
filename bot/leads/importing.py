"""Reading leads from CSV or JSON Lines files for `handoff import`."""

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from storage.lead_input import LeadIn

LEAD_COLUMNS = set(LeadIn.model_fields) - {"fields"}


@dataclass(frozen=True)
class FileRow:
    line: int
    data: dict[str, Any] | None
    problem: str | None = None


def detect_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    raise ValueError(
        f"{path.name}: cannot tell the format from the extension; use --format csv|jsonl"
    )


def read_rows(path: Path, file_format: str) -> Iterator[FileRow]:
    if file_format == "csv":
        yield from _read_csv(path)
    else:
        yield from _read_jsonl(path)


def _read_csv(path: Path) -> Iterator[FileRow]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        for row in reader:
            data: dict[str, Any] = {}
            extra: dict[str, Any] = {}
            for column, value in row.items():
                if column is None:  # more cells than headers
                    return_problem = "has more cells than the header has columns"
                    yield FileRow(reader.line_num, None, return_problem)
                    break
                key = column.strip().lower()
                cell = value.strip() if isinstance(value, str) else value
                if cell in ("", None):
                    continue
                (data if key in LEAD_COLUMNS else extra)[key if key in LEAD_COLUMNS else column] = (
                    cell
                )
            else:
                if extra:
                    data["fields"] = extra
                yield FileRow(reader.line_num, data)


def _read_jsonl(path: Path) -> Iterator[FileRow]:
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                yield FileRow(number, None, f"is not valid JSON ({exc.msg})")
                continue
            if not isinstance(data, dict):
                yield FileRow(number, None, "must be a JSON object")
                continue
            yield FileRow(number, data)
