"""Typed views of the Slack payloads the listeners read."""

from dataclasses import dataclass
from typing import Any

from bot.leads.rejections import RejectionForm
from messages.ids import ActionId, BlockId
from messages.metadata import LeadRef, RejectModalMetadata


@dataclass(frozen=True)
class CardClick:
    user_id: str
    lead_id: int
    channel_id: str | None
    message_ts: str | None
    trigger_id: str | None


def parse_card_click(body: dict[str, Any]) -> CardClick | None:
    """A click on a lead button, or None when the payload is not one of ours."""
    actions = body.get("actions") or []
    ref = LeadRef.load(actions[0].get("value")) if actions else None
    user_id = (body.get("user") or {}).get("id")
    if ref is None or not user_id:
        return None
    container = body.get("container") or {}
    channel_id = (body.get("channel") or {}).get("id") or container.get("channel_id")
    return CardClick(
        user_id=user_id,
        lead_id=ref.lead_id,
        channel_id=channel_id,
        message_ts=container.get("message_ts"),
        trigger_id=body.get("trigger_id"),
    )


def parse_reject_submission(
    view: dict[str, Any],
) -> tuple[RejectModalMetadata | None, RejectionForm]:
    values = (view.get("state") or {}).get("values") or {}
    reason = (values.get(BlockId.REJECT_REASON) or {}).get(ActionId.REJECT_REASON) or {}
    comment = (values.get(BlockId.REJECT_COMMENT) or {}).get(ActionId.REJECT_COMMENT) or {}
    selected = reason.get("selected_option") or {}
    return (
        RejectModalMetadata.load(view.get("private_metadata")),
        RejectionForm(reason_id=selected.get("value"), comment=comment.get("value")),
    )


def user_and_channel(body: dict[str, Any]) -> tuple[str | None, str | None]:
    """Who acted and where, for answering them, across actions, views and commands."""
    user = (body.get("user") or {}).get("id") or body.get("user_id")
    channel = (
        (body.get("channel") or {}).get("id")
        or (body.get("container") or {}).get("channel_id")
        or body.get("channel_id")
    )
    if channel is None and body.get("view"):
        meta = RejectModalMetadata.load((body.get("view") or {}).get("private_metadata"))
        channel = meta.channel_id if meta else None
    return user, channel
