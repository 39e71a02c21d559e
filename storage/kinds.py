"""Every kind of outbox row and lead event, the payload each outbox kind carries, and the
unique keys of once-only work: one place for each.

Outbox rows outlive the process that queued them (a newer replica may queue a
kind an older one does not know), so the kind is stored as text and its
payload as JSON; the models below are how both ends agree on that JSON.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError


class OutboxKind(StrEnum):
    # A lead's card and what follows from it (bot/leads/).
    POST_CARD = "post_card"
    UPDATE_CARD = "update_card"
    THREAD_REPLY = "thread_reply"
    REJECTION_NOTICE = "rejection_notice"
    # A message about a lead whose personal data was erased, rewritten to say so.
    ERASE_MESSAGE = "erase_message"
    # The SLA clock (bot/sla/).
    SLA_NUDGE = "sla_nudge"
    SLA_ESCALATION = "sla_escalation"
    SLA_THREAD_NOTE = "sla_thread_note"
    SLA_DM_REFRESH = "sla_dm_refresh"
    # The shared numbers (bot/feedback/).
    OUTCOME_REPLY = "outcome_reply"
    DM_HELP = "dm_help"
    DIGEST_POST = "digest_post"
    DIGEST_THREAD = "digest_thread"
    DIGEST_CHART = "digest_chart"
    # The monthly survey (bot/survey/).
    SURVEY_DM = "survey_dm"
    SURVEY_REMINDER = "survey_reminder"
    SURVEY_SUMMARY = "survey_summary"
    SURVEY_SUMMARY_PART = "survey_summary_part"
    # The CRM in the loop (bot/crm/).
    CRM_FETCH = "crm_fetch"  # read a pushed record and store it as a lead if it is an MQL
    CRM_WRITE = "crm_write"  # owner and status of the lead's CRM record after a transition
    CRM_NOTE = "crm_note"  # a note (HubSpot) or completed task (Salesforce) on a rejection
    # Routing (bot/routing/): the assignee's DM, a breach's reassignment and its notices.
    ROUTING_DM = "routing_dm"
    ROUTING_REASSIGN = "routing_reassign"
    ROUTING_BREACH_NOTICE = "routing_breach_notice"
    # A person's App Home tab, published again when what it shows changed (assign mode).
    APP_HOME = "app_home"
    # The agreed MQL definition (bot/definition/).
    DEFINITION_REVIEW_LEAD = "definition_review_lead"  # on_miss review: Send on / Return
    DEFINITION_REVIEW_UPDATE = "definition_review_update"  # that message, once decided
    DISPUTE_REQUEST = "dispute_request"  # a dispute to one manager's DM: Uphold / Overturn
    DISPUTE_THREAD = "dispute_thread"  # a dispute's news in the rejection notice's thread
    DISPUTE_DECIDED = "dispute_decided"  # a request or the notice, redrawn without buttons
    DEFINITION_MONTHLY = "definition_monthly"  # the monthly definition review, to one target


class EventKind(StrEnum):
    """What can happen to a lead; each is one row of its audit trail."""

    POSTED = "posted"
    CLAIMED = "claimed"
    ACCEPTED = "accepted"
    RELEASED = "released"
    REJECTED = "rejected"
    NUDGED = "nudged"
    BREACHED = "breached"
    # The SLA took back a claim nobody worked before the deadline.
    SLA_RELEASED = "sla_released"
    # The lead's personal data was erased (the event holds who asked and why, nothing else).
    ERASED = "erased"
    # The CRM record stopped being an MQL before the card was posted (bot/crm/).
    WITHDRAWN = "withdrawn"
    # The first sales activity the CRM recorded after the card was posted.
    FIRST_TOUCH = "first_touch"
    # A withdrawn lead's record became an MQL again: it arrives anew.
    REQUALIFIED = "requalified"
    # An operator dropped Slack work about the lead (`handoff outbox drop`); detail says why.
    OUTBOX_DROPPED = "outbox_dropped"
    # Routing (bot/routing/): given to a rep by the rules, handed to a colleague,
    # moved on after a breach, or left to Claim because nobody was available.
    ASSIGNED = "assigned"
    HANDED_OVER = "handed_over"
    REASSIGNED = "reassigned"
    UNROUTED = "unrouted"
    # The agreed MQL definition (bot/definition/): a lead below it went back to nurture
    # without a card (on_miss return, or a marketer's Return in review) ...
    RETURNED = "returned"
    # ... or a marketer sent it on to sales anyway (on_miss review).
    SENT_ON = "sent_on"
    # A definition-miss rejection of a lead that missed a criterion: marketing's miss.
    CREDITED_BACK = "credited_back"
    # A definition-miss rejection of a lead that met every criterion, disputed and decided.
    DISPUTE_OPENED = "dispute_opened"
    DISPUTE_UPHELD = "dispute_upheld"
    DISPUTE_OVERTURNED = "dispute_overturned"


# --- payloads -----------------------------------------------------------------------------


class Payload(BaseModel):
    # Rows queued by an older release may carry keys this one no longer reads.
    model_config = ConfigDict(frozen=True, extra="ignore")


class NoPayload(Payload):
    pass


class EventRef(Payload):
    event_id: int


class NudgeRef(EventRef):
    offset_seconds: int


class ThreadNoteRef(EventRef):
    note: str = "released"


class DmRef(Payload):
    channel: str
    ts: str
    superseded: bool = False


class MessageRef(Payload):
    """A message somebody wrote (its channel and ts), e.g. in the bot's DM."""

    channel: str
    ts: str


