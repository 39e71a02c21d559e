"""Answers of `/leadfeedback` that are about the command itself: help, usage, who can."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bot.settings import TeamConfig
from messages.rendering import Mrkdwn, mention
from messages.slack_message import SlackMessage

# However long the argument a person typed, the answer quotes this much of it at most,
# so the usage line always fits.
MAX_PROBLEM_CHARS = 120


class CommandSpec(Protocol):
    """What a help or usage answer shows of a subcommand (bot/runtime/subcommands.py)."""

    @property
    def name(self) -> str: ...
    @property
    def usage(self) -> str: ...
    @property
    def summary(self) -> str: ...
    @property
    def examples(self) -> list[str]: ...
    @property
    def for_everyone(self) -> bool: ...


def who_can(team: TeamConfig) -> Mrkdwn:
    """The marketers and admins, as mentions: who may ask for the numbers."""
    people = [mention(u) for u in [*team.marketers.users, *team.admins.users]]
    if team.marketers.usergroup:
        people.append(Mrkdwn(f"<!subteam^{team.marketers.usergroup}>"))
    if team.admins.usergroup:
        people.append(Mrkdwn(f"<!subteam^{team.admins.usergroup}>"))
    return Mrkdwn(", ".join(people) if people else "the marketers and admins of your team")


def command_help(subcommands: Sequence[CommandSpec], team: TeamConfig) -> SlackMessage:
    return SlackMessage.from_template(
        "command_help.json.j2", subcommands=subcommands, who_can=who_can(team)
    )


def dm_help(subcommands: Sequence[CommandSpec], team: TeamConfig) -> SlackMessage:
    """The answer to a message typed in the bot's DM (the App Home messages tab)."""
    intro = SlackMessage.from_template("dm_help.json.j2")
    return SlackMessage(intro.text, [*intro.blocks, *command_help(subcommands, team).blocks])


def usage_error(subcommand: CommandSpec, problem: str) -> SlackMessage:
    return SlackMessage.from_template(
        "command_usage.json.j2",
        subcommand=subcommand,
        problem=problem,
        max_problem=MAX_PROBLEM_CHARS,
    )


def unknown_subcommand(name: str, subcommands: Sequence[CommandSpec]) -> SlackMessage:
    return SlackMessage.from_template(
        "command_unknown.json.j2", name=name, names=[s.name for s in subcommands]
    )
