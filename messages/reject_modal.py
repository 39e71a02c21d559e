"""The modal that asks for a rejection reason."""

from typing import Any

from bot.settings import TeamConfig
from messages.ids import ActionId, BlockId, CallbackId
from messages.metadata import RejectModalMetadata
from messages.rendering import Mrkdwn, render
from storage.models import Lead


def reject_modal(
    metadata: RejectModalMetadata, team: TeamConfig, lead: Lead | None = None
) -> dict[str, Any]:
    """The form. `lead` is optional because the modal opens before the lead is read."""
    required = [r.label for r in team.rejection_reasons if r.comment_required]
    return render(
        "reject_modal.json.j2",
        lead=lead,
        reasons=team.rejection_reasons,
        comment_required_for=", ".join(required),
        metadata=Mrkdwn(metadata.dump()),
        ActionId=ActionId,
        BlockId=BlockId,
        CallbackId=CallbackId,
    )


def reject_closed_modal(message_text: str) -> dict[str, Any]:
    """Replaces the form when the lead can no longer be rejected by this person."""
    return render("reject_closed_modal.json.j2", line=Mrkdwn(message_text), CallbackId=CallbackId)
