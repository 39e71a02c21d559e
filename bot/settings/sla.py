"""The `sla:` section of app.yaml: the response deadline, business hours, nudges, escalation."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Annotated

from holidays import list_supported_countries
from pydantic import AfterValidator, BeforeValidator, Field, field_validator, model_validator

from bot.settings.common import Duration, People, Strict, iso_date, known_zone
from bot.timekeeping.weekdays import Weekday


def _positive(value: timedelta) -> timedelta:
    if value <= timedelta(0):
        raise ValueError("must be longer than 0")
    return value


def _distinct_positive_offsets(value: list[timedelta]) -> list[timedelta]:
    if any(offset <= timedelta(0) for offset in value):
        raise ValueError("every offset must be longer than 0")
    # Earliest nudge (largest offset) first; a repeated offset would be one nudge anyway.
    return sorted(set(value), reverse=True)


# The deadline and nudge rules shared by `sla` and each of `sla.tiers`.
PositiveDuration = Annotated[Duration, AfterValidator(_positive)]
NudgeOffsets = Annotated[list[Duration], AfterValidator(_distinct_positive_offsets)]


class BusinessHours(Strict):
    """When the SLA clock runs; also the quiet hours for nudges outside it."""

    days: list[Weekday] = Field(
        default_factory=lambda: ["mon", "tue", "wed", "thu", "fri"], min_length=1
    )
    start: time = time(9, 0)
    end: time = time(17, 0)
    # Defaults to the team's `timezone`.
    timezone: str | None = None

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        return known_zone(value) if value is not None else None

    @model_validator(mode="after")
    def _start_before_end(self) -> BusinessHours:
        if self.start >= self.end:
            raise ValueError("start must be before end")
        return self


class Holidays(Strict):
    """Days without business hours: a country's public holidays and extra dates (YYYY-MM-DD)."""

    country: str | None = None
    subdivision: str | None = None
    extra: list[Annotated[str, BeforeValidator(iso_date)]] = Field(default_factory=list)

    @model_validator(mode="after")
    def _known_country(self) -> Holidays:
        if self.subdivision and not self.country:
            raise ValueError("subdivision needs a country")
        if self.country:
            supported = list_supported_countries()
            if self.country not in supported:
                raise ValueError(
                    f"no public holidays known for country {self.country!r}; "
                    "use an ISO 3166 code such as DE, US or GB"
                )
            if self.subdivision and self.subdivision not in supported[self.country]:
                raise ValueError(
                    f"{self.country} has no subdivision {self.subdivision!r}; "
                    f"known: {', '.join(supported[self.country])}"
                )
        return self


class SlaTier(Strict):
    """A speed-to-lead tier: routing rules name one (`routing.rules[].tier`)."""

    id: Annotated[str, Field(pattern=r"^[a-z0-9_-]{1,40}$")]
    respond_within: PositiveDuration
    nudge_before: NudgeOffsets = Field(default_factory=list)
    # Count `respond_within` in `sla.business_hours` (false: around the clock).
    business_hours: bool = False


class SlaConfig(Strict):
    # Business time when business_hours is set (24h with 09:00-17:00 = three working days).
    respond_within: PositiveDuration = timedelta(hours=24)
    # Real time before the deadline; a nudge in quiet hours waits for the next opening.
    nudge_before: NudgeOffsets = Field(
        default_factory=lambda: [timedelta(hours=4), timedelta(hours=1)]
    )
    business_hours: BusinessHours | None = None
    holidays: Holidays = Field(default_factory=Holidays)
    on_duty: People = Field(default_factory=People)
    escalate_to: (
        Annotated[str, Field(pattern=r"^([UWCG][A-Z0-9]{2,}|#[a-z0-9_-]{1,80})$")] | None
    ) = None
    reassign_on_breach: bool = False
    sweep_every: PositiveDuration = timedelta(minutes=1)
    # Speed-to-lead tiers for assigned leads (bot/routing/); see app.yaml for defaults.
    tiers: list[SlaTier] = Field(default_factory=list)

    @field_validator("tiers")
    @classmethod
    def _unique_tiers(cls, value: list[SlaTier]) -> list[SlaTier]:
        ids = [t.id for t in value]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"tier id {duplicates[0]!r} appears twice")
        return value

    def tier(self, tier_id: str | None) -> SlaTier | None:
        return next((t for t in self.tiers if t.id == tier_id), None)
