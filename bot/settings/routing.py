"""The `routing:` section of app.yaml: claim (first click wins) or assign by rules and pools.

`routing.mode: claim` is today's behaviour and the default; everything else here
matters only with `mode: assign`. Cross-references (a rule's pool and tier) are
checked by `routing_problems`, which names the exact key of each problem.
"""

from __future__ import annotations

from datetime import time, timedelta
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from bot.settings.common import (
    Duration,
    People,
    SlackUserId,
    Strict,
    known_zone,
    require_unique_ids,
)
from bot.timekeeping.weekdays import Weekday

RoutingMode = Literal["claim", "assign"]
PoolMethod = Literal["round_robin", "weighted", "load_balanced"]
PoolId = Annotated[str, Field(pattern=r"^[a-z0-9_-]{1,40}$")]


class Cap(Strict):
    """How many leads one member of a pool may be given per day and per week (team time zone)."""

    day: int | None = None
    week: int | None = None

    @field_validator("day", "week")
    @classmethod
    def _at_least_one(cls, value: int | None) -> int | None:
        if value is not None and value < 1:
            raise ValueError("must be at least 1 (leave it out for no cap)")
        return value


class Pool(Strict):
    id: PoolId
    members: People
    method: PoolMethod = "round_robin"
    # `weighted`: a member's share is their weight over the sum; unlisted members weigh 1.
    weights: dict[SlackUserId, int] = Field(default_factory=dict)
    cap: Cap = Field(default_factory=Cap)
    # Who gets the lead when nobody in the pool is available (else the card falls back to Claim).
    fallback: SlackUserId | None = None

    @field_validator("weights")
    @classmethod
    def _positive_weights(cls, value: dict[str, int]) -> dict[str, int]:
        for user, weight in value.items():
            if weight < 1:
                raise ValueError(f"the weight of {user} must be at least 1 (it is {weight})")
        return value

    @model_validator(mode="after")
    def _someone(self) -> Pool:
        if not self.members.users and not self.members.usergroup:
            raise ValueError("members needs users and/or a usergroup")
        return self


class Range(Strict):
    """An inclusive range; either end may be left out."""

    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min must not be above max")
        return self

    def holds(self, value: float | None) -> bool:
        if value is None:
            return False
        return (self.min is None or value >= self.min) and (self.max is None or value <= self.max)


class Rule(Strict):
    """First match wins; a rule without conditions matches every lead (the default rule)."""

    pool: str
    # An id of `sla.tiers`; without one the lead has the plain `sla.respond_within`.
    tier: str | None = None
    country: list[str] = Field(default_factory=list)
    # Names of `routing.regions` (each a list of countries).
    region: list[str] = Field(default_factory=list)
    employees: Range | None = None
    industry: list[str] = Field(default_factory=list)
    source: list[str] = Field(default_factory=list)
    score: Range | None = None
    # Any of these words in the lead's `reason` ("demo", "pricing").
    reason: list[str] = Field(default_factory=list)

    @property
    def is_default(self) -> bool:
        return not (
            self.country
            or self.region
            or self.employees
            or self.industry
            or self.source
            or self.score
            or self.reason
        )


class Hours(Strict):
    """Working hours of reps: the weekdays and local start/end; the zone is the rep's own."""

    days: list[Weekday] = Field(
        default_factory=lambda: ["mon", "tue", "wed", "thu", "fri"], min_length=1
    )
    start: time = time(9, 0)
    end: time = time(17, 0)

    @model_validator(mode="after")
    def _start_before_end(self) -> Hours:
        if self.start >= self.end:
            raise ValueError("start must be before end")
        return self


class RepHours(Hours):
    """One rep's own hours; `timezone` overrides the time zone of their Slack profile."""

    timezone: str | None = None

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        return known_zone(value) if value is not None else None


class RoutingConfig(Strict):
    mode: RoutingMode = "claim"
    pools: list[Pool] = Field(default_factory=list)
    rules: list[Rule] = Field(default_factory=list)
    regions: dict[str, list[str]] = Field(default_factory=dict)
    # A breached lead moves on to another member at most this often, then goes to the
    # pool's fallback (or back to Claim) with an escalation.
    max_reassignments: int = Field(2, ge=0)
    # Who may hand over any lead (besides its assignee) and read /leadfeedback reps.
    managers: People = Field(default_factory=People)
    # Reps are only given leads inside working hours (in their Slack time zone);
    # null gives leads at any hour.
    working_hours: Hours | None = Field(default_factory=Hours)
    reps: dict[SlackUserId, RepHours] = Field(default_factory=dict)
    # Skip a rep whose Slack status says they are out of office (off by default).
    ooo_status: bool = False
    # A lead whose company domain had a lead accepted this recently (or has one open)
    # goes to that lead's owner; null turns sticky accounts off.
    sticky_within: Duration | None = timedelta(days=90)

    @field_validator("pools")
    @classmethod
    def _unique_pools(cls, value: list[Pool]) -> list[Pool]:
        require_unique_ids([p.id for p in value], "pool")
        return value

    def pool(self, pool_id: str) -> Pool | None:
        return next((p for p in self.pools if p.id == pool_id), None)


def routing_problems(routing: RoutingConfig, tier_ids: list[str]) -> list[tuple[str, str]]:
    """(key, message) for every reference that names nothing, and for unusable setups."""
    problems: list[tuple[str, str]] = []
    pools = [p.id for p in routing.pools]
    for index, rule in enumerate(routing.rules):
        key = f"routing.rules.{index}"
        if rule.pool not in pools:
            known = ", ".join(pools) or "none defined"
            problems.append((f"{key}.pool", f"names no pool {rule.pool!r} (pools: {known})"))
        if rule.tier is not None and rule.tier not in tier_ids:
            known = ", ".join(tier_ids) or "none defined"
            problems.append((f"{key}.tier", f"names no tier {rule.tier!r} (sla.tiers: {known})"))
        for region in rule.region:
            if region not in routing.regions:
                problems.append((f"{key}.region", f"names no region {region!r} (routing.regions)"))
        if rule.is_default and index < len(routing.rules) - 1:
            problems.append(
                (key, "has no conditions, so the rules after it can never match; put it last")
            )
    for index, pool in enumerate(routing.pools):
        for user in pool.weights:
            if pool.members.users and user not in pool.members.users and not pool.members.usergroup:
                problems.append(
                    (f"routing.pools.{index}.weights.{user}", "is not a member of the pool")
                )
    if routing.mode == "assign" and not routing.rules:
        problems.append(("routing.rules", "assign mode needs at least one rule (a default rule)"))
    return problems