class ErasedRef(Payload):
    channel: str
    ts: str


class OutcomeRef(Payload):
    outcome_id: int


class DigestRef(Payload):
    post_id: int
    # Blocks that other capabilities contributed (bot/runtime/registry.py DigestSection).
    sections: list[dict[str, Any]] = []


class CrmRecordRef(Payload):
    provider: str
    record_id: str


class AssignmentRef(Payload):
    """One routing decision (storage/routing_models.py Assignment)."""

    assignment_id: int


class BreachNoticeRef(AssignmentRef):
    """Who is told that a breached lead moved on: the rep it left, or the escalation contact."""

    to: str


class HomeRef(Payload):
    """Whose App Home to publish: one person, or (`marketers`) every marketer and admin."""

    user_id: str | None = None
    marketers: bool = False


class DisputeRef(Payload):
    dispute_id: int


class DisputeManagerRef(DisputeRef):
    user_id: str


class DisputeMessageRef(DisputeRef):
    """A message with a dispute's buttons: a manager's request, or (`notice`) the rejection
    notice in the marketing channel."""

    channel: str
    ts: str
    notice: bool = False


class ReviewMonthRef(Payload):
    review_id: int
    month: str
    to: str  # the marketing channel, or a manager's user id (a DM)


class SurveyRef(Payload):
    survey_id: int


class SurveyRecipientRef(SurveyRef):
    user_id: str


class SurveyPartRef(SurveyRef):
    part: int


PAYLOADS: dict[OutboxKind, type[Payload]] = {
    OutboxKind.POST_CARD: NoPayload,
    OutboxKind.UPDATE_CARD: NoPayload,
    OutboxKind.THREAD_REPLY: EventRef,
    OutboxKind.REJECTION_NOTICE: EventRef,
    OutboxKind.ERASE_MESSAGE: ErasedRef,
    OutboxKind.SLA_NUDGE: NudgeRef,
    OutboxKind.SLA_ESCALATION: EventRef,
    OutboxKind.SLA_THREAD_NOTE: ThreadNoteRef,
    OutboxKind.SLA_DM_REFRESH: DmRef,
    OutboxKind.OUTCOME_REPLY: OutcomeRef,
    OutboxKind.DM_HELP: MessageRef,
    OutboxKind.DIGEST_POST: DigestRef,
    OutboxKind.DIGEST_THREAD: DigestRef,
    OutboxKind.DIGEST_CHART: DigestRef,
    OutboxKind.SURVEY_DM: SurveyRecipientRef,
    OutboxKind.SURVEY_REMINDER: SurveyRecipientRef,
    OutboxKind.SURVEY_SUMMARY: SurveyRef,
    OutboxKind.SURVEY_SUMMARY_PART: SurveyPartRef,
    OutboxKind.CRM_FETCH: CrmRecordRef,
    OutboxKind.CRM_WRITE: EventRef,
    OutboxKind.CRM_NOTE: EventRef,
    OutboxKind.ROUTING_DM: AssignmentRef,
    OutboxKind.ROUTING_REASSIGN: EventRef,
    OutboxKind.ROUTING_BREACH_NOTICE: BreachNoticeRef,
    OutboxKind.APP_HOME: HomeRef,
    OutboxKind.DEFINITION_REVIEW_LEAD: NoPayload,
    OutboxKind.DEFINITION_REVIEW_UPDATE: EventRef,
    OutboxKind.DISPUTE_REQUEST: DisputeManagerRef,
    OutboxKind.DISPUTE_THREAD: EventRef,
    OutboxKind.DISPUTE_DECIDED: DisputeMessageRef,
    OutboxKind.DEFINITION_MONTHLY: ReviewMonthRef,
}

P = TypeVar("P", bound=Payload)


class BadPayload(Exception):
    """A stored payload that does not fit its kind's model."""


def check_payload(kind: OutboxKind, payload: Payload) -> dict[str, Any]:
    """The JSON to store for `kind`; refuses a payload of another kind's model."""
    expected = PAYLOADS[kind]
    if type(payload) is not expected:
        raise TypeError(f"{kind} carries {expected.__name__}, not {type(payload).__name__}")
    return payload.model_dump(mode="json")


