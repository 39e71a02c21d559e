"""The reject modal's submission: validate, store, close."""

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.definition.guarantee import after_rejection
from bot.leads.rejections import rejection_problems
from bot.runtime.services import Services
from handlers.slack.errors import answering_errors
from handlers.slack.payloads import parse_reject_submission
from messages.ids import BlockId, CallbackId
from messages.refusals import refusal_line
from messages.reject_modal import reject_closed_modal
from storage.transitions import TransitionRefused, reject_lead

LOST_LEAD = "This form lost its lead; close it and click Reject again."
FIELD_BLOCKS = {"reason": BlockId.REJECT_REASON, "comment": BlockId.REJECT_COMMENT}


def register(app: AsyncApp, services: Services) -> None:
    @app.view(CallbackId.REJECT_MODAL)
    @answering_errors(services)
    async def on_reject_submitted(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, view: dict[str, Any]
    ) -> None:
        metadata, form = parse_reject_submission(view)
        if metadata is None:
            await ack(
                response_action="errors",
                errors={BlockId.REJECT_REASON: LOST_LEAD},
            )
            return
        problems = rejection_problems(form, services.settings.team)
        if problems:
            await ack(
                response_action="errors",
                errors={FIELD_BLOCKS[field]: text for field, text in problems.items()},
            )
            return
        user_id = body["user"]["id"]
        try:
            # Stored before the ack: the answer to this request says whether it worked.
            async with services.db.session() as session:
                await reject_lead(
                    session,
                    lead_id=metadata.lead_id,
                    user_id=user_id,
                    reason_id=form.reason_id or "",
                    comment=(form.comment or "").strip() or None,
                    now=services.clock.now(),
                )
                # The lead guarantee: a definition miss of a lead below it is credited back.
                await after_rejection(
                    session,
                    services.settings.team,
                    lead_id=metadata.lead_id,
                    reason_id=form.reason_id or "",
                    now=services.clock.now(),
                )
        except TransitionRefused as refused:
            await ack(
                response_action="update",
                view=reject_closed_modal(refusal_line(refused, services.settings.team)),
            )
            return
        await ack()
        services.outbox.wake()
