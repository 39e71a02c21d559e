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


async def card_permalink(client: AsyncWebClient, lead: Lead) -> str | None:
    """The card's link (chat.getPermalink), or None: a message matters more than its link."""
    if not (lead.channel_id and lead.message_ts):
        return None
    try:
        answer = await client.chat_getPermalink(channel=lead.channel_id, message_ts=lead.message_ts)
    except (SlackApiError, aiohttp.ClientError, OSError, TimeoutError) as exc:
        logger.info("no permalink for lead %s: %r", lead.id, exc)
        return None
    return answer.get("permalink")


async def card_permalinks(client: AsyncWebClient, leads: Sequence[Lead]) -> dict[int, str | None]:
    """Each posted lead's card link; None where Slack cannot say."""
    links = await asyncio.gather(*(card_permalink(client, lead) for lead in leads))
    return {lead.id or 0: link for lead, link in zip(leads, links, strict=True)}
