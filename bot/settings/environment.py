"""The process environment and app.yaml, validated together into one Settings object.

Secrets (tokens, the signing secret, the database password) come only from the
environment; app.yaml holds what a team agrees on and can safely commit. Every
problem is reported with the key or variable that holds it, so that `handoff
check` can list them all at once instead of failing on the first.

The environment is a pydantic model whose field aliases are the variable names;
we validate it from a mapping ourselves rather than through pydantic-settings,
because tests and `handoff check` pass a mapping and want every problem at once.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from bot.settings.team import TeamConfig

LogFormat = Literal["plain", "json"]
LOG_FORMATS: tuple[LogFormat, ...] = ("plain", "json")

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_DATABASE_URL = "sqlite:///handoff.db"
DEFAULT_PORT = 3000
DEFAULT_HUBSPOT_API_URL = "https://api.hubapi.com"

_SECRET_KEY = re.compile(r"token|secret|password|database_url", re.IGNORECASE)
_PLACEHOLDER = re.compile(r"^(changeme|change-me|todo|xxx+|your[-_ ].*|<.*>|\.\.\.)$", re.I)

# Environment variables and what each holds; the README's table is written from this.
ENVIRONMENT = {
    "SLACK_BOT_TOKEN": "Bot token (xoxb-…) of the installed Slack app.",
    "SLACK_SIGNING_SECRET": "Signing secret that verifies requests from Slack (HTTP mode).",
    "SLACK_APP_TOKEN": "App-level token (xapp-…, scope connections:write); set, Slack is "
    "served over Socket Mode instead of HTTP.",
    "HANDOFF_INTAKE_TOKEN": "Bearer token that marketing automation sends to POST /api/leads.",
    "DATABASE_URL": f"SQLAlchemy URL of the store (default {DEFAULT_DATABASE_URL}).",
    "HANDOFF_CONFIG": "Path of the team configuration (default app.yaml).",
    "SLACK_API_URL": f"Base URL of Slack's Web API (default {DEFAULT_SLACK_API_URL}).",
    "PORT": f"Port that `handoff run` serves on (default {DEFAULT_PORT}).",
    "HUBSPOT_ACCESS_TOKEN": "A HubSpot private app's access token (pat-…); crm.provider hubspot.",
    "HUBSPOT_CLIENT_SECRET": "The HubSpot app's client secret, which signs webhooks (optional).",
    "HUBSPOT_API_URL": f"Base URL of HubSpot's API (default {DEFAULT_HUBSPOT_API_URL}).",
    "SALESFORCE_INSTANCE_URL": "The org's My Domain URL (https://….my.salesforce.com).",
    "SALESFORCE_CLIENT_ID": "Consumer key of the connected app (client-credentials flow).",
    "SALESFORCE_CLIENT_SECRET": "Consumer secret of the connected app.",
    "HANDOFF_METRICS_TOKEN": "Bearer token for GET /metrics; unset, /metrics is off (404).",
    "HANDOFF_LOG_FORMAT": "Log format: plain (default) or json, one object per line.",
}
RUN_REQUIRES = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "HANDOFF_INTAKE_TOKEN")
# What each crm.provider needs from the environment (HUBSPOT_CLIENT_SECRET is only
# for webhooks, which are optional: polling works without them).
CRM_REQUIRES = {
    "hubspot": ("HUBSPOT_ACCESS_TOKEN",),
    "salesforce": ("SALESFORCE_INSTANCE_URL", "SALESFORCE_CLIENT_ID", "SALESFORCE_CLIENT_SECRET"),
}
# Over Socket Mode Slack authenticates the WebSocket, so no signing secret is needed.
SOCKET_RUN_REQUIRES = ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "HANDOFF_INTAKE_TOKEN")


def _secret(
    value: str | None, *, prefix: str | None = None, what: str = "", min_length: int = 8
) -> str | None:
    if not value:
        return None
    if _PLACEHOLDER.match(value.strip()):
        raise ValueError("is a placeholder; set the real value")
    if prefix and not value.startswith(prefix):
        raise ValueError(f"must start with {prefix} ({what})")
    if len(value) < min_length:
        raise ValueError(f"is too short to be safe (at least {min_length} characters)")
    return value


class Environment(BaseModel):
    """The variables Handoff reads; each field's alias is the variable's name."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    slack_bot_token: SecretStr | None = Field(None, alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(None, alias="SLACK_SIGNING_SECRET")
    intake_token: SecretStr | None = Field(None, alias="HANDOFF_INTAKE_TOKEN")
    slack_app_token: SecretStr | None = Field(None, alias="SLACK_APP_TOKEN")
    database_url: str = Field(DEFAULT_DATABASE_URL, alias="DATABASE_URL")
    slack_api_url: str = Field(DEFAULT_SLACK_API_URL, alias="SLACK_API_URL")
    port: int = Field(DEFAULT_PORT, alias="PORT", gt=0, lt=65536)
    hubspot_access_token: SecretStr | None = Field(None, alias="HUBSPOT_ACCESS_TOKEN")
    hubspot_client_secret: SecretStr | None = Field(None, alias="HUBSPOT_CLIENT_SECRET")
    hubspot_api_url: str = Field(DEFAULT_HUBSPOT_API_URL, alias="HUBSPOT_API_URL")
    salesforce_instance_url: str | None = Field(None, alias="SALESFORCE_INSTANCE_URL")
    salesforce_client_id: str | None = Field(None, alias="SALESFORCE_CLIENT_ID")
    salesforce_client_secret: SecretStr | None = Field(None, alias="SALESFORCE_CLIENT_SECRET")

    @field_validator("hubspot_access_token", mode="before")
    @classmethod
    def _hubspot_token(cls, value: str | None) -> str | None:
        return _secret(value, prefix="pat-", what="a private app's access token")

    @field_validator("hubspot_client_secret", "salesforce_client_secret", mode="before")
    @classmethod
    def _crm_secret(cls, value: str | None) -> str | None:
        return _secret(value)

    @field_validator("salesforce_client_id", mode="before")
    @classmethod
    def _client_id(cls, value: str | None) -> str | None:
        if value and _PLACEHOLDER.match(value.strip()):
            raise ValueError("is a placeholder; set the real value")
        return value or None

    @field_validator("hubspot_api_url", mode="before")
    @classmethod
    def _hubspot_url(cls, value: str | None) -> str:
        value = value or DEFAULT_HUBSPOT_API_URL
        if not re.match(r"^https?://", value):
            raise ValueError("must be an http(s) URL")
        return value.rstrip("/")

    @field_validator("salesforce_instance_url", mode="before")
    @classmethod
    def _instance_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not re.match(r"^https?://[^\s/]+/?$", value):
            raise ValueError("must be the org's My Domain URL, e.g. https://acme.my.salesforce.com")
        return value.rstrip("/")

    metrics_token: SecretStr | None = Field(None, alias="HANDOFF_METRICS_TOKEN")
    log_format: LogFormat = Field("plain", alias="HANDOFF_LOG_FORMAT")

    @field_validator("slack_bot_token", mode="before")
    @classmethod
    def _bot_token(cls, value: str | None) -> str | None:
        return _secret(value, prefix="xoxb-", what="the app's bot token")

    @field_validator("slack_signing_secret", mode="before")
    @classmethod
    def _signing_secret(cls, value: str | None) -> str | None:
        return _secret(value)

    @field_validator("slack_app_token", mode="before")
    @classmethod
    def _app_token(cls, value: str | None) -> str | None:
        return _secret(value, prefix="xapp-", what="the app-level token, for Socket Mode")

    @field_validator("intake_token", mode="before")
    @classmethod
    def _intake_token(cls, value: str | None) -> str | None:
        return _secret(value, min_length=16)

    @field_validator("metrics_token", mode="before")
    @classmethod
    def _metrics_token(cls, value: str | None) -> str | None:
        return _secret(value, min_length=16)

    @field_validator("log_format", mode="before")
    @classmethod
    def _log_format(cls, value: str | None) -> str:
        value = (value or "plain").strip().lower()
        if value not in LOG_FORMATS:
            raise ValueError(f"{value!r} is not a log format: use plain or json")
        return value

    @field_validator("database_url", mode="before")
    @classmethod
    def _supported_store(cls, value: str | None) -> str:
        value = value or DEFAULT_DATABASE_URL
        if not re.match(r"^(sqlite|postgres(ql)?)(\+\w+)?://", value):
            raise ValueError(
                "must start with sqlite:/// or postgresql:// (other stores are not supported)"
            )
        return value

    @field_validator("slack_api_url", mode="before")
    @classmethod
    def _http_url(cls, value: str | None) -> str:
        value = value or DEFAULT_SLACK_API_URL
        if not re.match(r"^https?://", value):
            raise ValueError("must be an http(s) URL")
        return value if value.endswith("/") else value + "/"

    @field_validator("port", mode="before")
    @classmethod
    def _port_number(cls, value: str | int | None) -> int:
        if value in (None, ""):
            return DEFAULT_PORT
        try:
            return int(value)  # type: ignore[arg-type]
        except ValueError:
            raise ValueError(f"{value!r} is not a TCP port number") from None


