"""The MQL definition's buttons and form: Send on / Return, Dispute, Uphold / Overturn."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.definition.disputes import check_dispute, decide, open_and_ask
from bot.definition.people import is_marketer
from bot.runtime.services import Services
from handlers.slack.errors import answering_errors
from handlers.slack.payloads import CardClick, parse_card_click
from messages.definition import dispute_modal
from messages.ids import ActionId, BlockId, CallbackId
from messages.metadata import DisputeButtonRef, DisputeModalMetadata, RejectionRef
from messages.refusals import refusal_line
from storage.definition_review import DefinitionRefused, decide_review
from storage.refusals import StaleAction

NO_EXPLANATION = "Say in a few words why this lead fits the definition."


def register(app: AsyncApp, services: Services) -> None:
    guarded = answering_errors(services)
    app.action(ActionId.DEFINITION_SEND_ON)(guarded(_review_listener(services, send_on=True)))
    app.action(ActionId.DEFINITION_RETURN)(guarded(_review_listener(services, send_on=False)))
    app.action(ActionId.DISPUTE)(guarded(_dispute_listener(services)))
    app.view(CallbackId.DISPUTE_MODAL)(guarded(_dispute_submitted(services)))
    app.action(ActionId.DISPUTE_UPHOLD)(guarded(_decision_listener(services, overturn=False)))
    app.action(ActionId.DISPUTE_OVERTURN)(guarded(_decision_listener(services, overturn=True)))


def _click(body: dict[str, Any]) -> CardClick:
    click = parse_card_click(body)
    if click is None:
        raise StaleAction("lead")
    return click


def _value(body: dict[str, Any]) -> str | None:
    actions = body.get("actions") or [{}]
    return actions[0].get("value")


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


def _dispute_listener(services: Services) -> Callable[..., Awaitable[None]]:
    async def on_dispute(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        ref = RejectionRef.load(_value(body))
        user_id = (body.get("user") or {}).get("id")
        if ref is None or not user_id or not body.get("trigger_id"):
            raise StaleAction("rejection")
        lead, reason_label = await check_dispute(services, ref, user_id)
        container = body.get("container") or {}
        metadata = DisputeModalMetadata(
            lead_id=ref.lead_id,
            event_id=ref.event_id,
            channel_id=container.get("channel_id"),
            ts=container.get("message_ts"),
        )
        view = dispute_modal(metadata, lead, reason_label)
        await client.views_open(trigger_id=body["trigger_id"], view=view)

    return on_dispute


def _dispute_submitted(services: Services) -> Callable[..., Awaitable[None]]:
    async def on_dispute_submitted(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        view = body.get("view") or {}
        metadata = DisputeModalMetadata.load(view.get("private_metadata"))
        values = (view.get("state") or {}).get("values") or {}
        block = values.get(BlockId.DISPUTE_EXPLANATION) or {}
        explanation = ((block.get(ActionId.DISPUTE_EXPLANATION) or {}).get("value") or "").strip()
        if metadata is None or not explanation:
            await ack(
                response_action="errors",
                errors={BlockId.DISPUTE_EXPLANATION: NO_EXPLANATION},
            )
            return
        # Stored before the ack: the form's answer says whether it worked.
        try:
            await open_and_ask(services, metadata, body["user"]["id"], explanation[:2000])
        except DefinitionRefused as refused:
            line = refusal_line(refused, services.settings.team)
            await ack(response_action="errors", errors={BlockId.DISPUTE_EXPLANATION: line})
            return
        await ack()
        services.outbox.wake()

    return on_dispute_submitted


def _decision_listener(services: Services, *, overturn: bool) -> Callable[..., Awaitable[None]]:
    async def listener(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        ref = DisputeButtonRef.load(_value(body))
        user_id = (body.get("user") or {}).get("id")
        if ref is None or not user_id:
            raise StaleAction("dispute")
        await decide(services, ref.dispute_id, user_id, overturn=overturn)
        services.outbox.wake()

    listener.__name__ = "on_overturn" if overturn else "on_uphold"
    return listener
