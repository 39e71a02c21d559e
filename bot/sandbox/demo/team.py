"""The demo's settings: fixed demo secrets and a team that fits the seeded fake workspace."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

from bot.sandbox.fake_slack import FakeWorkspace, seed
from bot.settings import People, Settings, SettingsError, TeamConfig, load_settings

# Not secrets: the demo's bot and fake workspace share them on 127.0.0.1 only.
DEMO_BOT_TOKEN = "xoxb-demo-not-a-real-token"
DEMO_SIGNING_SECRET = "demo-signing-secret-not-a-secret"
DEMO_INTAKE_TOKEN = "demo-intake-token-not-a-secret"

DEMO_TEAM = TeamConfig.model_validate(
    {
        "channels": {
            "leads": seed.CHANNEL_LEADS,
            "marketing": seed.CHANNEL_MARKETING,
            "alignment": seed.CHANNEL_ALIGNMENT,
        },
        "timezone": seed.TZ,
        "marketers": {"users": [seed.MARKETER], "usergroup": seed.USERGROUP_MARKETING},
        "admins": {"users": [seed.MANAGER]},
        "sla": {
            "respond_within": "24h",
            "nudge_before": ["4h", "1h"],
            "on_duty": {"usergroup": seed.USERGROUP_REPS},
            "escalate_to": seed.MANAGER,
        },
        "survey": {"reps": {"usergroup": seed.USERGROUP_REPS}},
        # The agreed MQL definition: the sample leads meet it, miss a criterion or two
        # (a student, a four-person shop, a lead without a size), and the cards say so.
        "mql_definition": {
            "criteria": [
                {"id": "size", "label": "company size", "employees": {"at_least": 50}},
                {
                    "id": "icp_industry",
                    "label": "industry",
                    "industry": [
                        "Logistics",
                        "Transportation",
                        "Manufacturing",
                        "Retail",
                        "Healthcare",
                        "Software",
                    ],
                },
                {
                    "id": "buyer_role",
                    "label": "buyer role",
                    "title": ["head", "director", "vp", "chief", "cto", "directeur", "lead"],
                },
                {"id": "engaged", "label": "score", "score": {"at_least": 60}},
            ],
            "managers": {"users": [seed.MANAGER]},
            # Mid-month: the demo's fast-forward starts on the 1st.
            "review": {"day": 15},
        },
    }
)


@dataclass(frozen=True)
class DemoTeam:
    team: TeamConfig
    source: str  # what the demo prints: where the team configuration came from


def demo_team(config_path: str | Path | None, workspace: FakeWorkspace) -> DemoTeam:
    """app.yaml when it is valid and names only the demo workspace's ids, else DEMO_TEAM.

    A developer changing app.yaml (reasons, card fields, SLA) sees the change in the
    demo; a team's real app.yaml names real channels, which the fake workspace lacks.
    """
    path = Path(config_path or "app.yaml")
    if not path.exists():
        return DemoTeam(DEMO_TEAM, f"built-in demo team ({path} not found)")
    try:
        team = load_settings(environ={}, config_path=path).team
    except SettingsError as exc:
        first = exc.problems[0] if exc.problems else "invalid"
        return DemoTeam(DEMO_TEAM, f"built-in demo team ({path} has problems: {first})")
    unknown = sorted(_unknown_ids(team, workspace))
    if unknown:
        return DemoTeam(
            DEMO_TEAM,
            f"built-in demo team ({path} names ids the demo workspace lacks: "
            f"{', '.join(unknown[:5])})",
        )
    return DemoTeam(team, str(path))


def _unknown_ids(team: TeamConfig, workspace: FakeWorkspace) -> set[str]:
    channels = [team.channels.leads, team.channels.marketing, team.channels.alignment]
    if team.survey.reps_channel:
        channels.append(team.survey.reps_channel)
    unknown = {c for c in channels if c and workspace.channel(c) is None}
    people = [team.marketers, team.admins, team.sla.on_duty, team.survey.reps]
    unknown |= set().union(*(_unknown_people(p, workspace) for p in people))
    target = team.sla.escalate_to
    if target and workspace.user(target) is None and workspace.channel(target) is None:
        unknown.add(target)
    return unknown


def _unknown_people(people: People, workspace: FakeWorkspace) -> set[str]:
    unknown = {u for u in people.users if workspace.user(u) is None}
    if people.usergroup and workspace.usergroup(people.usergroup) is None:
        unknown.add(people.usergroup)
    return unknown


def demo_settings(team: TeamConfig, *, database_url: str, api_url: str, port: int) -> Settings:
    return Settings(
        team=team,
        config_path=Path("app.yaml"),
        slack_bot_token=SecretStr(DEMO_BOT_TOKEN),
        slack_signing_secret=SecretStr(DEMO_SIGNING_SECRET),
        intake_token=SecretStr(DEMO_INTAKE_TOKEN),
        database_url=database_url,
        slack_api_url=api_url,
        port=port,
    )
