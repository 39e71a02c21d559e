"""The Slack app manifest: everything Slack needs to know to create the app."""

from typing import Any
from urllib.parse import urlsplit

import yaml

from messages.ids import Command

# Why each scope: chat:write posts and updates cards, answers and DMs; commands
# receives /leadfeedback; im:write opens DMs for nudges and surveys; users:read
# and usergroups:read resolve the on-duty reps and marketers; channels:read and
# groups:read list channel members for the survey; files:write uploads the
# digest chart and CSV exports; channels:history, groups:history and im:history
# let a retried post look for the message an interrupted attempt may already
# have posted (bot/runtime/once.py), so that it is not posted twice;
# users:read.email gives a rep's address, by which a connected CRM finds the rep's
# owner record (bot/crm/owners.py).
BOT_SCOPES = [
    "chat:write",
    "commands",
    "im:write",
    "users:read",
    "users:read.email",
    "usergroups:read",
    "channels:read",
    "groups:read",
    "files:write",
    "channels:history",
    "groups:history",
    "im:history",
]
SLASH_COMMAND = str(Command.LEADFEEDBACK)


def app_manifest(base_url: str, *, name: str = "Handoff") -> dict[str, Any]:
    parts = urlsplit(base_url.strip())
    if parts.scheme != "https" or not parts.netloc:
        raise ValueError(
            "must be the bot's public https:// URL (Slack sends requests only to https)"
        )
    events_url = f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}/slack/events"
    return {
        "display_information": {
            "name": name,
            "description": "Hands marketing's qualified leads to sales and brings back why.",
            "background_color": "#1d3557",
        },
        "features": {
            "bot_user": {"display_name": name, "always_online": True},
            "slash_commands": [
                {
                    "command": SLASH_COMMAND,
                    "url": events_url,
                    "description": "Lead funnel, rejection reasons and sources",
                    "usage_hint": "help | stats 30d | reasons | sources | lead EMAIL | mine",
                    "should_escape": False,
                }
            ],
        },
        "oauth_config": {"scopes": {"bot": list(BOT_SCOPES)}},
        "settings": {
            "event_subscriptions": {
                "request_url": events_url,
                "bot_events": ["app_uninstalled", "tokens_revoked"],
            },
            "interactivity": {"is_enabled": True, "request_url": events_url},
            "org_deploy_enabled": False,
            "socket_mode_enabled": False,
            "token_rotation_enabled": False,
        },
    }


def dump_manifest(manifest: dict[str, Any]) -> str:
    return yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True)
