"""One settings object: the team's app.yaml and the process environment, validated together.

Secrets (tokens, the signing secret, the database password) come only from the
environment; app.yaml holds what a team agrees on and can safely commit.
Every problem is reported with the key or variable that holds it, so that
`handoff check` can list them all at once instead of failing on the first.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, time, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from holidays import list_supported_countries
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.timekeeping.durations import parse_duration

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_DATABASE_URL = "sqlite:///handoff.db"

Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
SlackUserId = Annotated[str, Field(pattern=r"^[UW][A-Z0-9]{2,}$")]
SlackChannel = Annotated[str, Field(pattern=r"^([CGD][A-Z0-9]{2,}|#[a-z0-9_-]{1,80})$")]
SlackUsergroupId = Annotated[str, Field(pattern=r"^S[A-Z0-9]{2,}$")]

# Lead attributes a card may show; kept here because app.yaml names them.
CARD_FIELD_NAMES = (
    "company",
    "title",
    "industry",
    "employees",
    "country",
    "source",
    "score",
    "email",
)
_SECRET_KEY = re.compile(r"token|secret|password|database_url", re.IGNORECASE)
_PLACEHOLDER = re.compile(r"^(changeme|change-me|todo|xxx+|your[-_ ].*|<.*>|\.\.\.)$", re.I)


def _require_unique_ids(ids: list[str], what: str) -> None:
    seen: set[str] = set()
    for item_id in ids:
        if item_id in seen:
            raise ValueError(f"{what} id {item_id!r} appears twice")
        seen.add(item_id)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Channels(_Strict):
    leads: SlackChannel
    marketing: SlackChannel
    alignment: SlackChannel | None = None


class People(_Strict):
    """A set of Slack users, named directly and/or through a user group."""

    users: list[SlackUserId] = Field(default_factory=list)
    usergroup: SlackUsergroupId | None = None


class RejectionReason(_Strict):
    id: Annotated[str, Field(pattern=r"^[a-z0-9_]{1,40}$")]
    label: Annotated[str, Field(min_length=1, max_length=75)]
    comment_required: bool = False


class BusinessHours(_Strict):
    """When the SLA clock runs; also the quiet hours for nudges outside it."""

    days: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] = Field(
        default_factory=lambda: ["mon", "tue", "wed", "thu", "fri"], min_length=1
    )
    start: time = time(9, 0)
    end: time = time(17, 0)
    # Defaults to the team's `timezone`.
    timezone: str | None = None

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(
                    f"unknown time zone {value!r}; use an IANA name such as Europe/Berlin"
                ) from None
        return value

    @model_validator(mode="after")
    def _start_before_end(self) -> BusinessHours:
        if self.start >= self.end:
            raise ValueError("start must be before end")
        return self


def _iso_date(value: Any) -> str:
    # YAML reads an unquoted 2026-12-24 as a date; a quoted one stays text.
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()).isoformat()
        except ValueError:
            pass
    raise ValueError(f"{value!r} is not a date; write it as YYYY-MM-DD")


class Holidays(_Strict):
    """Days without business hours: a country's public holidays and extra dates (YYYY-MM-DD)."""

    country: str | None = None
    subdivision: str | None = None
    extra: list[Annotated[str, BeforeValidator(_iso_date)]] = Field(default_factory=list)

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


class SlaConfig(_Strict):
    # Business time when business_hours is set (24h with 09:00-17:00 = three working days).
    respond_within: Duration = timedelta(hours=24)
    # Real time before the deadline; a nudge in quiet hours waits for the next opening.
    nudge_before: list[Duration] = Field(
        default_factory=lambda: [timedelta(hours=4), timedelta(hours=1)]
    )
    business_hours: BusinessHours | None = None
    holidays: Holidays = Field(default_factory=Holidays)
    on_duty: People = Field(default_factory=People)
    escalate_to: (
        Annotated[str, Field(pattern=r"^([UWCG][A-Z0-9]{2,}|#[a-z0-9_-]{1,80})$")] | None
    ) = None
    reassign_on_breach: bool = False
    sweep_every: Duration = timedelta(minutes=1)

    @field_validator("respond_within", "sweep_every")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("must be longer than 0")
        return value

    @field_validator("nudge_before")
    @classmethod
    def _distinct_positive_offsets(cls, value: list[timedelta]) -> list[timedelta]:
        if any(offset <= timedelta(0) for offset in value):
            raise ValueError("every offset must be longer than 0")
        # Earliest nudge (largest offset) first; a repeated offset would be one nudge anyway.
        return sorted(set(value), reverse=True)


class IntakeConfig(_Strict):
    dedup_window: Duration = timedelta(days=30)


class ImportConfig(_Strict):
    """`handoff import`: export column name → lead field, fields.KEY or ignore."""

    mapping: dict[str, str] = Field(default_factory=dict)

    @field_validator("mapping")
    @classmethod
    def _known_targets(cls, value: dict[str, str]) -> dict[str, str]:
        from bot.leads.importing.columns import check_mapping  # the importer owns the names

        return check_mapping(value, "")


