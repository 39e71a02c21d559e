"""The `/leadfeedback` rule without Slack: what this person gets for this text."""

from __future__ import annotations

import shlex

from bot.runtime.services import Services
from bot.runtime.subcommands import Audience, CommandRequest, Subcommand, UsageError
from messages.commands import command_help, unknown_subcommand, usage_error
from messages.slack_message import SlackMessage
from storage.refusals import NotAllowed

HELP_WORDS = ("help", "-h", "--help")


def split_args(text: str) -> list[str]:
    """Words as a shell would split them, so `source:"Spring webinar"` stays one argument."""
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


async def allowed(services: Services, subcommand: Subcommand, user_id: str) -> bool:
    if subcommand.audience is Audience.EVERYONE:
        return True
    team = services.settings.team
    directory = services.directory
    if subcommand.audience is Audience.MANAGERS and await directory.includes(
        team.routing.managers, user_id
    ):
        return True
    return await directory.includes(team.marketers, user_id) or await directory.includes(
        team.admins, user_id
    )


async def dispatch(services: Services, request: CommandRequest) -> SlackMessage:
    """Help, an unknown subcommand, a refusal (raised), or the subcommand's own answer."""
    registry = services.registry.subcommands
    if not request.args or request.args[0].lower() in HELP_WORDS:
        return command_help(registry.all(), services.settings.team)
    name = request.args[0].lower()
    subcommand = registry.get(name)
    if subcommand is None:
        return unknown_subcommand(name, registry.all())
    if not await allowed(services, subcommand, request.user_id):
        raise NotAllowed(subcommand.name)
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
