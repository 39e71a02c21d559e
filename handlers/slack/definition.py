"""The MQL definition's buttons: Send on / Return on a review post (more in later steps)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.definition.people import is_marketer
from bot.runtime.services import Services
from handlers.slack.errors import answering_errors
from handlers.slack.payloads import CardClick, parse_card_click
from messages.ids import ActionId
from storage.definition_review import DefinitionRefused, decide_review
from storage.refusals import StaleAction

logger = logging.getLogger(__name__)


def register(app: AsyncApp, services: Services) -> None:
    guarded = answering_errors(services)
    app.action(ActionId.DEFINITION_SEND_ON)(guarded(_review_listener(services, send_on=True)))
    app.action(ActionId.DEFINITION_RETURN)(guarded(_review_listener(services, send_on=False)))


def _click(body: dict[str, Any]) -> CardClick:
    click = parse_card_click(body)
    if click is None:
        raise StaleAction("lead")
    return click


def _review_listener(services: Services, *, send_on: bool) -> Callable[..., Awaitable[None]]:
    async def listener(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        click = _click(body)
        if not await is_marketer(services, click.user_id):
            raise DefinitionRefused(DefinitionRefused.NOT_A_MARKETER)
        where = {"channel": click.channel_id or "", "ts": click.message_ts or ""}
        async with services.db.session() as session:
            await decide_review(
                session,
                lead_id=click.lead_id,
                user_id=click.user_id,
                send_on=send_on,
                now=services.clock.now(),
                where=where,
            )
        services.outbox.wake()

    listener.__name__ = "on_send_on" if send_on else "on_return"
    return listener
