"""`handoff check --online`: does the database answer, does Slack take the tokens, which
scopes are missing. Every problem is reported, each naming its variable."""

from __future__ import annotations

from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.cli.errors import sqlite_folder_problem, store_problem
from bot.settings import Settings
from bot.slack.errors import slack_error
from bot.slack.manifest import BOT_SCOPES

SLACK_TIMEOUT_SECONDS = 10


async def online_problems(settings: Settings) -> list[str]:
    return [*await database_problems(settings), *await slack_problems(settings)]


async def database_problems(settings: Settings) -> list[str]:
    from storage.database import Database

    url = settings.database_url
    problem = sqlite_folder_problem(url)
    if problem is not None:
        return [f"DATABASE_URL: {problem}"]
    db = Database(url)
    try:
        await db.ping()
    except Exception as exc:
        return [f"DATABASE_URL: {store_problem(exc, url) or repr(exc)}"]
    finally:
        await db.dispose()
    return []


def missing_scopes(headers: dict[str, Any]) -> list[str]:
    """The manifest's bot scopes the token does not have, from Slack's x-oauth-scopes header."""
    raw = next((v for k, v in headers.items() if k.lower() == "x-oauth-scopes"), "")
    if isinstance(raw, list):
        raw = ",".join(raw)
    granted = {scope.strip() for scope in str(raw).split(",") if scope.strip()}
    return [scope for scope in BOT_SCOPES if scope not in granted]


async def slack_problems(settings: Settings) -> list[str]:
    if settings.slack_bot_token is None:
        return []  # reported as not set already
    client = AsyncWebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=settings.slack_api_url,
        timeout=SLACK_TIMEOUT_SECONDS,
    )
    try:
        response = await client.auth_test()
    except SlackApiError as exc:
        error = slack_error(exc) or f"HTTP {exc.response.status_code}"
        return [f"SLACK_BOT_TOKEN: Slack's auth.test refused it ({error})"]
    except Exception as exc:  # DNS, refused connection, TLS, timeout: say which
        return [
            f"SLACK_API_URL: Slack did not answer auth.test at {settings.slack_api_url} ({exc!r})"
        ]
    problems = []
    missing = missing_scopes(dict(response.headers))
    if missing:
        problems.append(
            f"SLACK_BOT_TOKEN: the installed app lacks the bot scopes {', '.join(missing)}; "
            "add them under OAuth & Permissions (or recreate the app from `handoff manifest`) "
            "and reinstall it"
        )
    return (
        problems + await _app_token_problems(settings) + await _usergroup_problems(settings, client)
    )


async def _usergroup_problems(settings: Settings, client: AsyncWebClient) -> list[str]:
    """Routing's user groups (pools' members, managers) must exist in the workspace."""
    routing = settings.team.routing
    named = [
        (f"routing.pools.{i}.members.usergroup", pool.members.usergroup)
        for i, pool in enumerate(routing.pools)
    ] + [("routing.managers.usergroup", routing.managers.usergroup)]
    problems = []
    for key, group in named:
        if group is None:
            continue
        try:
            await client.usergroups_users_list(usergroup=group)
        except SlackApiError as exc:
            problems.append(f"{key}: Slack knows no user group {group} ({slack_error(exc)})")
    return problems


async def _app_token_problems(settings: Settings) -> list[str]:
    if settings.slack_app_token is None:
        return []
    from bot.slack.socket import AppTokenRefused, check_app_token

    try:
        await check_app_token(settings.slack_api_url, settings.slack_app_token.get_secret_value())
    except AppTokenRefused as exc:
        return [f"SLACK_APP_TOKEN: Slack refused it for Socket Mode ({exc.error})"]
    except Exception as exc:
        return [f"SLACK_API_URL: Slack did not answer apps.connections.open ({exc!r})"]
    return []
