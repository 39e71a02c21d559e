"""What every Slack request tells the metrics: a Bolt middleware in front of all listeners.

It counts each click, modal submission and slash command by a bounded id (ours, or
`other`: ids come from the request body, and a label per arbitrary string would grow
Prometheus without bound), and gives the listeners a Slack client that counts their
API calls (bot/slack/client.py says why Bolt's own per-request client cannot).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.runtime.dispatch import HELP_WORDS, split_args
from bot.runtime.logs import REQUEST_ID, new_id
from bot.runtime.services import Services
from bot.slack.client import counting_copy
from messages.ids import ActionId, CallbackId, Command
from messages.survey_ids import SurveyActionId, SurveyCallbackId

OTHER = "other"
KNOWN_ACTIONS = frozenset({*ActionId, *SurveyActionId})
KNOWN_VIEWS = frozenset({*CallbackId, *SurveyCallbackId})


def register(app: AsyncApp, services: Services) -> None:
    telemetry = services.telemetry

    @app.middleware
    async def observe(
        request: AsyncBoltRequest,
        context: AsyncBoltContext,
        body: dict[str, Any],
        next: Callable[[], Awaitable[None]],
    ) -> None:
        if request.mode == "socket_mode":
            # No HTTP request (handlers/http/request_ids.py) carries this one: give it an id.
            REQUEST_ID.set(new_id())
        counted = interaction_of(body, services)
        if counted is not None:
            telemetry.interaction(*counted)
        if context.client is not None:
            context["client"] = counting_copy(context.client, telemetry.slack_call)
        await next()


def interaction_of(body: Any, services: Services) -> tuple[str, str] | None:
    """(type, id) of a click, a modal submission or a slash command; None for the rest."""
    if not isinstance(body, dict):
        return None
    if isinstance(body.get("command"), str):
        return "command", _command_id(body["command"], body.get("text"), services)
    kind = body.get("type")
    if kind == "block_actions":
        actions = body.get("actions")
        first = actions[0] if isinstance(actions, list) and actions else None
        action_id = first.get("action_id") if isinstance(first, dict) else None
        return "block_actions", action_id if action_id in KNOWN_ACTIONS else OTHER
    if kind in ("view_submission", "view_closed"):
        view = body.get("view")
        callback_id = view.get("callback_id") if isinstance(view, dict) else None
        return kind, callback_id if callback_id in KNOWN_VIEWS else OTHER
    return None


def _command_id(command: str, text: Any, services: Services) -> str:
    if command not in set(Command):
        return OTHER
    args = split_args(text.strip()) if isinstance(text, str) else []
    name = args[0].lower() if args else "help"
    if name in HELP_WORDS:
        name = "help"
    elif services.registry.subcommands.get(name) is None:
        name = "unknown"
    return f"{command} {name}"
