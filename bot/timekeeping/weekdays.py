"""Weekday names as app.yaml writes them, Monday first (Python's weekday() order)."""

from typing import Literal, get_args

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = get_args(Weekday)
