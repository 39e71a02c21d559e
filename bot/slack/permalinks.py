"""Links to lead cards, for answers that list leads."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from storage.models import Lead

logger = logging.getLogger(__name__)


async def card_permalinks(client: AsyncWebClient, leads: Sequence[Lead]) -> dict[int, str | None]:
    """Each posted lead's card link (chat.getPermalink); None where Slack cannot say."""

    async def one(lead: Lead) -> tuple[int, str | None]:
        if not (lead.channel_id and lead.message_ts):
            return lead.id or 0, None
        try:
            answer = await client.chat_getPermalink(
                channel=lead.channel_id, message_ts=lead.message_ts
            )
            return lead.id or 0, answer.get("permalink")
        except (SlackApiError, aiohttp.ClientError, OSError, TimeoutError) as exc:
            # A list without one link is still worth sending.
            logger.info("no permalink for lead %s: %r", lead.id, exc)
            return lead.id or 0, None

    return dict(await asyncio.gather(*(one(lead) for lead in leads)))
