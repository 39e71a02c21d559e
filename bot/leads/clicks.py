"""A click on a card that Slack has shown but whose posting is still being recorded.

Slack shows a card the moment it takes it; the bot records the card's ts a few
milliseconds later, in the transaction that marks the outbox row sent. A click
in between finds the lead "not posted yet" (`card_pending` in storage/transitions.py).
The card on screen proves it was posted, so such a click waits a moment for the
record and tries again, rather than telling the person to try again themselves.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.database import Database
from storage.transitions import TransitionRefused

T = TypeVar("T")

WAIT_STEP_SECONDS = 0.1
WAIT_STEPS = 30  # three seconds: a recording held up longer than that is an outage


async def once_posted(db: Database, action: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run `action` in its own unit of work; while the lead's card is not recorded, wait."""
    for step in range(WAIT_STEPS):
        try:
            async with db.session() as session:
                return await action(session)
        except TransitionRefused as refused:
            if not refused.card_pending or step == WAIT_STEPS - 1:
                raise
        await asyncio.sleep(WAIT_STEP_SECONDS)
    raise AssertionError("unreachable")
