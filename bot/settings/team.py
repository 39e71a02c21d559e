"""Everything in app.yaml: what the team agreed on, safe to commit (secrets are refused).

One section per module where a section is large (sla.py, survey.py); TeamConfig
puts them together.
"""

from __future__ import annotations

from datetime import time, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator, model_validator

from bot.settings.common import Channels, Duration, People, Strict, known_zone, require_unique_ids
from bot.settings.crm import CrmConfig
from bot.settings.definition import MqlDefinition
from bot.settings.routing import RoutingConfig, routing_problems
from bot.settings.sla import SlaConfig
from bot.settings.survey import SurveyConfig
from bot.timekeeping.weekdays import Weekday
from storage.models import CARD_FIELD_NAMES


class RejectionReason(Strict):
    id: Annotated[str, Field(pattern=r"^[a-z0-9_]{1,40}$")]
    label: Annotated[str, Field(min_length=1, max_length=75)]
    comment_required: bool = False
    # The lead guarantee (bot/definition/): a rejection for this reason says the lead
    # broke the agreed MQL definition, and is checked against the lead's stored fit.
    definition_miss: bool = False


class IntakeConfig(Strict):
    dedup_window: Duration = timedelta(days=30)


class RetentionConfig(Strict):
    """How long leads' personal data is kept; null keeps it (the default)."""

    personal_data: Duration | None = None

    @field_validator("personal_data")
    @classmethod
    def _at_least_a_day(cls, value: timedelta | None) -> timedelta | None:
        if value is not None and value < timedelta(days=1):
            raise ValueError("must be at least 1d (or null to keep personal data)")
        return value


class ImportConfig(Strict):
    """`handoff import`: export column name → lead field, fields.KEY or ignore."""

    mapping: dict[str, str] = Field(default_factory=dict)

    @field_validator("mapping")
    @classmethod
    def _known_targets(cls, value: dict[str, str]) -> dict[str, str]:
        from bot.leads.importing.columns import check_mapping  # the importer owns the names

        return check_mapping(value, "")


class CardConfig(Strict):
    fields: list[Literal[CARD_FIELD_NAMES]] = Field(  # type: ignore[valid-type]
        default_factory=lambda: [
            "company",
            "title",
            "industry",
            "employees",
            "country",
            "source",
            "score",
        ]
    )


DEFAULT_REASONS = [
    RejectionReason(id="not_icp", label="Not our ideal customer profile", definition_miss=True),
    RejectionReason(id="no_budget", label="No budget or too small"),
    RejectionReason(id="no_intent", label="No buying intent (student, job seeker, research)"),
    RejectionReason(id="competitor", label="Competitor or partner"),
    RejectionReason(id="bad_contact", label="Bad or fake contact data"),
    RejectionReason(id="existing", label="Existing customer or open deal"),
    RejectionReason(id="other", label="Other", comment_required=True),
]


class DigestConfig(Strict):
    """The weekly alignment digest (posted to channels.alignment)."""

    day: Weekday = "mon"
    at: time = time(9, 0)
    enabled: bool = True


class TeamConfig(Strict):
    """Everything in app.yaml."""

    channels: Channels
    timezone: str = "UTC"
    marketers: People = Field(default_factory=People)
    admins: People = Field(default_factory=People)
    rejection_reasons: list[RejectionReason] = Field(
        default_factory=lambda: list(DEFAULT_REASONS), min_length=1
    )
    card: CardConfig = Field(default_factory=CardConfig)
    intake: IntakeConfig = Field(default_factory=IntakeConfig)
    sla: SlaConfig = Field(default_factory=SlaConfig)
    digest: DigestConfig = Field(default_factory=DigestConfig)
    survey: SurveyConfig = Field(default_factory=SurveyConfig)
    retention: RetentionConfig = Field(default_factory=RetentionConfig)
    import_: ImportConfig = Field(default_factory=ImportConfig, alias="import")
    crm: CrmConfig = Field(default_factory=CrmConfig)
    routing: RoutingConfig = Field(default_factory=RoutingConfig)
    mql_definition: MqlDefinition = Field(default_factory=MqlDefinition)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return known_zone(value)

    @field_validator("rejection_reasons")
    @classmethod
    def _unique_reason_ids(cls, value: list[RejectionReason]) -> list[RejectionReason]:
        require_unique_ids([r.id for r in value], "reason")
        return value

    @model_validator(mode="after")
    def _references(self) -> TeamConfig:
        # One line per problem, each "key: message", so `handoff check` names the key.
        problems = routing_problems(self.routing, [t.id for t in self.sla.tiers])
        for index, tier in enumerate(self.sla.tiers):
            if tier.business_hours and self.sla.business_hours is None:
                problems.append(
                    (f"sla.tiers.{index}.business_hours", "needs sla.business_hours to be set")
                )
        if problems:
            raise ValueError("\n".join(f"{key}: {message}" for key, message in problems))
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def dispute_managers(self) -> People:
        """Who decides disputed rejections: `mql_definition.managers`, else the admins."""
        named = self.mql_definition.managers
        return named if named.users or named.usergroup else self.admins

    def reason(self, reason_id: str) -> RejectionReason | None:
        return next((r for r in self.rejection_reasons if r.id == reason_id), None)

    def reason_label(self, reason_id: str | None) -> str:
        """What people read for a stored reason id (a reason since removed keeps its id)."""
        if reason_id is None:
            return "(no reason recorded)"
        reason = self.reason(reason_id)
        return reason.label if reason else reason_id
