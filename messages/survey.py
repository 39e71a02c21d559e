"""The survey's messages and modals: pure builders over stored rows and computed results."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.settings import SurveyQuestion
from bot.survey.form import MAX_ANSWER
from bot.survey.results import SurveyResults
from bot.survey.themes import Theme
from messages import block_limits as limits
from messages.rendering import Mrkdwn, escape_mrkdwn, link, mention, render, slack_date
from messages.slack_message import SlackMessage
from messages.survey_ids import (
    SurveyActionId,
    SurveyBlockId,
    SurveyCallbackId,
    SurveyRef,
    question_block_id,
)
from storage.survey_models import Survey, SurveyResponse

RATING_LABELS = {1: "1 - poor", 2: "2", 3: "3 - fair", 4: "4", 5: "5 - excellent"}
# A thread reply holds at most this many blocks and this much (escaped) text,
# well inside Slack's 50 blocks, so every answer is shown in full.
PART_BLOCKS = 45
PART_CHARS = 12_000
# Room a section keeps for the "<@U…>: " in front of an answer.
ANSWER_PREFIX = 20
BAR_WIDTH = 20
IDS = {
    "SurveyActionId": SurveyActionId,
    "SurveyBlockId": SurveyBlockId,
    "SurveyCallbackId": SurveyCallbackId,
}


def month_name(month: str) -> str:
    """'2026-02' as 'February 2026'."""
    return datetime.strptime(month, "%Y-%m").strftime("%B %Y")


def _ref(survey: Survey) -> Mrkdwn:
    return Mrkdwn(SurveyRef(survey_id=survey.id or 0).dump())


def survey_dm(survey: Survey, *, reminder: bool = False) -> SlackMessage:
    return SlackMessage.from_template(
        "survey_dm.json.j2", survey=survey, reminder=reminder, ref=_ref(survey), **IDS
    )


def survey_modal(
    survey: Survey, questions: list[SurveyQuestion], response: SurveyResponse | None
) -> dict[str, Any]:
    """The form, filled in with the rep's stored answers when they edit."""
    # Input values are not mrkdwn: they go back exactly as the rep typed them
    # (JSON-escaped only), so an edit does not turn "&" into "&amp;".
    initial = {
        q.id: Mrkdwn(response.answers.get(q.id) or "") if response else "" for q in questions
    }
    return render(
        "survey_modal.json.j2",
        survey=survey,
        questions=questions,
        block_ids={q.id: question_block_id(q.id) for q in questions},
        initial=initial,
        initial_rating=response.rating if response else None,
        rating_labels=RATING_LABELS,
        editing=response is not None,
        max_answer=MAX_ANSWER,
        ref=_ref(survey),
        **IDS,
    )


def survey_notice_modal(line: Mrkdwn, callback_id: SurveyCallbackId) -> dict[str, Any]:
    return render("survey_notice_modal.json.j2", line=line, callback_id=callback_id)


def closed_line(survey: Survey) -> Mrkdwn:
    return Mrkdwn(
        f":lock: The survey of {month_name(survey.month)} closed "
        f"{slack_date(survey.closed_at or survey.closes_at)}; answers can no longer be changed. "
        "Thank you all the same!"
    )


def thanks_line(survey: Survey, *, first_time: bool) -> Mrkdwn:
    saved = "Thank you! Your answers are saved" if first_time else "Your changes are saved"
    return Mrkdwn(
        f":white_check_mark: {saved}. Marketing gets everyone's answers when the survey closes "
        f"{slack_date(survey.closes_at)}; until then you can change yours with the button "
        "in your DM."
    )


# ------------------------------------------------------------------ the results


def _rate(results: SurveyResults) -> str | None:
    rate = results.response_rate
    return None if rate is None else f"{rate:.0%}"


def _average(results: SurveyResults) -> str | None:
    average = results.rating_average
    return None if average is None else f"{average:.1f}"


def _bars(results: SurveyResults) -> list[tuple[int, str, int]]:
    most = max((count for _, count in results.distribution), default=0) or 1
    return [
        (value, "█" * round(BAR_WIDTH * count / most) or "·", count)
        for value, count in results.distribution
    ]


def summary_message(results: SurveyResults, *, where_answers: str | Mrkdwn = "") -> SlackMessage:
    """The key points: response rate, lead quality, recurring themes."""
    return SlackMessage.from_template(
        "survey_summary.json.j2",
        results=results,
        month_name=month_name(results.month),
        rate=_rate(results),
        average=_average(results),
        bars=_bars(results),
        where_answers=where_answers,
    )