class Settings(BaseModel):
    """The validated configuration of one bot process."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    team: TeamConfig
    config_path: Path
    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    intake_token: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    database_url: str = DEFAULT_DATABASE_URL
    slack_api_url: str = DEFAULT_SLACK_API_URL
    port: int = DEFAULT_PORT
    hubspot_access_token: SecretStr | None = None
    hubspot_client_secret: SecretStr | None = None
    hubspot_api_url: str = DEFAULT_HUBSPOT_API_URL
    salesforce_instance_url: str | None = None
    salesforce_client_id: str | None = None
    salesforce_client_secret: SecretStr | None = None
    metrics_token: SecretStr | None = None
    log_format: LogFormat = "plain"

    @property
    def socket_mode(self) -> bool:
        """Slack over Socket Mode: an app-level token is set."""
        return self.slack_app_token is not None


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


def load_settings(
    environ: Mapping[str, str] | None = None, config_path: str | Path | None = None
) -> Settings:
    """Read app.yaml and the environment; raise SettingsError listing every problem."""
    env = os.environ if environ is None else environ
    path = Path(config_path or env.get("HANDOFF_CONFIG") or "app.yaml")
    problems: list[Problem] = []
    team = _load_team(path, problems)
    environment = _load_environment(env, problems)
    if team is not None and environment is not None:
        problems.extend(_crm_problems(team, environment))
    if problems or team is None or environment is None:
        raise SettingsError(problems)
    return Settings(team=team, config_path=path, **environment.model_dump())


def log_format_of(env: Mapping[str, str]) -> LogFormat:
    """The log format, read on its own: logging starts before the settings are loaded.

    A wrong value gives plain logs here; `load_settings` then reports it with its name.
    """
    value = (env.get("HANDOFF_LOG_FORMAT") or "plain").strip().lower()
    return "json" if value == "json" else "plain"


def missing_for_run(settings: Settings, *, socket: bool | None = None) -> list[str]:
    """Environment variables `handoff run` needs that are not set.

    `socket` asks about Socket Mode (`handoff run --socket`); by default the mode
    follows the settings (an app-level token means Socket Mode).
    """
    values = {
        "SLACK_BOT_TOKEN": settings.slack_bot_token,
        "SLACK_SIGNING_SECRET": settings.slack_signing_secret,
        "SLACK_APP_TOKEN": settings.slack_app_token,
        "HANDOFF_INTAKE_TOKEN": settings.intake_token,
    }
    socket = settings.socket_mode if socket is None else socket
    required = SOCKET_RUN_REQUIRES if socket else RUN_REQUIRES
    return [name for name in required if values[name] is None]


def _crm_problems(team: TeamConfig, environment: Environment) -> list[Problem]:
    """The variables the chosen CRM needs and does not have."""
    provider = team.crm.provider
    if provider == "none":
        return []
    aliases = {field.alias: name for name, field in Environment.model_fields.items()}
    return [
        Problem(variable, f"is required when crm.provider is {provider}")
        for variable in CRM_REQUIRES[provider]
        if getattr(environment, aliases[variable]) is None
    ]


def _load_environment(env: Mapping[str, str], problems: list[Problem]) -> Environment | None:
    try:
        return Environment.model_validate(dict(env))
    except ValidationError as exc:
        for error in exc.errors():
            name = str(error["loc"][0]) if error["loc"] else "environment"
            problems.append(Problem(name, _plain_message(error)))
        return None


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
    secret_keys = _find_secret_keys(raw)
    for key in secret_keys:
        problems.append(
            Problem(
                key, "secrets are read only from the environment; remove this key from app.yaml"
            )
        )
    try:
        team = TeamConfig.model_validate(raw)
    except ValidationError as exc:
        for error in exc.errors():
            key = ".".join(str(part) for part in error["loc"]) or label
            # A secret key is also unknown to the schema; it was reported above.
            if key not in secret_keys:
                problems.extend(_keyed_problems(key, _plain_message(error)))
        return None
    return None if secret_keys else team


def _keyed_problems(key: str, message: str) -> list[Problem]:
    """A check across sections (TeamConfig's) names each key itself: one "key: message" a line."""
    lines = message.splitlines()
    keyed = [re.match(r"^([a-z_]+(?:\.[\w-]+)+): (.+)$", line) for line in lines]
    if lines and all(keyed):
        return [Problem(m.group(1), m.group(2)) for m in keyed if m]
    return [Problem(key, message)]


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
    if kind in ("greater_than", "less_than") and error.get("loc") == ("PORT",):
        return f"{error.get('input')!r} is not a TCP port number"
    return str(error.get("msg", "is invalid")).removeprefix("Value error, ")
