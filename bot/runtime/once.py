"""Effectively-once posts: every post names its outbox row, and a retry looks before it posts.

An attempt whose outcome is unknown (the process died between Slack's answer
and our commit, or a timeout hid whether Slack took the message) must not post
the message again. So every chat.postMessage made while delivering outbox row
N carries Slack message metadata `{"event_type": "handoff_outbox",
"event_payload": {"outbox_id": N}}`, and any later attempt of row N first looks
for such a message in the channel's (or thread's) recent history; when it finds
one, that message is the result and nothing is posted.

The row being delivered travels in a context variable set by the outbox worker,
so deliveries need not pass it to every post.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import timedelta
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from storage.models import OutboxMessage

logger = logging.getLogger(__name__)

EVENT_TYPE = "handoff_outbox"
# How far before the row was created a look goes back (clocks of replicas differ a little).
LOOK_BACK_SLACK = timedelta(minutes=5)
MAX_PAGES = 5

_delivering: ContextVar[OutboxMessage | None] = ContextVar("delivering", default=None)


@contextlib.contextmanager
def delivering(row: OutboxMessage) -> Iterator[None]:
    token = _delivering.set(row)
    try:
        yield
    finally:
        _delivering.reset(token)


def current_row() -> OutboxMessage | None:
    return _delivering.get()


def post_metadata(row: OutboxMessage) -> dict[str, Any]:
    return {"event_type": EVENT_TYPE, "event_payload": {"outbox_id": row.id or 0}}


async def earlier_post(
    client: AsyncWebClient, channel: str, row: OutboxMessage, *, thread_ts: str | None
) -> dict[str, Any] | None:
    """The message an earlier attempt of `row` posted in `channel`, or None.

    Only a retry looks (the first attempt cannot have posted). A look that fails
    is logged and treated as "not found": Slack refusing history must not keep a
    lead from its card, and posting twice is the lesser harm than never posting.
    """
    if row.attempts <= 1:
        return None
    try:
        channel_id = await _conversation_id(client, channel)
        if channel_id is None:
            return None
        oldest = f"{(row.created_at - LOOK_BACK_SLACK).timestamp():.6f}"
        async for message in _recent(client, channel_id, oldest, thread_ts):
            payload = (message.get("metadata") or {}).get("event_payload") or {}
            if (message.get("metadata") or {}).get("event_type") == EVENT_TYPE and payload.get(
                "outbox_id"
            ) == row.id:
                logger.info("outbox #%s was posted by an earlier attempt; not again", row.id)
                return {"channel": channel_id, "ts": message["ts"]}
    except SlackApiError as exc:
        logger.warning("could not look for an earlier post of outbox #%s: %s", row.id, exc)
    return None


async def _conversation_id(client: AsyncWebClient, channel: str) -> str | None:
    if channel[:1] in ("U", "W"):
        # A DM is posted by user id; its history is read by the DM's channel id.
        opened = await client.conversations_open(users=channel)
        return opened["channel"]["id"]
    if channel.startswith("#"):
        return None  # a channel named by #name: no cheap way to its id; post as before
    return channel


async def _recent(client: AsyncWebClient, channel: str, oldest: str, thread_ts: str | None) -> Any:
    cursor = None
    for _ in range(MAX_PAGES):
        if thread_ts:
            page = await client.conversations_replies(
                channel=channel,
                ts=thread_ts,
                oldest=oldest,
                include_all_metadata=True,
                limit=200,
                cursor=cursor,
            )
        else:
            page = await client.conversations_history(
                channel=channel, oldest=oldest, include_all_metadata=True, limit=200, cursor=cursor
            )
        for message in page.get("messages", []):
            yield message
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            return