@dataclass(frozen=True)
class _Item:
    kind: str  # "question" or "answer"
    label: str = ""
    count: int = 0
    themes: tuple[Theme, ...] = ()
    continued: bool = False
    text: str = ""
    user_id: str | None = None
    first: bool = True

    @property
    def size(self) -> int:
        return len(escape_mrkdwn(self.text or self.label)) + ANSWER_PREFIX + 200


def split_answer(text: str, budget: int) -> list[str]:
    """Cut text into pieces whose escaped length fits `budget`, at whitespace where possible."""
    pieces: list[str] = []
    rest = text
    while len(escape_mrkdwn(rest)) > budget:
        # The longest prefix whose escaped text fits (escaping only ever lengthens).
        low, high = 1, budget
        while low < high:
            middle = (low + high + 1) // 2
            if len(escape_mrkdwn(rest[:middle])) <= budget:
                low = middle
            else:
                high = middle - 1
        cut = low
        space = max(rest.rfind(" ", 0, cut), rest.rfind("\n", 0, cut))
        if space > cut // 2:
            cut = space
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    pieces.append(rest)
    return pieces


def _items(results: SurveyResults) -> list[_Item]:
    items: list[_Item] = []
    for question in results.questions:
        items.append(
            _Item(
                "question",
                label=question.question.label,
                count=len(question.answers),
                themes=tuple(question.themes),
            )
        )
        for answer in question.answers:
            budget = limits.MAX_SECTION_TEXT - ANSWER_PREFIX
            for index, piece in enumerate(split_answer(answer.text, budget)):
                items.append(_Item("answer", text=piece, user_id=answer.user_id, first=index == 0))
    return items


def summary_parts(results: SurveyResults) -> list[SlackMessage]:
    """Every answer, question by question, cut into thread replies that Slack accepts."""
    if not results.answered:
        return []
    chunks: list[list[_Item]] = [[]]
    size = 0
    current_question: _Item | None = None
    for item in _items(results):
        if item.kind == "question":
            current_question = item
        full = len(chunks[-1]) >= PART_BLOCKS or size + item.size > PART_CHARS
        if full and chunks[-1]:
            chunks.append([])
            size = 0
            if item.kind == "answer" and current_question is not None:
                # A reply that starts mid-question says which question it continues.
                heading = _Item("question", label=current_question.label, continued=True)
                chunks[-1].append(heading)
                size += heading.size
        chunks[-1].append(item)
        size += item.size
    name = month_name(results.month)
    return [
        SlackMessage.from_template(
            "survey_summary_part.json.j2",
            items=chunk,
            month_name=name,
            part=index + 1,
            parts=len(chunks),
        )
        for index, chunk in enumerate(chunks)
    ]


def results_message(results: SurveyResults, *, permalink: str | None) -> SlackMessage:
    """`survey results`: the key points, then as many answers as one message holds."""
    where = (
        link(permalink, "Every answer is in the survey's thread")
        if permalink
        else Mrkdwn(f"Every answer in full: `/leadfeedback survey export {results.month}`")
    )
    summary = summary_message(results, where_answers=where)
    room = limits.MAX_BLOCKS_MESSAGE - len(summary.blocks) - 2
    answers = [block for part in summary_parts(results) for block in part.blocks]
    blocks = [*summary.blocks]
    if answers:
        blocks.append({"type": "divider"})
        blocks.extend(answers[:room])
    if len(answers) > room:
        blocks.append(
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": f"…and more. {where}"}],
            }
        )
    return SlackMessage(text=summary.text, blocks=blocks)


def status_message(
    *,
    survey: Survey | None = None,
    results: SurveyResults | None = None,
    asked: int = 0,
    delivered: int = 0,
    reminded: bool = False,
    latest: Survey | None = None,
    next_opening: datetime | None = None,
) -> SlackMessage:
    """The open survey's progress; without one, the last survey and when the next opens."""
    pending = ""
    if results is not None and results.pending:
        pending = Mrkdwn(", ".join(mention(u) for u in results.pending))
    return SlackMessage.from_template(
        "survey_status.json.j2",
        survey=survey,
        results=results,
        month_name=month_name(survey.month) if survey else "",
        asked=asked,
        delivered=delivered,
        pending=pending,
        reminded=reminded,
        latest=latest,
        latest_name=month_name(latest.month) if latest else "",
        next_opening=next_opening,
    )


def digest_blocks(results: SurveyResults, *, permalink: str | None) -> list[dict[str, Any]]:
    data = render(
        "survey_digest.json.j2",
        results=results,
        month_name=month_name(results.month),
        average=_average(results),
        permalink=permalink,
    )
    return list(data["blocks"])
