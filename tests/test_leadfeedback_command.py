"""/leadfeedback itself: help, unknown subcommands, and the permission rule."""

from __future__ import annotations

from typing import Any

from bot.sandbox.fake_slack import FakeWorkspace, InteractionSender
from tests.harness import wait_for


def answers(workspace: FakeWorkspace, user: str) -> list[Any]:
    return [e for e in workspace.ephemerals(user=user) if e.source != "chat.postEphemeral"]


def test_help_for_anyone_and_unknown_subcommands(
    sender: InteractionSender, workspace: FakeWorkspace
) -> None:
    for text in ("", "help"):
        before = len(answers(workspace, "U0REP1"))
        response = sender.slash_command(
            user="U0REP1", channel="C0LEADS", command="/leadfeedback", text=text
        )
        assert response.status_code == 200
        wait_for(lambda b=before: len(answers(workspace, "U0REP1")) > b, what="help")
        assert "/leadfeedback" in answers(workspace, "U0REP1")[-1].text
    sender.slash_command(
        user="U0REP1", channel="C0LEADS", command="/leadfeedback", text="<!channel>"
    )
    unknown = wait_for(
        lambda: [e for e in answers(workspace, "U0REP1") if "no /leadfeedback" in e.text],
        what="unknown",
    )
    assert "<!channel>" not in unknown[-1].text and "&lt;!channel&gt;" in unknown[-1].text
