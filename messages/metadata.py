"""What travels inside a button's `value` or a modal's `private_metadata`.

Slack gives these back untouched, but anybody can forge a request body only
with the signing secret; still, every field is validated when it returns.
"""

from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from storage.models import MAX_LEAD_ID

LeadId = Annotated[int, Field(ge=1, le=MAX_LEAD_ID)]


class _Metadata(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def dump(self) -> str:
        return self.model_dump_json(exclude_none=True)

    @classmethod
    def load(cls, raw: str | None) -> Self | None:
        if not raw:
            return None
        try:
            return cls.model_validate_json(raw)
        except ValidationError:
            return None


class LeadRef(_Metadata):
    """A button on a lead card or a lead DM."""

    lead_id: LeadId


class RejectModalMetadata(_Metadata):
    lead_id: LeadId
    # Where the click came from, so the person can be answered there.
    channel_id: str | None = None


class HandOverMetadata(_Metadata):
    """The hand-over modal: which lead, and where the click came from (for answers)."""

    lead_id: LeadId
    channel_id: str | None = None


class RejectionRef(_Metadata):
    """The Dispute button on a rejection notice: the lead and the rejection it disputes."""

    lead_id: LeadId
    event_id: Annotated[int, Field(ge=1, le=MAX_LEAD_ID)]


class DisputeModalMetadata(RejectionRef):
    # The notice the dispute is about: decisions are answered in its thread.
    channel_id: str | None = None
    ts: str | None = None


class DisputeButtonRef(_Metadata):
    """Uphold / Overturn in a manager's DM."""

    dispute_id: Annotated[int, Field(ge=1, le=MAX_LEAD_ID)]
