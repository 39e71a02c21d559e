"""Cell values as CRM exports write them, turned into what LeadIn and ingest expect.

A value these rules cannot read is passed on unchanged, so that LeadIn's own
validation names the field and the problem on the invalid line.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo

_GROUPED = re.compile(r"\d{1,3}(?:[,.\u00a0\u202f' ]\d{3})+")
_TRAILING_ZERO = re.compile(r"(\d+)[.,]0+")  # Excel's 1200.0
_THOUSANDS = re.compile(r"(\d+(?:\.\d+)?)\s*k", re.IGNORECASE)
_RANGE = re.compile(r"(\S+?)\s*(?:-|\u2013|\u2014|to)\s*(\S+)", re.IGNORECASE)
_AT_LEAST = re.compile(r"(\S+?)\s*\+|(?:more than|over|>)\s*(\S+)", re.IGNORECASE)
_SCORE_GROUPED = re.compile(r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_SCORE_DECIMAL_COMMA = re.compile(r"-?\d+,\d+")
_YEAR_COMMA = re.compile(r"(\d{4}),\s+")
_EPOCH_MS = re.compile(r"\d{13}")

# The forms HubSpot and Salesforce exports write dates in (Salesforce follows
# the exporting user's locale: US month/day/year, or day.month.year), besides
# ISO 8601, which datetime.fromisoformat reads first.
DATE_FORMATS = (
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %I:%M %p",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y",
    "%m/%d/%y %I:%M %p",
    "%m/%d/%y",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y",
)
DATE_EXAMPLES = "2026-10-03 14:22, 10/3/2026 2:22 PM, 03.10.2026 14:22 or ISO 8601"


def whole_number(text: str) -> int | None:
    """'1200', '1,200', '1.200', '1 200', '1200.0', '1.2k'; None for anything else."""
    value = text.strip()
    if value.isdigit():
        return int(value)
    if _GROUPED.fullmatch(value):
        return int("".join(ch for ch in value if ch.isdigit()))
    if match := _TRAILING_ZERO.fullmatch(value):
        return int(match[1])
    if match := _THOUSANDS.fullmatch(value):
        return round(float(match[1]) * 1000)
    return None


def employees(text: str) -> tuple[int | str, bool]:
    """A headcount and whether it was reduced from a range or a bound.

    A range ("51-200", HubSpot's "1000+") becomes its lower bound: the one
    number the export vouches for. The caller keeps the original text in
    `fields` so that nothing is lost.
    """
    value = text.strip()
    exact = whole_number(value)
    if exact is not None:
        return exact, False
    if (match := _RANGE.fullmatch(value)) and whole_number(match[2]) is not None:
        low = whole_number(match[1])
        if low is not None:
            return low, True
    if match := _AT_LEAST.fullmatch(value):
        low = whole_number(match[1] or match[2])
        if low is not None:
            return low, True
    return value, False


def score(text: str) -> str:
    """'1,234.5' → '1234.5'; a decimal comma ('85,5') → '85.5'; LeadIn parses the rest."""
    value = text.strip()
    if _SCORE_GROUPED.fullmatch(value):
        return value.replace(",", "")
    if _SCORE_DECIMAL_COMMA.fullmatch(value):
        return value.replace(",", ".")
    return value


def arrival(text: str, zone: tzinfo, now: datetime) -> datetime:
    """When the lead arrived, in UTC; ValueError with a message for the invalid line.

    A time without an offset is read in the team's time zone: HubSpot and
    Salesforce write exports in the account's or user's zone, not in UTC.
    """
    value = _YEAR_COMMA.sub(r"\1 ", text.strip())
    parsed = _parse(value)
    if parsed is None:
        hint = ""
        if re.match(r"(1[3-9]|[23]\d)/\d{1,2}/\d{2,4}", value):
            hint = " (dates with slashes are read month/day/year)"
        raise ValueError(f"{text.strip()!r} is not a date we can read{hint}; use {DATE_EXAMPLES}")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    parsed = parsed.astimezone(UTC)
    if parsed > now:
        raise ValueError(f"{text.strip()!r} is in the future")
    return parsed


def _parse(value: str) -> datetime | None:
    if _EPOCH_MS.fullmatch(value):  # HubSpot's API form, found in some re-exports
        return datetime.fromtimestamp(int(value) / 1000, UTC)
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        pass
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(value, pattern)
        except ValueError:
            continue
    return None
