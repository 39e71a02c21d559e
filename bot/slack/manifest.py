"""The Slack app manifest: everything Slack needs to know to create the app.

Two shapes: over HTTP Slack sends everything to `{url}/slack/events`; over Socket Mode
(`socket=True`) the manifest turns `socket_mode_enabled` on and names no request URL,
and the app connects with an app-level token instead.
"""

from typing import Any
from urllib.parse import urlsplit

import yaml

from messages.ids import Command

# The one list of bot scopes: the manifest asks for them and `handoff check --online`
# compares what the installed token has (auth.test's x-oauth-scopes) against them.
# Why each scope: chat:write posts and updates cards, answers and DMs; commands
# receives /leadfeedback; im:write opens DMs for nudges and surveys; users:read
# and usergroups:read resolve the on-duty reps and marketers; channels:read and
# groups:read list channel members for the survey; files:write uploads the
# digest chart and CSV exports; channels:history, groups:history and im:history
# let a retried post look for the message an interrupted attempt may already
# have posted (bot/runtime/once.py), so that it is not posted twice, and im:history
# also receives message.im, the messages people type in their DM with the bot,
# which it answers with the /leadfeedback help; users:read.email gives a rep's
# address, by which a connected CRM finds the rep's owner record (bot/crm/owners.py).
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
# message.im: a message typed in the App Home messages tab (the bot's DM).
BOT_EVENTS = ["app_uninstalled", "tokens_revoked", "message.im"]
# What a Socket Mode app's app-level token needs (apps.connections.open).
APP_TOKEN_SCOPE = "connections:write"


def events_url(base_url: str) -> str:
    parts = urlsplit(base_url.strip())
    if parts.scheme != "https" or not parts.netloc:
        raise ValueError(
            "must be the bot's public https:// URL (Slack sends requests only to https)"
        )
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}/slack/events"


def app_manifest(
    base_url: str | None = None, *, name: str = "Handoff", socket: bool = False
) -> dict[str, Any]:
    """The manifest for HTTP (`base_url` required) or for Socket Mode (no URL at all)."""
    if socket:
        url = None
    elif base_url is None:
        raise ValueError("is required unless the app uses Socket Mode (--socket)")
    else:
        url = events_url(base_url)
    manifest = _manifest(name, url)
    manifest["settings"]["socket_mode_enabled"] = socket
    return manifest


def _manifest(name: str, url: str | None) -> dict[str, Any]:
    """The manifest; `url` None leaves out every request URL (Socket Mode)."""
    at = {"url": url} if url else {}
    request_url = {"request_url": url} if url else {}
    return {
        "display_information": {
            "name": name,
            "description": "Hands marketing's qualified leads to sales and brings back why.",
            "background_color": "#1d3557",
        },
        "features": {
            # The Messages tab with its message box: in a DM with the bot people can
            # type /leadfeedback (Slack shows a read-only tab otherwise); anything else
            # they type there is answered with the help (message.im).
            "app_home": {
                # The Home tab: a rep's leads and away toggle, a marketer's numbers (routing).
                "home_tab_enabled": True,
                "messages_tab_enabled": True,
                "messages_tab_read_only_enabled": False,
            },
            "bot_user": {"display_name": name, "always_online": True},
            "slash_commands": [
                {
                    "command": SLASH_COMMAND,
                    **at,
                    "description": "Lead funnel, rejection reasons and sources",
                    "usage_hint": "help | stats 30d | reasons | sources | lead EMAIL | mine",
                    "should_escape": False,
                },
                {
                    # Reps' own command (routing): out of the rotation and back.
                    "command": str(Command.HANDOFF),
                    **at,
                    "description": "Reps: take yourself out of lead routing, and back",
                    "usage_hint": "away [until YYYY-MM-DD] | back | status",
                    "should_escape": False,
                },
            ],
        },
        "oauth_config": {"scopes": {"bot": list(BOT_SCOPES)}},
        "settings": {
            "event_subscriptions": {**request_url, "bot_events": list(BOT_EVENTS)},
            "interactivity": {"is_enabled": True, **request_url},
            "org_deploy_enabled": False,
            "socket_mode_enabled": False,
            "token_rotation_enabled": False,
        },
    }


def dump_manifest(manifest: dict[str, Any]) -> str:
    return yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True)
