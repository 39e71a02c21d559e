"""The one error path: refusals become polite private answers, bugs get a reference.

Every listener is wrapped with `answering_errors(services)`: it acks first (as
every listener must), and whatever it raises after that is answered here, never
left to Bolt. In Bolt's async runner an exception raised after ack() can reset
the ack before the HTTP answer is sent, and Slack would then show the person an
error; so nothing escapes the wrapper.
"""

from __future__ import annotations

import functools
import inspect
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.runtime.logs import current_request_id
from bot.runtime.services import Services
from handlers.slack.replies import answer_privately
from messages.refusals import refusal_message, something_went_wrong
from storage.refusals import Refusal

logger = logging.getLogger(__name__)

Listener = Callable[..., Awaitable[None]]


def register(app: AsyncApp, services: Services) -> None:
    """For errors raised before a listener runs (payload parsing, middleware)."""

    async def on_error(error: Exception, body: dict[str, Any], client: AsyncWebClient) -> None:
        await answer_error(services, error, body, client)

    app.error(on_error)


def answering_errors(services: Services) -> Callable[[Listener], Listener]:
    """Wrap a listener that takes `ack`, `body` and `client` (and maybe `respond`)."""

    def wrap(listener: Listener) -> Listener:
        names = set(inspect.signature(listener).parameters)
        missing = {"ack", "body", "client"} - names
        if missing:
            raise TypeError(f"{listener.__name__} must take {', '.join(sorted(missing))}")

        @functools.wraps(listener)
        async def guarded(**kwargs: Any) -> None:
            try:
                await listener(**kwargs)
            except Exception as error:
                ack = kwargs["ack"]
                if ack.response is None:
                    await ack()
                await answer_error(
                    services, error, kwargs["body"], kwargs["client"], kwargs.get("respond")
                )

        return guarded

    return wrap


async def answer_error(
    services: Services,
    error: Exception,
    body: dict[str, Any],
    client: AsyncWebClient,
    respond: Callable[..., Awaitable[Any]] | None = None,
) -> None:
    if isinstance(error, Refusal):
        message = refusal_message(error, services.settings.team)
    else:
        # The request id, so the reference a person quotes finds every line of that request.
        reference = current_request_id() or uuid.uuid4().hex[:8]
        logger.error("unhandled error (ref %s)", reference, exc_info=error)
        message = something_went_wrong(reference)
    await answer_privately(client, body, message, respond=respond)