class CardConfig(_Strict):
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
    RejectionReason(id="not_icp", label="Not our ideal customer profile"),
    RejectionReason(id="no_budget", label="No budget or too small"),
    RejectionReason(id="no_intent", label="No buying intent (student, job seeker, research)"),
    RejectionReason(id="competitor", label="Competitor or partner"),
    RejectionReason(id="bad_contact", label="Bad or fake contact data"),
    RejectionReason(id="existing", label="Existing customer or open deal"),
    RejectionReason(id="other", label="Other", comment_required=True),
]


class DigestConfig(_Strict):
    """The weekly alignment digest (posted to channels.alignment)."""

    day: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"] = "mon"
    at: time = time(9, 0)
    enabled: bool = True


class SurveyQuestion(_Strict):
    id: Annotated[str, Field(pattern=r"^[a-z0-9_]{1,40}$")]
    label: Annotated[str, Field(min_length=1, max_length=150)]
    # "rating" is a 1-5 pick (at most one per survey); "text" a multi-line answer.
    kind: Literal["text", "rating"] = "text"
    optional: bool = True


DEFAULT_SURVEY_QUESTIONS = [
    SurveyQuestion(id="why_bought", label="Why did customers buy this month?"),
    SurveyQuestion(id="why_not", label="Why did prospects not buy?"),
    SurveyQuestion(id="objections", label="Which objections did you hear most?"),
    SurveyQuestion(id="missing_info", label="What did prospects ask for that we lacked?"),
    SurveyQuestion(id="competitors", label="Which competitors came up?"),
    SurveyQuestion(id="content_wish", label="What content do you wish you had?"),
    SurveyQuestion(
        id="lead_quality", label="Lead quality this month (1-5)", kind="rating", optional=False
    ),
    SurveyQuestion(id="lead_quality_comment", label="Anything to add about lead quality?"),
]
# A modal holds 100 blocks; this leaves room for the introduction and keeps it short.
MAX_SURVEY_QUESTIONS = 20


class SurveyConfig(_Strict):
    """The monthly "what did customers say" survey."""

    enabled: bool = True  # the monthly schedule; marketers can always `survey send`
    # Who is asked: these people plus the members of reps_channel; when both are
    # empty, the reps on duty for leads (sla.on_duty).
    reps: People = Field(default_factory=People)
    reps_channel: Annotated[str, Field(pattern=r"^[CG][A-Z0-9]{2,}$")] | None = None
    # The survey opens on the day-th business day of the month (Mon-Fri, not a
    # public holiday) at send_at in the team's time zone.
    day: Annotated[int, Field(ge=1, le=15)] = 1
    send_at: time = time(10, 0)
    open_for: Duration = timedelta(days=7)
    # One reminder to those who have not answered; null sends none.
    remind_after: Duration | None = timedelta(days=3)
    anonymous: bool = False
    questions: list[SurveyQuestion] = Field(
        default_factory=lambda: list(DEFAULT_SURVEY_QUESTIONS),
        min_length=1,
        max_length=MAX_SURVEY_QUESTIONS,
    )

    @field_validator("open_for")
    @classmethod
    def _open_long_enough(cls, value: timedelta) -> timedelta:
        if value < timedelta(hours=1):
            raise ValueError("must be at least 1h")
        return value

    @field_validator("questions")
    @classmethod
    def _sound_questions(cls, value: list[SurveyQuestion]) -> list[SurveyQuestion]:
        _require_unique_ids([q.id for q in value], "question")
        if sum(q.kind == "rating" for q in value) > 1:
            raise ValueError("at most one question can be a rating")
        return value

    @model_validator(mode="after")
    def _reminder_while_open(self) -> SurveyConfig:
        if self.remind_after is not None and not (timedelta(0) < self.remind_after < self.open_for):
            raise ValueError("remind_after must be longer than 0 and shorter than open_for")
        return self


class TeamConfig(_Strict):
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
    import_: ImportConfig = Field(default_factory=ImportConfig, alias="import")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r}; use an IANA name such as Europe/Berlin"
            ) from None
        return value

    @field_validator("rejection_reasons")
    @classmethod
    def _unique_reason_ids(cls, value: list[RejectionReason]) -> list[RejectionReason]:
        _require_unique_ids([r.id for r in value], "reason")
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def reason(self, reason_id: str) -> RejectionReason | None:
        return next((r for r in self.rejection_reasons if r.id == reason_id), None)


