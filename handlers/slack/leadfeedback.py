"""The `/leadfeedback` slash command: parse, check who may run what, dispatch."""

from __future__ import annotations

import logging
import shlex
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from bot.runtime.services import Services
from bot.runtime.subcommands import Audience, CommandRequest, Subcommand, UsageError
from messages.commands import command_help, not_allowed, unknown_subcommand, usage_error
from messages.slack_message import SlackMessage

logger = logging.getLogger(__name__)
COMMAND = "/leadfeedback"


def parse_command(body: dict[str, Any]) -> CommandRequest:
    text = (body.get("text") or "").strip()
    try:
        args = shlex.split(text)
    except ValueError:
        args = text.split()
    return CommandRequest(
        user_id=body.get("user_id", ""),
        channel_id=body.get("channel_id"),
        args=args,
        response_url=body.get("response_url"),
        trigger_id=body.get("trigger_id"),
    )


async def allowed(services: Services, subcommand: Subcommand, user_id: str) -> bool:
    if subcommand.audience is Audience.EVERYONE:
        return True
    team = services.settings.team
    return await services.directory.includes(
        team.marketers, user_id
    ) or await services.directory.includes(team.admins, user_id)


async def answer(services: Services, request: CommandRequest) -> SlackMessage:
    """The whole rule of the command, without Slack: what this person gets for this text."""
    registry = services.registry.subcommands
    if not request.args or request.args[0].lower() in ("help", "-h", "--help"):
        return command_help(registry.all(), services.settings.team)
    name = request.args[0].lower()
    subcommand = registry.get(name)
    if subcommand is None:
        return unknown_subcommand(name, registry.all())
    if not await allowed(services, subcommand, request.user_id):
        return not_allowed(subcommand, services.settings.team)
    sub_request = CommandRequest(
        user_id=request.user_id,
        channel_id=request.channel_id,
        args=request.args[1:],
        response_url=request.response_url,
        trigger_id=request.trigger_id,
    )
    try:
        return await subcommand.run(sub_request)
    except UsageError as exc:
        return usage_error(subcommand, str(exc))


def register(app: AsyncApp, services: Services) -> None:
    @app.command(COMMAND)
    async def on_leadfeedback(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        # Ack at once (Slack allows 3 seconds); the answer follows via response_url.
        await ack()
        request = parse_command(body)
        try:
            message = await answer(services, request)
        except Exception:
            logger.exception("/leadfeedback %s failed", request.args[:1])
            message = SlackMessage(
                text=":warning: That didn't work on our side; please try again in a minute."
            )
        await respond(response_type="ephemeral", text=message.text, blocks=message.blocks)
