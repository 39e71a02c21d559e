"""Assign mode through the fake workspace over real HTTP: the assigned card and the rep's DM,
Accept/Reject from the DM, Hand over, breach reassignment, fallback, permissions."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from datetime import timedelta

import pytest

from bot.sandbox.fake_slack import FakeSlackServer, FakeWorkspace
from bot.timekeeping.clock import ManualClock
from messages.ids import ActionId, BlockId
from tests import store
from tests.dispute_support import (
    disputable_notice,
    dispute,
    dispute_request,
    reject_as_definition_miss,
)
from tests.harness import wait_for
from tests.routing_support import (
    ANA,
    BEN,
    GUS,
    LEADS,
    MARIA,
    MARK,
    START,
    Desk,
    action_ids,
    text_of,
)
from tests.test_definition_intake import CRITERIA


@pytest.fixture
def desk(database_url: str, slack: FakeSlackServer, workspace: FakeWorkspace) -> Iterator[Desk]:
    with ExitStack() as stack:
        yield Desk(stack, database_url, slack, workspace, ManualClock(START))


def test_a_new_lead_arrives_assigned_with_a_dm_and_its_buttons(desk: Desk) -> None:
    desk.start()
    lead_id, card = desk.post(1)
    assert f"Assigned to <@{ANA}>" in text_of(card)
    assert "respond by <!date^" in text_of(card)
    assert action_ids(card) == [ActionId.ACCEPT, ActionId.REJECT, ActionId.HAND_OVER]
    lead = store.lead(desk.database_url, lead_id)
    assert (lead.state, lead.owner_id, lead.routing_tier) == ("claimed", ANA, "standard")
    # The tier's hour, not the plain 24h SLA.
    assert lead.due_at - lead.posted_at == timedelta(hours=1)  # type: ignore[operator]
    dm = desk.dms(ANA)[-1]
    assert "A new lead is assigned to you" in text_of(dm)
    assert action_ids(dm) == [ActionId.ACCEPT, ActionId.REJECT, ActionId.HAND_OVER]
    assert "Why you: next in the pool's rotation; rule 1; pool reps; tier standard" in text_of(dm)
    # The next lead goes to the next rep.
    _, second = desk.post(2)
    assert f"Assigned to <@{BEN}>" in text_of(second)
    assert desk.dms(BEN)


def test_accept_from_the_dm(desk: Desk) -> None:
    desk.start()
    lead_id, card = desk.post(1)
    desk.dms(ANA)
    assert desk.sender.click_in_dm(user=ANA, action_id=ActionId.ACCEPT).status_code == 200
    desk.card_says(card, f"Accepted as SQL by <@{ANA}>")
    assert store.lead(desk.database_url, lead_id).state == "accepted"
    # The DM loses its buttons once the lead is decided.
    wait_for(lambda: action_ids(desk.dms(ANA)[-1]) == [], what="the DM without buttons")


def test_reject_from_the_dm(desk: Desk) -> None:
    desk.start()
    lead_id, card = desk.post(1)
    desk.dms(ANA)
    desk.sender.click_in_dm(user=ANA, action_id=ActionId.REJECT)
    view = desk.open_view(ANA)
    values = {BlockId.REJECT_REASON: {ActionId.REJECT_REASON: "no_budget"}}
    assert desk.sender.submit_view(user=ANA, view_id=view.id, values=values).status_code == 200
    desk.card_says(card, f"Rejected by <@{ANA}>")
    assert store.lead(desk.database_url, lead_id).rejection_reason == "no_budget"


def test_only_the_assignee_decides(desk: Desk) -> None:
    desk.start()
    lead_id, card = desk.post(1)
    desk.sender.click(user=BEN, channel=LEADS, ts=card.ts, action_id=ActionId.ACCEPT)
    wait_for(
        lambda: [e for e in desk.ws.ephemerals(user=BEN) if f"Only <@{ANA}>" in e.text],
        what="the refusal",
    )
    assert store.lead(desk.database_url, lead_id).state == "claimed"


def test_nobody_available_goes_to_the_fallback_user(desk: Desk) -> None:
    pools = [{"id": "reps", "members": {"users": [GUS]}, "fallback": MARIA}]
    desk.start(desk.settings({"pools": pools}))
    _, card = desk.post(1)
    assert f"Assigned to <@{MARIA}>" in text_of(card)
    dm = desk.dms(MARIA)[-1]
    why = "the pool's fallback: nobody in the pool was available; rule 1; pool reps"
    assert f"{why}; tier standard; skipped: {GUS} (deactivated)" in text_of(dm)


def test_nobody_and_no_fallback_leaves_the_card_to_claim_with_the_on_duty_mention(
    desk: Desk,
) -> None:
    desk.start(desk.settings({"pools": [{"id": "reps", "members": {"users": [GUS]}}]}))
    lead_id, card = desk.post(1)
    assert action_ids(card) == [ActionId.CLAIM, ActionId.REJECT]
    assert "nobody was available to assign it: <!subteam^S0REPS>" in text_of(card)
    lead = store.lead(desk.database_url, lead_id)
    assert (lead.state, lead.routing) == ("open", "claim")
    desk.sender.click(user=BEN, channel=LEADS, ts=card.ts, action_id=ActionId.CLAIM)
    desk.card_says(card, f"Claimed by <@{BEN}>")


def test_claim_mode_is_untouched(desk: Desk) -> None:
    desk.start(desk.settings({"mode": "claim"}))
    lead_id, card = desk.post(1)
    assert action_ids(card) == [ActionId.CLAIM, ActionId.REJECT]
    assert store.lead(desk.database_url, lead_id).routing is None
    assert desk.dms(ANA) == []


def test_hand_over_to_a_colleague_with_a_note(desk: Desk) -> None:
    desk.start()
    lead_id, card = desk.post(1)
    due = store.lead(desk.database_url, lead_id).due_at
    assert desk.hand_over(ANA, card, BEN, "He speaks German").status_code == 200
    desk.card_says(card, f"Assigned to <@{BEN}>")
    lead = store.lead(desk.database_url, lead_id)
    assert (lead.owner_id, lead.due_at) == (BEN, due)
    reply = [r for r in desk.replies(card) if "handed this lead over" in r.text]
    assert (
        reply and f"<@{ANA}> handed this lead over to <@{BEN}>: He speaks German" in reply[0].text
    )
    dm = desk.dms(BEN)[-1]
    assert f"<@{ANA}> handed you a lead" in text_of(dm) and "He speaks German" in text_of(dm)
    # Ben can accept it now; Ana no longer can.
    desk.sender.click_in_dm(user=BEN, action_id=ActionId.ACCEPT)
    desk.card_says(card, f"Accepted as SQL by <@{BEN}>")


def test_a_manager_may_hand_over_anyone_else_may_not(desk: Desk) -> None:
    desk.start()
    _, card = desk.post(1)
    desk.sender.click(user=MARK, channel=LEADS, ts=card.ts, action_id=ActionId.HAND_OVER)
    wait_for(
        lambda: any("or a sales manager can hand it over" in repr(v.blocks) for v in desk.ws.views),
        what="the refusal in the modal",
    )
    assert desk.hand_over(MARIA, card, BEN, "Ben covers Acme").status_code == 200
    desk.card_says(card, f"Assigned to <@{BEN}>")


def test_hand_over_form_errors_name_the_field(desk: Desk) -> None:
    desk.start()
    _, card = desk.post(1)
    response = desk.hand_over(ANA, card, ANA, "mine")
    assert response.json()["errors"] == {
        BlockId.HAND_OVER_TO: "It is theirs already; pick someone else."
    }
    response = desk.hand_over(ANA, card, GUS, "x")
    assert "deactivated" in response.json()["errors"][BlockId.HAND_OVER_TO]
    assert store.lead(desk.database_url, 1).owner_id == ANA


def test_a_breach_moves_the_lead_to_a_rep_who_has_not_had_it(desk: Desk) -> None:
    pools = [{"id": "reps", "members": {"users": [ANA, BEN, MARK]}}]
    desk.start(desk.settings({"pools": pools, "max_reassignments": 1}))
    lead_id, card = desk.post(1)
    first = store.lead(desk.database_url, lead_id)
    assert first.owner_id == ANA
    desk.sweep(first.due_at - timedelta(minutes=10))  # type: ignore[operator]
    assert [m for m in desk.dms(ANA) if m.text.startswith(":alarm_clock:")]
    desk.sweep(first.due_at + timedelta(seconds=1))  # type: ignore[operator]
    card = desk.card_says(card, f"Assigned to <@{BEN}>")
    moved = store.lead(desk.database_url, lead_id)
    assert moved.reassignments == 1 and moved.due_at > first.due_at  # type: ignore[operator]
    assert any(f"moved from <@{ANA}> to <@{BEN}>" in r.text for r in desk.replies(card))
    assert any("Response deadline missed" in m.text for m in desk.dms(ANA))
    assert "A lead moved to you from" in text_of(desk.dms(BEN)[-1])
    escalation = f"Assigned to <@{ANA}>, not yet accepted or rejected"
    assert any(escalation in text_of(m) for m in desk.dms(MARIA))
    # Ben's window is a clock of its own: he is nudged before his deadline too (the
    # first clock's once-only keys used to swallow this: the nudge recorded, no DM).
    desk.sweep(moved.due_at - timedelta(minutes=10))  # type: ignore[operator]
    assert [m for m in desk.dms(BEN) if m.text.startswith(":alarm_clock:")]
    # The second breach is past routing.max_reassignments: back to Claim, escalated.
    desk.sweep(moved.due_at + timedelta(seconds=1))  # type: ignore[operator]
    desk.card_says(card, "nobody was available to assign it")
    final = store.lead(desk.database_url, lead_id)
    assert (final.state, final.owner_id, final.routing) == ("open", None, "claim")
    assert any("Nobody else is available" in text_of(m) for m in desk.dms(BEN))
    escalations = [m for m in desk.dms(MARIA) if "deadline missed" in m.text.lower()]
    # The SLA's escalation of each assignee's missed deadline, and the routing's final one.
    assert len(escalations) == 3


def test_an_overturned_rejection_gives_the_assignee_the_tiers_window_again(desk: Desk) -> None:
    """Back with its assignee after an overturn: the tier's hour from the overturn, its own
    nudge, and at its deadline the breach moves the lead on as routing does."""
    definition = {"criteria": CRITERIA, "review": {"enabled": False}}  # the admin decides
    desk.start(desk.settings(mql_definition=definition))
    fits = {"employees": 200, "country": "de", "title": "Head of Ops"}
    lead_id, card = desk.post(1, **fits)
    desk.sweep(START + timedelta(minutes=45))
    assert [m for m in desk.dms(ANA) if "*15m left*" in text_of(m)], "the first clock's nudge"

    desk.clock.set(START + timedelta(minutes=50))
    reject_as_definition_miss(desk.sender, desk.ws, user=ANA, card=card)
    desk.card_says(card, f"Rejected by <@{ANA}>")
    dispute(desk.sender, desk.ws, disputable_notice(desk.ws, "Ana Buyer 1"))
    request = dispute_request(desk.ws, MARIA)
    overturned_at = START + timedelta(minutes=55)
    desk.clock.set(overturned_at)
    desk.sender.click(
        user=MARIA, channel=request.channel, ts=request.ts, action_id=ActionId.DISPUTE_OVERTURN
    )
    desk.card_says(card, f"Assigned to <@{ANA}>")
    lead = store.lead(desk.database_url, lead_id)
    assert (lead.state, lead.owner_id, lead.due_at, lead.sla_round) == (
        "claimed",
        ANA,
        overturned_at + timedelta(hours=1),
        1,
    )

    desk.sweep(START + timedelta(hours=1))  # the first clock's deadline: stopped, nothing moves
    assert store.lead(desk.database_url, lead_id).owner_id == ANA
    desk.sweep(overturned_at + timedelta(minutes=45))
    # The assignment DM, the first clock's nudge and the new clock's (both older ones
    # now point to it).
    _assignment, first_nudge, second_nudge = desk.dms(ANA)
    assert "*15m left*" in text_of(second_nudge) and "newer reminder" in first_nudge.text
    desk.sweep(overturned_at + timedelta(hours=1))
    desk.card_says(card, f"Assigned to <@{BEN}>")
    kinds = [e.kind for e in store.events(desk.database_url, lead_id)]
    assert (kinds.count("nudged"), kinds.count("breached"), kinds[-1]) == (2, 1, "reassigned")
    assert store.lead(desk.database_url, lead_id).owner_id == BEN
