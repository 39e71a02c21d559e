"""Human durations as written in app.yaml: "24h", "90m", "1d12h", "45s"."""

import re
from datetime import timedelta

_PART = re.compile(r"(\d+)\s*([dhms])")
_WHOLE = re.compile(r"^\s*(?:\d+\s*[dhms]\s*)+$")
_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


def parse_duration(text: str | int | float | timedelta) -> timedelta:
    """Parse "24h"-style text; bare numbers are seconds. ValueError names the accepted form."""
    if isinstance(text, timedelta):
        return text
    if isinstance(text, bool):
        raise ValueError("expected a duration such as 24h, 90m or 1d")
    if isinstance(text, int | float):
        return timedelta(seconds=text)
    if not isinstance(text, str) or not _WHOLE.match(text.lower()):
        raise ValueError(f"{text!r} is not a duration; write it like 24h, 90m, 1d12h or 45s")
    seconds = sum(int(n) * _UNIT_SECONDS[unit] for n, unit in _PART.findall(text.lower()))
    return timedelta(seconds=seconds)


def format_duration(value: timedelta) -> str:
    """The inverse of parse_duration, for messages: 1d4h, 45m, 0m."""
    total = int(value.total_seconds())
    sign = "-" if total < 0 else ""
    total = abs(total)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = [f"{n}{u}" for n, u in ((days, "d"), (hours, "h"), (minutes, "m")) if n]
    return sign + ("".join(parts) or "0m")
