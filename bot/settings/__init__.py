"""One settings object: the team's app.yaml and the process environment, validated together.

team.py (with sla.py and survey.py) is the schema of app.yaml; environment.py reads
the environment and puts both together. The names below are what the rest of the
bot imports.
"""

from bot.settings.common import Channels, People
from bot.settings.environment import (
    ENVIRONMENT,
    LogFormat,
    Problem,
    Settings,
    SettingsError,
    load_settings,
    log_format_of,
    missing_for_run,
)
from bot.settings.sla import BusinessHours, Holidays, SlaConfig
from bot.settings.survey import DEFAULT_SURVEY_QUESTIONS, SurveyConfig, SurveyQuestion
from bot.settings.team import DigestConfig, RejectionReason, TeamConfig

__all__ = [
    "DEFAULT_SURVEY_QUESTIONS",
    "ENVIRONMENT",
    "BusinessHours",
    "Channels",
    "DigestConfig",
    "Holidays",
    "LogFormat",
    "People",
    "Problem",
    "RejectionReason",
    "Settings",
    "SettingsError",
    "SlaConfig",
    "SurveyConfig",
    "SurveyQuestion",
    "TeamConfig",
    "load_settings",
    "log_format_of",
    "missing_for_run",
]
