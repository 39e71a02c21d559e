"""The `/leadfeedback` slash command: ack, parse, dispatch, answer privately."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.runtime.dispatch import dispatch, split_args
from bot.runtime.services import Services
from bot.runtime.subcommands import CommandRequest
from handlers.slack.errors import answering_errors
from messages.ids import Command


def parse_command(body: dict[str, Any]) -> CommandRequest:
    return CommandRequest(
        user_id=body.get("user_id", ""),
        channel_id=body.get("channel_id"),
        args=split_args((body.get("text") or "").strip()),
        response_url=body.get("response_url"),
        trigger_id=body.get("trigger_id"),
    )


def register(app: AsyncApp, services: Services) -> None:
    @app.command(Command.LEADFEEDBACK)
    @answering_errors(services)
    async def on_leadfeedback(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        # Ack at once (Slack allows 3 seconds); the answer follows via response_url.
        await ack()
        message = await dispatch(services, parse_command(body))
        await respond(response_type="ephemeral", **message.as_kwargs())
