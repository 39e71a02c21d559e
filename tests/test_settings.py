"""app.yaml and the environment: every problem named by its key."""

from datetime import timedelta
from pathlib import Path

import pytest

from bot.settings import SettingsError, load_settings, missing_for_run
from bot.timekeeping.durations import format_duration, parse_duration

GOOD_ENV = {
    "SLACK_BOT_TOKEN": "xoxb-1234-abcdef",
    "SLACK_SIGNING_SECRET": "0123456789abcdef",
    "HANDOFF_INTAKE_TOKEN": "intake-0123456789abcdef",
}


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "app.yaml"
    path.write_text(text)
    return path


def problems(env: dict[str, str], path: Path) -> dict[str, str]:
    with pytest.raises(SettingsError) as caught:
        load_settings(env, path)
    return {p.key: p.message for p in caught.value.problems}


def test_the_shipped_app_yaml_is_valid() -> None:
    settings = load_settings(GOOD_ENV, Path(__file__).parent.parent / "app.yaml")
    assert settings.team.channels.leads == "C0LEADS"
    assert settings.team.sla.respond_within == timedelta(hours=24)
    assert settings.team.sla.nudge_before == [timedelta(hours=4), timedelta(hours=1)]
    assert settings.team.reason("other").comment_required
    assert missing_for_run(settings) == []


def test_defaults_fill_in_everything_but_the_channels(tmp_path: Path) -> None:
    settings = load_settings({}, write(tmp_path, "channels: {leads: C01, marketing: C02}\n"))
    assert settings.database_url == "sqlite:///handoff.db"
    assert settings.slack_api_url == "https://slack.com/api/"
    assert missing_for_run(settings) == [
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "HANDOFF_INTAKE_TOKEN",
    ]


def test_every_problem_is_reported_with_its_key(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
channels: {leads: general, marketing: C2}
timezone: Mars/Olympus
sla: {respond_within: soon, nudge_before: [4h]}
rejection_reasons:
  - {id: dup, label: A}
  - {id: dup, label: B}
colour: blue
""",
    )
    env = {
        **GOOD_ENV,
        "SLACK_BOT_TOKEN": "xoxp-user-token",
        "PORT": "http",
        "DATABASE_URL": "mysql://x",
    }
    found = problems(env, path)
    assert "channels.leads" in found and "Slack id" in found["channels.leads"]
    assert "timezone" in found and "Mars/Olympus" in found["timezone"]
    assert "sla.respond_within" in found and "24h" in found["sla.respond_within"]
    assert found["rejection_reasons"] == "reason id 'dup' appears twice"
    assert found["colour"] == "is not a known setting"
    assert "xoxb-" in found["SLACK_BOT_TOKEN"]
    assert "PORT" in found and "DATABASE_URL" in found


def test_secrets_in_app_yaml_are_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path, "channels: {leads: C01, marketing: C02}\nslack:\n  bot_token: xoxb-oops\n"
    )
    found = problems(GOOD_ENV, path)
    assert list(found) == ["slack.bot_token", "slack"]
    assert "environment" in found["slack.bot_token"]
    assert found["slack"] == "is not a known setting"


def test_a_secret_in_app_yaml_does_not_hide_the_other_problems(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "channels: {leads: C01, marketing: nope}\ntimezone: Mars/Olympus\napi_token: x\n",
    )
    found = problems({**GOOD_ENV, "PORT": "http"}, path)
    assert set(found) == {"api_token", "channels.marketing", "timezone", "PORT"}


def test_placeholders_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "channels: {leads: C01, marketing: C02}\n")
    found = problems({**GOOD_ENV, "SLACK_SIGNING_SECRET": "changeme"}, path)
    assert found == {"SLACK_SIGNING_SECRET": "is a placeholder; set the real value"}


def test_missing_and_broken_files(tmp_path: Path) -> None:
    assert "HANDOFF_CONFIG" in problems({}, tmp_path / "nope.yaml")
    broken = write(tmp_path, "channels: [unclosed\n")
    assert any("not valid YAML" in m for m in problems({}, broken).values())
    assert problems({}, write(tmp_path, "{}\n")) == {"channels": "is required"}


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("24h", 86400), ("90m", 5400), ("1d12h", 129600), ("45s", 45), ("1h 30m", 5400), (60, 60)],
)
def test_durations(text: str | int, seconds: int) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "soon", "24", "-4h", "4x", True])
def test_bad_durations(text: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)  # type: ignore[arg-type]


def test_format_duration() -> None:
    assert format_duration(timedelta(hours=28, minutes=5)) == "1d4h5m"
    assert format_duration(timedelta(seconds=30)) == "0m"
    assert format_duration(-timedelta(hours=2)) == "-2h"
