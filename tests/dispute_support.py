"""The lead guarantee's steps through the fake workspace, for tests that need a decided dispute:
reject a card for a definition-miss reason, dispute the notice, find a manager's request."""

from __future__ import annotations

from bot.sandbox.fake_slack import FakeWorkspace, InteractionSender, Message
from messages.ids import ActionId, BlockId
from tests.harness import wait_for

LEADS, MARKETING = "C0LEADS", "C0MKTG"
MARKETER = "U0MKT"
# "Not our ideal customer profile": marked `definition_miss` in the default reasons.
DEFINITION_MISS = "not_icp"


def reject_as_definition_miss(
    sender: InteractionSender, workspace: FakeWorkspace, *, user: str, card: Message
) -> None:
    before = len(workspace.open_views(user))
    sender.click(user=user, channel=LEADS, ts=card.ts, action_id=ActionId.REJECT)
    view = wait_for(lambda: workspace.open_views(user)[before:], what="the reject modal")[-1]
    values = {BlockId.REJECT_REASON: {ActionId.REJECT_REASON: DEFINITION_MISS}}
    assert sender.submit_view(user=user, view_id=view.id, values=values).status_code == 200


def disputable_notice(workspace: FakeWorkspace, name: str) -> Message:
    """The marketing notice of the rejection of `name`, with its Dispute button."""
    return wait_for(
        lambda: next(
            (
                m
                for m in workspace.messages(MARKETING)
                if name in m.text and ActionId.DISPUTE in m.action_ids()
            ),
            None,
        ),
        what=f"the disputable notice about {name}",
    )


def dispute(sender: InteractionSender, workspace: FakeWorkspace, notice: Message) -> None:
    before = len(workspace.open_views(MARKETER))
    sender.click(user=MARKETER, channel=MARKETING, ts=notice.ts, action_id=ActionId.DISPUTE)
    view = wait_for(lambda: workspace.open_views(MARKETER)[before:], what="the dispute modal")[-1]
    values = {BlockId.DISPUTE_EXPLANATION: {ActionId.DISPUTE_EXPLANATION: "Head of Ops, 200"}}
    assert sender.submit_view(user=MARKETER, view_id=view.id, values=values).status_code == 200


def dispute_request(workspace: FakeWorkspace, manager: str) -> Message:
    """The newest dispute a manager was asked to decide, in their DM with the bot."""

    def found() -> Message | None:
        channel = workspace.dm_channel(manager)
        asked = [
            m
            for m in (workspace.messages(channel) if channel else [])
            if ActionId.DISPUTE_OVERTURN in m.action_ids()
        ]
        return asked[-1] if asked else None

    return wait_for(found, what=f"the dispute in {manager}'s DM")
