"""A complete rejection: a known reason, and a comment where the reason asks for one."""

from dataclasses import dataclass

from bot.settings import TeamConfig

MAX_COMMENT = 3000


@dataclass(frozen=True)
class RejectionForm:
    reason_id: str | None
    comment: str | None


def rejection_problems(form: RejectionForm, team: TeamConfig) -> dict[str, str]:
    """Problems keyed by form field ("reason", "comment"); empty when it can be stored."""
    problems: dict[str, str] = {}
    reason = team.reason(form.reason_id) if form.reason_id else None
    if reason is None:
        problems["reason"] = "Choose a reason: it is what marketing learns from."
    comment = (form.comment or "").strip()
    if reason is not None and reason.comment_required and not comment:
        problems["comment"] = f"Add a comment: “{reason.label}” needs a few words for marketing."
    if len(comment) > MAX_COMMENT:
        problems["comment"] = f"Keep the comment under {MAX_COMMENT} characters."
    return problems
