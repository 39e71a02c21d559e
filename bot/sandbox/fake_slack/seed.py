"""Ids of the default fake workspace (`FakeWorkspace.seeded`), for tests and the demo."""

from __future__ import annotations

from dataclasses import dataclass

TEAM_ID = "T0HANDOFF"
TEAM_NAME = "Handoff Demo"
TEAM_DOMAIN = "handoff-demo"
APP_ID = "A0HANDOFF"
BOT_TOKEN = "xoxb-test-token"
# An app-level token (Socket Mode): Slack writes them xapp-1-<app id>-<number>-<secret>.
APP_TOKEN = "xapp-1-A0HANDOFF-1-test-app-token"
BOT_USER_ID = "U0BOT"
BOT_ID = "B0BOT"
BOT_NAME = "handoff"
TZ = "Europe/Berlin"

REP1 = "U0REP1"
REP2 = "U0REP2"
MANAGER = "U0MGR"
MARKETER = "U0MKT"
GONE_REP = "U0GONE"

CHANNEL_LEADS = "C0LEADS"
CHANNEL_MARKETING = "C0MKTG"
CHANNEL_ALIGNMENT = "C0ALIGN"

USERGROUP_REPS = "S0REPS"
USERGROUP_MARKETING = "S0MKT"


@dataclass(frozen=True)
class Seed:
    """The same ids as one object: `SEED.rep1`, `SEED.channel_leads`, ..."""

    team_id: str = TEAM_ID
    team_name: str = TEAM_NAME
    team_domain: str = TEAM_DOMAIN
    app_id: str = APP_ID
    bot_token: str = BOT_TOKEN
    app_token: str = APP_TOKEN
    bot_user_id: str = BOT_USER_ID
    bot_id: str = BOT_ID
    bot_name: str = BOT_NAME
    rep1: str = REP1
    rep2: str = REP2
    manager: str = MANAGER
    marketer: str = MARKETER
    gone_rep: str = GONE_REP
    channel_leads: str = CHANNEL_LEADS
    channel_marketing: str = CHANNEL_MARKETING
    channel_alignment: str = CHANNEL_ALIGNMENT
    usergroup_reps: str = USERGROUP_REPS
    usergroup_marketing: str = USERGROUP_MARKETING


SEED = Seed()
