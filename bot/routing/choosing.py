"""Who is next in a pool: each method's choice, given the rotation state read from the database.

Fairness is count-based: every member has a count of leads given to them by the
pool. Round robin gives the next lead to the lowest count; weighted to the lowest
count per unit of weight (so shares follow the weights); load balanced to the
fewest undecided leads. Ties go to the first member after the last one chosen,
in the pool's order, so equal counts rotate. A member who was not available at
the previous decision (away, off hours, new) is calibrated to the pool's average
before choosing, so returning from a holiday does not bring a flood of leads.

Pure functions: the caller reads the state, passes it in and stores the result.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.settings.routing import Cap, PoolMethod


@dataclass(frozen=True)
class Rotation:
    """A pool's state as stored: counts, who took part in the last decision, the last choice."""

    counts: Mapping[str, int]
    present: frozenset[str]
    last: str | None = None


def _rotation_order(members: Sequence[str], last: str | None) -> list[str]:
    """Members in pool order, starting with the one after `last`."""
    if last not in members:
        return list(members)
    at = members.index(last) + 1
    return [*members[at:], *members[:at]]


def weight_of(weights: Mapping[str, int], user: str) -> int:
    return weights.get(user, 1)


def calibrate(
    available: Sequence[str], rotation: Rotation, weights: Mapping[str, int]
) -> dict[str, int]:
    """Counts for choosing now: a returning or new member starts at the pool's average.

    The average is over the members who were present at the last decision too (per
    unit of weight); a member's count never goes down.
    """
    counts = {user: rotation.counts.get(user, 0) for user in available}
    steady = [u for u in available if u in rotation.present and u in rotation.counts]
    if not steady:
        return counts
    per_weight = sum(counts[u] / weight_of(weights, u) for u in steady) / len(steady)
    for user in available:
        if user not in steady:
            floor = math.floor(per_weight * weight_of(weights, user))
            counts[user] = max(counts[user], floor)
    return counts


def next_member(
    method: PoolMethod,
    available: Sequence[str],
    counts: Mapping[str, int],
    *,
    last: str | None = None,
    weights: Mapping[str, int] | None = None,
    open_leads: Mapping[str, int] | None = None,
) -> str | None:
    """The member who gets the next lead, or None when nobody is available.

    `available` is in pool order; `counts` already calibrated (see `calibrate`).
    """
    if not available:
        return None
    order = _rotation_order(list(available), last)
    position = {user: i for i, user in enumerate(order)}
    weights = weights or {}
    if method == "weighted":
        # The member whose share would be lowest after taking this lead.
        def key(u: str) -> tuple[float, int]:
            return ((counts.get(u, 0) + 1) / weight_of(weights, u), position[u])

        return min(order, key=key)
    if method == "load_balanced":
        load = open_leads or {}
        return min(order, key=lambda u: (load.get(u, 0), counts.get(u, 0), position[u]))
    return min(order, key=lambda u: (counts.get(u, 0), position[u]))


def cap_reached(cap: Cap, *, today: int, this_week: int) -> bool:
    """Whether a member given `today` leads today and `this_week` this week may get no more."""
    return (cap.day is not None and today >= cap.day) or (
        cap.week is not None and this_week >= cap.week
    )
