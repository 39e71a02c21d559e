"""How every figure a person sees is written: percentages, durations, money, changes."""

from __future__ import annotations

from collections.abc import Mapping

NO_FIGURE = "\u2013"  # an en dash: "no figure", never a misleading 0%
MINUS = "\u2212"
UP, DOWN = "\u25b2", "\u25bc"


def percent(value: float | None) -> str:
    return NO_FIGURE if value is None else f"{value * 100:.0f}%"


def duration(seconds: float | None) -> str:
    """3h 20m, 2d 4h, 45m, under a minute; a dash when there is no value."""
    if seconds is None:
        return NO_FIGURE
    minutes = int(max(seconds, 0) / 60 + 0.5)  # to the nearest minute
    if minutes < 1:
        return "<1m"
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    return f"{minutes}m"


def money(cents_by_currency: Mapping[str, int]) -> str:
    """EUR 12,000 · USD 950.50, largest first; a dash for none."""
    if not cents_by_currency:
        return NO_FIGURE
    parts = []
    for currency, cents in sorted(cents_by_currency.items(), key=lambda item: (-item[1], item[0])):
        whole, fraction = divmod(cents, 100)
        amount = f"{whole:,}" if fraction == 0 else f"{whole:,}.{fraction:02d}"
        parts.append(f"{currency} {amount}")
    return " · ".join(parts)


def change(current: int, previous: int) -> str:
    """▲ 15 (+14%) against the previous period; "new" when it had none."""
    diff = current - previous
    if diff == 0:
        return "= no change"
    arrow = UP if diff > 0 else DOWN
    sign = "+" if diff > 0 else MINUS
    if previous == 0:
        return f"{arrow} {sign}{abs(diff):,} (none before)"
    return f"{arrow} {sign}{abs(diff):,} ({sign}{abs(diff) / previous * 100:.0f}%)"


def change_points(current: float | None, previous: float | None) -> str:
    """+5 pts against the previous rate; empty when either has no rate."""
    if current is None or previous is None:
        return ""
    points = round((current - previous) * 100)
    if points == 0:
        return "= no change"
    return f"{UP if points > 0 else DOWN} {'+' if points > 0 else MINUS}{abs(points)} pts"


def source_label(source: str | None) -> str:
    return source if source else "(no source)"
