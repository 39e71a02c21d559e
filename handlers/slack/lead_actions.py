"""Claim, Accept (SQL), Release and Reject buttons on lead cards."""

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.leads.clicks import once_posted
from bot.runtime.services import Services
from handlers.slack.errors import answering_errors
from handlers.slack.payloads import CardClick, parse_card_click
from messages.ids import ActionId
from messages.metadata import RejectModalMetadata
from messages.refusals import refusal_line
from messages.reject_modal import reject_closed_modal, reject_modal
from storage.refusals import StaleAction
from storage.transitions import (
    Transition,
    TransitionRefused,
    accept_lead,
    check_rejectable,
    claim_lead,
    release_lead,
)

logger = logging.getLogger(__name__)
TransitionFn = Callable[..., Awaitable[Transition]]


def register(app: AsyncApp, services: Services) -> None:
    guarded = answering_errors(services)
    for action_id, transition in (
        (ActionId.CLAIM, claim_lead),
        (ActionId.ACCEPT, accept_lead),
        (ActionId.RELEASE, release_lead),
    ):
        app.action(action_id)(guarded(_transition_listener(services, transition)))
    app.action(ActionId.REJECT)(guarded(_reject_listener(services)))

    @app.action(ActionId.OPEN_CRM)
    async def open_crm(ack: AsyncAck) -> None:
        # A link button still sends an action; Slack wants it acknowledged.
        await ack()


def _click(body: dict[str, Any]) -> CardClick:
    click = parse_card_click(body)
    if click is None:
        actions = body.get("actions") or [{}]
        logger.warning("a lead button without a lead (%s)", actions[0].get("action_id"))
        raise StaleAction("lead")
    return click


def _transition_listener(
    services: Services, transition: TransitionFn
) -> Callable[..., Awaitable[None]]:
    async def listener(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        click = _click(body)
        await once_posted(
            services.db,
            lambda session: transition(
                session, lead_id=click.lead_id, user_id=click.user_id, now=services.clock.now()
            ),
        )
        services.outbox.wake()

    listener.__name__ = f"on_{transition.__name__}"
    return listener


def _reject_listener(services: Services) -> Callable[..., Awaitable[None]]:
    async def on_reject(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        click = _click(body)
        if not click.trigger_id:
            raise StaleAction("lead")
        metadata = RejectModalMetadata(lead_id=click.lead_id, channel_id=click.channel_id)
        team = services.settings.team
        # The trigger_id expires three seconds after the click: open first, check after.
        opened = await client.views_open(
            trigger_id=click.trigger_id, view=reject_modal(metadata, team)
        )
        try:
            await once_posted(
                services.db,
                lambda session: check_rejectable(
                    session, lead_id=click.lead_id, user_id=click.user_id
                ),
            )
        except TransitionRefused as refused:
            view = opened["view"]
            await client.views_update(
                view_id=view["id"],
                hash=view.get("hash"),
                view=reject_closed_modal(refusal_line(refused, team)),
            )

    return on_reject
