"""Every action, block and callback id, shared by templates and listeners."""

from enum import StrEnum


class Command(StrEnum):
    """Slash commands, as the manifest declares them and answers name them."""

    LEADFEEDBACK = "/leadfeedback"
    # Reps' own command (routing): /handoff away [until DATE], /handoff back.
    HANDOFF = "/handoff"


class ActionId(StrEnum):
    CLAIM = "lead_claim"
    REJECT = "lead_reject"
    ACCEPT = "lead_accept"
    RELEASE = "lead_release"
    OPEN_CRM = "lead_open_crm"
    REJECT_REASON = "reject_reason"
    REJECT_COMMENT = "reject_comment"
    # Routing (assign mode): pass an assigned lead to a colleague; the App Home away toggle.
    HAND_OVER = "lead_hand_over"
    HAND_OVER_TO = "hand_over_to"
    HAND_OVER_NOTE = "hand_over_note"
    HOME_AWAY = "home_away"
    HOME_BACK = "home_back"
    # The MQL definition (bot/definition/).
    DEFINITION_SEND_ON = "definition_send_on"
    DEFINITION_RETURN = "definition_return"
    DISPUTE = "definition_dispute"
    DISPUTE_EXPLANATION = "definition_dispute_explanation"
    DISPUTE_UPHOLD = "definition_dispute_uphold"
    DISPUTE_OVERTURN = "definition_dispute_overturn"


class BlockId(StrEnum):
    LEAD_ACTIONS = "lead_actions"
    REJECT_REASON = "reject_reason_block"
    REJECT_COMMENT = "reject_comment_block"
    HAND_OVER_TO = "hand_over_to_block"
    HAND_OVER_NOTE = "hand_over_note_block"
    ROUTING_DM_ACTIONS = "routing_dm_actions"
    DEFINITION_REVIEW = "definition_review"
    DISPUTE_EXPLANATION = "definition_dispute_explanation_block"
    DISPUTE_DECISION = "definition_dispute_decision"


class CallbackId(StrEnum):
    REJECT_MODAL = "lead_reject_modal"
    HAND_OVER_MODAL = "lead_hand_over_modal"
    DISPUTE_MODAL = "definition_dispute_modal"
