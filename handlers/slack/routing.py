"""Routing's listeners: /handoff away|back, the Hand over button and its modal (assign mode)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.leads.clicks import once_posted
from bot.routing.away import USAGE, AwayRequest, AwayUsage, apply_away, parse_away
from bot.routing.handover import (
    HandOverForm,
    check_hand_over,
    current_owner,
    form_problems,
    hand_over,
    may_hand_over,
)
from bot.runtime.services import Services
from handlers.slack.errors import Listener, answering_errors
from handlers.slack.payloads import parse_card_click
from messages.ids import ActionId, BlockId, CallbackId, Command
from messages.metadata import HandOverMetadata
from messages.notices import notice
from messages.refusals import refusal_line
from messages.routing import hand_over_closed_modal, hand_over_modal
from storage.refusals import Refusal, StaleAction

LOST_LEAD = "This form lost its lead; close it and click Hand over again."
FIELD_BLOCKS = {"to": BlockId.HAND_OVER_TO, "note": BlockId.HAND_OVER_NOTE}


def register(app: AsyncApp, services: Services) -> None:
    guarded = answering_errors(services)
    app.command(Command.HANDOFF)(guarded(_handoff_command(services)))
    app.action(ActionId.HOME_AWAY)(guarded(_away_toggle(services, "away")))
    app.action(ActionId.HOME_BACK)(guarded(_away_toggle(services, "back")))
    app.action(ActionId.HAND_OVER)(guarded(_hand_over_clicked(services)))
    app.view(CallbackId.HAND_OVER_MODAL)(guarded(_hand_over_submitted(services)))


def _handoff_command(services: Services) -> Listener:
    async def on_handoff(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        await ack()
        user_id = body.get("user_id", "")
        today = services.clock.now().astimezone(services.settings.team.zone).date()
        try:
            request = parse_away(body.get("text") or "", today)
        except AwayUsage as usage:
            text = f"{usage} Use {USAGE}".strip()
            await respond(response_type="ephemeral", **notice(text).as_kwargs())
            return
        answer = await apply_away(services, user_id, request)
        await respond(response_type="ephemeral", **notice(answer).as_kwargs())

    return on_handoff


def _away_toggle(services: Services, action: str) -> Listener:
    """The App Home's Away / Back button."""

    async def on_home_toggle(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        user_id = (body.get("user") or {}).get("id") or ""
        await apply_away(services, user_id, AwayRequest(action))

    on_home_toggle.__name__ = f"on_home_{action}"
    return on_home_toggle


def _hand_over_clicked(services: Services) -> Listener:
    async def on_hand_over(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        click = parse_card_click(body)
        if click is None or not click.trigger_id:
            raise StaleAction("lead")
        metadata = HandOverMetadata(lead_id=click.lead_id, channel_id=click.channel_id)
        # The trigger_id expires three seconds after the click: open first, check after.
        opened = await client.views_open(
            trigger_id=click.trigger_id, view=hand_over_modal(metadata)
        )
        manager = await may_hand_over(services, click.user_id)
        try:
            await once_posted(
                services.db,
                lambda session: check_hand_over(
                    session, lead_id=click.lead_id, user_id=click.user_id, manager=manager
                ),
            )
        except Refusal as refused:
            view = opened["view"]
            await client.views_update(
                view_id=view["id"],
                hash=view.get("hash"),
                view=hand_over_closed_modal(refusal_line(refused, services.settings.team)),
            )

    return on_hand_over


def _hand_over_submitted(services: Services) -> Listener:
    async def on_hand_over_submitted(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, view: dict[str, Any]
    ) -> None:
        metadata = HandOverMetadata.load(view.get("private_metadata"))
        if metadata is None:
            await ack(response_action="errors", errors={BlockId.HAND_OVER_TO: LOST_LEAD})
            return
        form = _form(view)
        owner_id = await current_owner(services, metadata.lead_id)
        problems = await form_problems(services, form, owner_id)
        if problems:
            errors = {FIELD_BLOCKS[field]: text for field, text in problems.items()}
            await ack(response_action="errors", errors=errors)
            return
        try:
            await hand_over(
                services,
                lead_id=metadata.lead_id,
                actor_id=body["user"]["id"],
                to_id=form.to_id or "",
                note=form.note or "",
            )
        except Refusal as refused:
            line = refusal_line(refused, services.settings.team)
            await ack(response_action="update", view=hand_over_closed_modal(line))
            return
        await ack()

    return on_hand_over_submitted


def _form(view: dict[str, Any]) -> HandOverForm:
    values = (view.get("state") or {}).get("values") or {}
    to = (values.get(BlockId.HAND_OVER_TO) or {}).get(ActionId.HAND_OVER_TO) or {}
    note = (values.get(BlockId.HAND_OVER_NOTE) or {}).get(ActionId.HAND_OVER_NOTE) or {}
    return HandOverForm(to_id=to.get("selected_user"), note=note.get("value"))
