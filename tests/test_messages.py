"""Message builders as plain functions: safe by default, valid Block Kit, within limits."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.settings import TeamConfig
from bot.sla.policy import sla_status
from messages import block_limits as limits
from messages.definition import dispute_request
from messages.ids import ActionId
from messages.lead_card import lead_card
from messages.metadata import RejectModalMetadata
from messages.notices import event_reply, notice, rejection_notice
from messages.refusals import refusal_message
from messages.reject_modal import reject_closed_modal, reject_modal
from messages.rendering import (
    Mrkdwn,
    block_quote,
    counted,
    cut_text,
    escape_mrkdwn,
    link,
    noun,
    render,
)
from messages.slack_message import SlackMessage
from storage.definition_models import DefinitionDispute
from storage.models import Lead, LeadEvent, LeadState
from storage.transitions import Action, TransitionRefused
from tests.blockkit import assert_valid_blocks, assert_valid_message, assert_valid_view

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
TEAM = TeamConfig.model_validate({"channels": {"leads": "C0LEADS", "marketing": "C0MKTG"}})
HOSTILE = '<!channel> <@U0REP1> & "quotes" \\ <https://evil.example|click>'


def make_lead(**overrides: Any) -> Lead:
    values: dict[str, Any] = {
        "id": 42,
        "email": "ana@example.com",
        "first_name": "Ana",
        "last_name": "Smith",
        "company": "Acme",
        "title": "CTO",
        "source": "webinar-2026-11",
        "score": 87.0,
        "reason": "requested a demo",
        "crm_url": "https://crm.example.com/c/42?x=1&y=2",
        "state": LeadState.OPEN,
        "created_at": NOW,
        "posted_at": NOW,
        "due_at": NOW + timedelta(hours=24),
        "channel_id": "C0LEADS",
        "message_ts": "1.000100",
    }
    values.update(overrides)
    return Lead(**values)


def all_text(data: Any) -> str:
    if isinstance(data, dict):
        return " ".join(all_text(v) for v in data.values())
    if isinstance(data, list):
        return " ".join(all_text(v) for v in data)
    return str(data)


def buttons(blocks: list[dict[str, Any]]) -> list[str]:
    return [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]


@pytest.mark.parametrize("state", list(LeadState))
def test_card_is_valid_block_kit_in_every_state(state: LeadState) -> None:
    lead = make_lead(
        state=state, owner_id="U0REP1", rejection_reason="other", rejection_comment="no"
    )
    card = lead_card(lead, TEAM, NOW)
    assert_valid_blocks(card.blocks)
    assert card.text.startswith("MQL: Ana Smith")


def test_card_buttons_follow_the_state() -> None:
    def ids(state: LeadState) -> list[str]:
        return buttons(lead_card(make_lead(state=state, owner_id="U0REP1"), TEAM, NOW).blocks)

    assert ids(LeadState.OPEN) == ["lead_claim", "lead_reject", "lead_open_crm"]
    assert ids(LeadState.CLAIMED) == ["lead_accept", "lead_reject", "lead_release", "lead_open_crm"]
    assert ids(LeadState.ACCEPTED) == ["lead_open_crm"]
    assert (
        buttons(lead_card(make_lead(state=LeadState.REJECTED, crm_url=None), TEAM, NOW).blocks)
        == []
    )


def test_card_shows_who_why_where_and_when() -> None:
    card = lead_card(make_lead(state=LeadState.CLAIMED, owner_id="U0REP1"), TEAM, NOW)
    text = all_text(card.blocks)
    for expected in ("Ana Smith", "Acme", "CTO", "requested a demo", "webinar-2026-11", "87"):
        assert expected in text
    assert "Claimed by <@U0REP1>" in text
    assert f"<!date^{int((NOW + timedelta(hours=24)).timestamp())}^" in text
    crm = [e for b in card.blocks if b["type"] == "actions" for e in b["elements"] if "url" in e]
    assert crm[0]["url"] == "https://crm.example.com/c/42?x=1&y=2"


def test_lead_values_cannot_ping_or_break_the_json() -> None:
    lead = make_lead(
        first_name=HOSTILE, last_name=None, company=HOSTILE, reason=HOSTILE, title=HOSTILE
    )
    card = lead_card(lead, TEAM, NOW)
    assert_valid_blocks(card.blocks)
    text = all_text(card.blocks) + card.text
    assert "<!channel>" not in text and "<@U0REP1>" not in text and "<https://evil" not in text
    assert "&lt;!channel&gt;" in text and "&amp;" in text and '"quotes"' in text


def test_long_values_are_cut_to_block_kit_limits() -> None:
    huge = "x" * 5000
    card = lead_card(make_lead(first_name=huge, company=huge, reason=huge, title=huge), TEAM, NOW)
    assert_valid_blocks(card.blocks)
    header = card.blocks[0]["text"]["text"]
    assert len(header) <= limits.MAX_HEADER_TEXT and header.endswith("…")
    for field in card.blocks[1]["fields"]:
        assert len(field["text"]) <= limits.MAX_FIELD_TEXT
    assert len(card.blocks[1]["text"]["text"]) <= limits.MAX_SECTION_TEXT


def test_cutting_never_splits_an_entity_or_a_token() -> None:
    assert cut_text("ab&amp;cd", 5) == "ab…"
    assert cut_text("ab <@U123> cd", 7) == "ab…"
    assert cut_text("short", 10) == "short"


def test_sla_status() -> None:
    lead = make_lead()
    assert sla_status(lead, NOW) == "on_time"
    assert sla_status(lead, NOW + timedelta(hours=19)) == "due_soon"
    assert sla_status(lead, NOW + timedelta(hours=24)) == "overdue"
    assert sla_status(make_lead(state=LeadState.ACCEPTED), NOW + timedelta(days=3)) == "closed"
    overdue = lead_card(lead, TEAM, NOW + timedelta(hours=25))
    assert "Overdue" in all_text(overdue.blocks)


def test_escaping_rules() -> None:
    assert escape_mrkdwn("a & <b> *c*") == "a &amp; &lt;b&gt; *c*"
    assert (
        link("https://x.example/a?b=1&c=<2>", "A|<B>")
        == "<https://x.example/a?b=1&c=%3C2%3E|A¦&lt;B&gt;>"
    )
    assert link("javascript:alert(1)", "x") == "x"
    assert render("notice.json.j2", text=Mrkdwn("<@U1>"))["text"] == "<@U1>"
    assert render("notice.json.j2", text="<@U1>")["text"] == "&lt;@U1&gt;"


def test_counts_agree_with_their_nouns() -> None:
    assert [counted(n, "lead") for n in (0, 1, 2, 1204)] == [
        "0 leads",
        "1 lead",
        "2 leads",
        "1,204 leads",
    ]
    assert counted(1, "opportunity", "opportunities") == "1 opportunity"
    assert counted(3, "opportunity", "opportunities") == "3 opportunities"
    assert noun(1, "rep") == "rep" and noun(None, "rep") == "reps"
    assert counted(None, "MQL") == "0 MQLs"


def test_a_block_quote_quotes_every_line_and_escapes_it() -> None:
    assert block_quote("Only the e-book\n<!channel> & more") == (
        "> Only the e-book\n> &lt;!channel&gt; &amp; more"
    )
    assert block_quote(None) == "> "


def test_reject_modal_is_a_valid_view_with_every_reason() -> None:
    view = reject_modal(RejectModalMetadata(lead_id=42, channel_id="C0LEADS"), TEAM)
    assert_valid_view(view)
    assert len(view["title"]["text"]) <= limits.MAX_MODAL_TITLE
    options = view["blocks"][1]["element"]["options"]
    assert [o["value"] for o in options] == [r.id for r in TEAM.rejection_reasons]
    assert "Other" in view["blocks"][2]["hint"]["text"]
    assert RejectModalMetadata.load(view["private_metadata"]) == RejectModalMetadata(
        lead_id=42, channel_id="C0LEADS"
    )
    assert_valid_view(reject_closed_modal("Already rejected by <@U0REP2>."))


def test_notices_are_valid_and_escaped() -> None:
    lead = make_lead(first_name=HOSTILE)
    event = LeadEvent(
        id=1,
        lead_id=42,
        kind="rejected",
        actor_id="U0REP1",
        at=NOW,
        detail={"reason": "other", "comment": HOSTILE},
    )
    for message in (
        event_reply(lead, event, TEAM),
        rejection_notice(
            lead, event, TEAM, "https://handoff-demo.slack.com/archives/C0LEADS/p1000100"
        ),
        notice("plain <b>"),
        refusal_message(
            TransitionRefused(
                Action.CLAIM, "U0REP2", make_lead(state=LeadState.CLAIMED, owner_id="U0REP1")
            ),
            TEAM,
        ),
    ):
        if message.blocks:
            assert_valid_blocks(message.blocks)
        assert "<!channel>" not in all_text(message.blocks) + message.text
    reply = event_reply(lead, event, TEAM)
    assert reply.text.startswith(":no_entry_sign: <@U0REP1> rejected this lead: *Other*")
    claimed = refusal_message(
        TransitionRefused(
            Action.CLAIM, "U0REP2", make_lead(state=LeadState.CLAIMED, owner_id="U0REP1")
        ),
        TEAM,
    )
    assert claimed.text == ":information_source: This lead is already claimed by <@U0REP1>."


def test_a_decided_dispute_says_who_decided_what_and_when_without_buttons() -> None:
    lead = make_lead(first_name=HOSTILE, state=LeadState.REJECTED)
    lead.fit_version, lead.fit_missed, lead.fit = "abc123", 0, {"met": 2, "total": 2}
    rejection = LeadEvent(
        id=7,
        lead_id=42,
        kind="rejected",
        actor_id="U0REP1",
        at=NOW,
        detail={"reason": "not_icp", "comment": None},
    )
    dispute = DefinitionDispute(
        id=3,
        lead_id=42,
        rejection_event_id=7,
        lead_created_at=NOW,
        opened_by="U0MKT",
        explanation=HOSTILE,
        opened_at=NOW,
    )
    link = "https://handoff-demo.slack.com/archives/C0LEADS/p1000100"

    def request() -> SlackMessage:
        return dispute_request(
            dispute, lead, rejected_by="U0REP1", reason_label="Not our ICP", permalink=link
        )

    open_request = request()
    assert buttons(open_request.blocks) == [ActionId.DISPUTE_UPHOLD, ActionId.DISPUTE_OVERTURN]
    open_notice = rejection_notice(lead, rejection, TEAM, link, dispute)
    assert ActionId.DISPUTE in all_text(open_notice.blocks)

    dispute.decision, dispute.decided_by = "overturn", "U0REP2"
    dispute.decided_at = NOW + timedelta(hours=2)
    when = f"<!date^{int(dispute.decided_at.timestamp())}^{{date_short}} at {{time}}|"
    for decided in (request(), rejection_notice(lead, rejection, TEAM, link, dispute)):
        text = assert_valid_message(decided)
        assert "<!channel>" not in text
        assert buttons(decided.blocks) == [] and ActionId.DISPUTE not in text
        assert f"Overturned by <@U0REP2> on {when}" in text
    assert request().text.endswith("overturned by <@U0REP2>")
    dispute.decision = "uphold"
    assert "Upheld by <@U0REP2> on " in assert_valid_message(request())
