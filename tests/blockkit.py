"""The one Block Kit check every message test uses: slack_sdk's own models, then the limits
the fake workspace (and Slack) enforce."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.sandbox.fake_slack import block_problems
from messages.block_limits import MAX_BLOCKS_MESSAGE, MAX_BLOCKS_VIEW
from messages.slack_message import SlackMessage


def assert_valid_blocks(blocks: list[dict[str, Any]], *, limit: int = MAX_BLOCKS_MESSAGE) -> None:
    assert blocks, "no blocks"
    for block in blocks:
        parsed = Block.parse(block)
        assert parsed is not None, f"slack_sdk does not know this block: {block}"
        parsed.validate_json()
    assert block_problems(blocks, max_blocks=limit) == []


def assert_valid_message(message: SlackMessage) -> str:
    """Valid blocks and a notification text; returns all the text, for content asserts."""
    assert message.text, "a message needs its notification text"
    assert_valid_blocks(message.blocks)
    return message.text + repr(message.blocks)


def assert_valid_view(view: dict[str, Any]) -> None:
    View(**view).validate_json()
    assert_valid_blocks(view["blocks"], limit=MAX_BLOCKS_VIEW)
