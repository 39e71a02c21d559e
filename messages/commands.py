"""Answers of `/leadfeedback` that are about the command itself: help, usage, permissions."""

from bot.runtime.subcommands import Audience, Subcommand
from bot.settings import TeamConfig
from messages.rendering import Mrkdwn, mention
from messages.slack_message import SlackMessage


def _who_can(team: TeamConfig) -> Mrkdwn:
    people = [mention(u) for u in [*team.marketers.users, *team.admins.users]]
    if team.marketers.usergroup:
        people.append(Mrkdwn(f"<!subteam^{team.marketers.usergroup}>"))
    if team.admins.usergroup:
        people.append(Mrkdwn(f"<!subteam^{team.admins.usergroup}>"))
    return Mrkdwn(", ".join(people) if people else "the marketers named in app.yaml")


def command_help(subcommands: list[Subcommand], team: TeamConfig) -> SlackMessage:
    return SlackMessage.from_template(
        "command_help.json.j2", subcommands=subcommands, who_can=_who_can(team), Audience=Audience
    )


def usage_error(subcommand: Subcommand, problem: str) -> SlackMessage:
    return SlackMessage.from_template(
        "command_usage.json.j2", subcommand=subcommand, problem=problem
    )


def unknown_subcommand(name: str, subcommands: list[Subcommand]) -> SlackMessage:
    return SlackMessage.from_template(
        "command_unknown.json.j2", name=name, names=[s.name for s in subcommands]
    )


def not_allowed(subcommand: Subcommand, team: TeamConfig) -> SlackMessage:
    return SlackMessage.from_template(
        "command_not_allowed.json.j2", subcommand=subcommand, who_can=_who_can(team)
    )
