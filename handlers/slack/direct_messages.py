"""Messages in the bot's DM (the App Home messages tab): answered with the help."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.feedback.direct_messages import answer_dm
from bot.runtime.services import Services


def typed_by_a_person_in_a_dm(event: dict[str, Any]) -> bool:
    """A new message a person wrote in a DM: not an edit or a join (subtype), not a bot's."""
    return (
        event.get("channel_type") == "im"
        and not event.get("subtype")
        and not event.get("bot_id")
        and bool(event.get("user"))
    )


def register(app: AsyncApp, services: Services) -> None:
    async def is_person_in_dm(event: dict[str, Any]) -> bool:
        return typed_by_a_person_in_a_dm(event) and event.get("user") != services.slack.bot_user_id

    @app.event("message", matchers=[is_person_in_dm])
    async def on_dm(event: dict[str, Any]) -> None:
        # Bolt acks events itself, before this runs.
        await answer_dm(services, channel=event["channel"], ts=event["ts"])

    @app.event("message")
    async def other_messages(event: dict[str, Any]) -> None:
        """The bot's own DMs (nudges, surveys, this help) and edits: nothing to do."""