def read_payload(model: type[P], stored: dict[str, Any]) -> P:
    try:
        return model.model_validate(stored)
    except ValidationError as exc:
        raise BadPayload(str(exc)) from exc


# --- unique keys of once-only work ----------------------------------------------------------


def card_key(lead_id: int) -> str:
    return f"card:{lead_id}"


def card_again_key(lead_id: int, event_id: int) -> str:
    """A card for a lead the CRM withdrew and then qualified again (the event says when)."""
    return f"card:{lead_id}:again:{event_id}"


def reply_key(event_id: int) -> str:
    return f"reply:{event_id}"


def rejection_notice_key(event_id: int) -> str:
    return f"rejection:{event_id}"


def dm_help_key(channel: str, ts: str) -> str:
    """One answer per message typed to the bot, however often Slack delivers the event."""
    return f"dm-help:{channel}:{ts}"


def erase_key(channel: str, ts: str) -> str:
    return f"erase:{channel}:{ts}"


def outcome_reply_key(outcome_id: int) -> str:
    return f"outcome:{outcome_id}"


def _of_round(key: str, sla_round: int) -> str:
    """A step of a lead's SLA clock: the first clock's keys stay as they always were
    (deployed databases hold rows under them; another spelling would send them again),
    a clock started again (`Lead.sla_round`) names its round, so its steps are its own."""
    return key if sla_round == 0 else f"{key}:round:{sla_round}"


def nudge_key(lead_id: int, offset_seconds: int, sla_round: int) -> str:
    return _of_round(f"nudge:{lead_id}:{offset_seconds}", sla_round)


def breach_key(lead_id: int, sla_round: int) -> str:
    return _of_round(f"breach:{lead_id}", sla_round)


def sla_note_key(lead_id: int, note: str, sla_round: int) -> str:
    return _of_round(f"sla-note:{lead_id}:{note}", sla_round)


def sla_card_key(lead_id: int, status: str, sla_round: int) -> str:
    return _of_round(f"sla-card:{lead_id}:{status}", sla_round)


def dm_after_event_key(event_id: int) -> str:
    return f"sla-dm:event:{event_id}"


def dm_superseded_key(ts: str) -> str:
    return f"sla-dm:superseded:{ts}"


def dm_late_key(ts: str) -> str:
    return f"sla-dm:late:{ts}"


def digest_key(week: str, trigger: str | None) -> str:
    """The scheduled digest of a week has no trigger; one posted by hand names how."""
    return f"digest:{week}" if trigger is None else f"digest:{week}:{trigger}"


def digest_part_key(kind: OutboxKind, post_id: int) -> str:
    return f"{kind}:{post_id}"


def survey_dm_key(survey_id: int, user_id: str) -> str:
    return f"survey:{survey_id}:dm:{user_id}"


def survey_reminder_key(survey_id: int, user_id: str) -> str:
    return f"survey:{survey_id}:remind:{user_id}"


def survey_summary_key(survey_id: int) -> str:
    return f"survey:{survey_id}:summary"


def survey_summary_part_key(survey_id: int, part: int) -> str:
    return f"survey:{survey_id}:summary:part:{part}"


def crm_fetch_key(provider: str, delivery_id: str) -> str:
    """One fetch per pushed event (HubSpot eventId, Salesforce notification id): a retried
    delivery of the same event queues nothing new."""
    return f"crm-fetch:{provider}:{delivery_id}"


def crm_write_key(event_id: int) -> str:
    return f"crm-write:{event_id}"


def crm_note_key(event_id: int) -> str:
    return f"crm-note:{event_id}"


def routing_dm_key(assignment_id: int) -> str:
    return f"routing-dm:{assignment_id}"


def routing_reassign_key(lead_id: int, reassignments: int) -> str:
    """One reassignment per breach: the lead's count of earlier ones tells them apart."""
    return f"routing-reassign:{lead_id}:{reassignments}"


def routing_breach_notice_key(assignment_id: int, to: str) -> str:
    return f"routing-breach:{assignment_id}:{to}"


def definition_review_key(lead_id: int) -> str:
    return f"definition-review:{lead_id}"


def definition_review_update_key(event_id: int) -> str:
    return f"definition-review:event:{event_id}"


def dispute_request_key(dispute_id: int, user_id: str) -> str:
    return f"dispute:{dispute_id}:request:{user_id}"


def dispute_thread_key(event_id: int) -> str:
    return f"dispute:event:{event_id}"


def dispute_decided_key(dispute_id: int, channel: str, ts: str) -> str:
    """One redraw per message of a decided dispute, whether the decision or the message's
    late recording queued it."""
    return f"dispute:{dispute_id}:decided:{channel}:{ts}"


def definition_monthly_key(month: str, target: str) -> str:
    return f"definition-monthly:{month}:{target}"