class Settings(BaseModel):
    """The validated configuration of one bot process."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    team: TeamConfig
    config_path: Path
    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    intake_token: SecretStr | None = None
    database_url: str = DEFAULT_DATABASE_URL
    slack_api_url: str = DEFAULT_SLACK_API_URL
    port: int = 3000


@dataclass(frozen=True)
class Problem:
    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.key}: {self.message}"


class SettingsError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


# Environment variables and what each holds; the README's table is written from this.
ENVIRONMENT = {
    "SLACK_BOT_TOKEN": "Bot token (xoxb-…) of the installed Slack app.",
    "SLACK_SIGNING_SECRET": "Signing secret that verifies requests from Slack.",
    "HANDOFF_INTAKE_TOKEN": "Bearer token that marketing automation sends to POST /api/leads.",
    "DATABASE_URL": f"SQLAlchemy URL of the store (default {DEFAULT_DATABASE_URL}).",
    "HANDOFF_CONFIG": "Path of the team configuration (default app.yaml).",
    "SLACK_API_URL": f"Base URL of Slack's Web API (default {DEFAULT_SLACK_API_URL}).",
    "PORT": "Port that `handoff run` serves on (default 3000).",
}
RUN_REQUIRES = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "HANDOFF_INTAKE_TOKEN")


def load_settings(
    environ: Mapping[str, str] | None = None, config_path: str | Path | None = None
) -> Settings:
    """Read app.yaml and the environment; raise SettingsError listing every problem."""
    env = os.environ if environ is None else environ
    path = Path(config_path or env.get("HANDOFF_CONFIG") or "app.yaml")
    problems: list[Problem] = []

    team = _load_team(path, problems)
    secrets = {
        "slack_bot_token": _secret(env, "SLACK_BOT_TOKEN", problems, prefix="xoxb-"),
        "slack_signing_secret": _secret(env, "SLACK_SIGNING_SECRET", problems),
        "intake_token": _secret(env, "HANDOFF_INTAKE_TOKEN", problems, min_length=16),
    }
    database_url = env.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    if not re.match(r"^(sqlite|postgres(ql)?)(\+\w+)?://", database_url):
        problems.append(
            Problem(
                "DATABASE_URL",
                "must start with sqlite:/// or postgresql:// (other stores are not supported)",
            )
        )
    api_url = env.get("SLACK_API_URL") or DEFAULT_SLACK_API_URL
    if not re.match(r"^https?://", api_url):
        problems.append(Problem("SLACK_API_URL", "must be an http(s) URL"))
    elif not api_url.endswith("/"):
        api_url += "/"
    port = 3000
    if env.get("PORT"):
        try:
            port = int(env["PORT"])
            if not 0 < port < 65536:
                raise ValueError
        except ValueError:
            problems.append(Problem("PORT", f"{env['PORT']!r} is not a TCP port number"))

    if problems or team is None:
        raise SettingsError(problems)
    return Settings(
        team=team,
        config_path=path,
        database_url=database_url,
        slack_api_url=api_url,
        port=port,
        **secrets,
    )


def missing_for_run(settings: Settings) -> list[str]:
    """Environment variables `handoff run` needs that are not set."""
    values = {
        "SLACK_BOT_TOKEN": settings.slack_bot_token,
        "SLACK_SIGNING_SECRET": settings.slack_signing_secret,
        "HANDOFF_INTAKE_TOKEN": settings.intake_token,
    }
    return [name for name in RUN_REQUIRES if values[name] is None]


def _load_team(path: Path, problems: list[Problem]) -> TeamConfig | None:
    label = str(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        problems.append(Problem("HANDOFF_CONFIG", f"{label} does not exist"))
        return None
    except yaml.YAMLError as exc:
        problems.append(Problem(label, f"is not valid YAML: {exc}"))
        return None
    if not isinstance(raw, dict):
        problems.append(Problem(label, "must be a mapping of settings"))
        return None
    secret_keys = list(_find_secret_keys(raw))
    for key in secret_keys:
        problems.append(
            Problem(
                key, "secrets are read only from the environment; remove this key from app.yaml"
            )
        )
    if secret_keys:
        return None
    try:
        return TeamConfig.model_validate(raw)
    except ValidationError as exc:
        for error in exc.errors():
            key = ".".join(str(part) for part in error["loc"]) or label
            problems.append(Problem(key, _plain_message(error)))
        return None


def _find_secret_keys(node: Any, prefix: str = "") -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            dotted = f"{prefix}{key}"
            if isinstance(key, str) and _SECRET_KEY.search(key):
                found.append(dotted)
            found.extend(_find_secret_keys(value, dotted + "."))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found.extend(_find_secret_keys(value, f"{prefix}{index}."))
    return found


def _plain_message(error: Mapping[str, Any]) -> str:
    kind = error.get("type", "")
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "is not a known setting"
    if kind == "string_pattern_mismatch":
        return f"{error.get('input')!r} is not a valid Slack id (users U…, channels C…, groups S…)"
    return str(error.get("msg", "is invalid")).removeprefix("Value error, ")


def _secret(
    env: Mapping[str, str],
    name: str,
    problems: list[Problem],
    *,
    prefix: str | None = None,
    min_length: int = 8,
) -> SecretStr | None:
    value = env.get(name)
    if not value:
        return None
    if _PLACEHOLDER.match(value.strip()):
        problems.append(Problem(name, "is a placeholder; set the real value"))
    elif prefix and not value.startswith(prefix):
        problems.append(Problem(name, f"must start with {prefix} (the app's bot token)"))
    elif len(value) < min_length:
        problems.append(
            Problem(name, f"is too short to be safe (at least {min_length} characters)")
        )
    return SecretStr(value)
