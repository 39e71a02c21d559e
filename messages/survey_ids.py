"""The survey's action, block and callback ids, and what its buttons and modal carry."""

from enum import StrEnum

from messages.metadata import _Metadata


class SurveyActionId(StrEnum):
    OPEN = "survey_open"  # the "Share what customers said" button in the DM
    ANSWER = "survey_answer"  # every input in the modal (block ids tell them apart)


class SurveyBlockId(StrEnum):
    DM_ACTIONS = "survey_dm_actions"
    QUESTION_PREFIX = "survey_q_"


class SurveyCallbackId(StrEnum):
    MODAL = "survey_modal"
    CLOSED = "survey_closed"
    THANKS = "survey_thanks"


def question_block_id(question_id: str) -> str:
    return f"{SurveyBlockId.QUESTION_PREFIX}{question_id}"


class SurveyRef(_Metadata):
    """The survey a DM button or the modal belongs to."""

    survey_id: int
