"""Rules for text and JSON from outside (leads, CRMs, people) that both stores keep alike.

PostgreSQL refuses what SQLite would store: a NUL character in any text, and
NaN or infinities in JSON. So both refuse them here, at validation, with the
field named; nothing reaches either store that only one of them would take.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import AfterValidator

MAX_JSON_DEPTH = 32


def no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain the NUL character (U+0000)")
    return value


# Text that both stores hold the same way.
Text = Annotated[str, AfterValidator(no_nul)]


def json_problem(value: Any, depth: int = 0) -> str | None:
    """Why `value` cannot be stored as JSON on both stores, or None."""
    if depth > MAX_JSON_DEPTH:
        return f"nests deeper than {MAX_JSON_DEPTH} levels"
    if isinstance(value, str):
        return "contains the NUL character (U+0000)" if "\x00" in value else None
    if isinstance(value, float) and not math.isfinite(value):
        return "contains a number JSON cannot hold (NaN, Infinity or one too large)"
    if isinstance(value, dict):
        for key, item in value.items():
            problem = json_problem(key, depth + 1) or json_problem(item, depth + 1)
            if problem:
                return problem
    elif isinstance(value, list):
        for item in value:
            problem = json_problem(item, depth + 1)
            if problem:
                return problem
    return None
