"""Answering one person privately, wherever they clicked or typed."""

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.errors import slack_error
from handlers.slack.payloads import user_and_channel
from messages.slack_message import SlackMessage

logger = logging.getLogger(__name__)


async def answer_privately(
    client: AsyncWebClient,
    body: dict[str, Any],
    message: SlackMessage,
    *,
    respond: Callable[..., Awaitable[Any]] | None = None,
) -> None:
    """An ephemeral message where the person acted; a DM when there is no channel (a modal).

    A slash command is answered through its response_url (`respond`): it works in any
    conversation, including DMs the bot is not part of.
    """
    user, channel = user_and_channel(body)
    if not user:
        return
    try:
        if respond is not None and body.get("response_url"):
            await respond(response_type="ephemeral", **message.as_kwargs())
        elif channel:
            await client.chat_postEphemeral(channel=channel, user=user, **message.as_kwargs())
        else:
            await client.chat_postMessage(channel=user, **message.as_kwargs())
    except SlackApiError as exc:
        # An ephemeral answer is a courtesy: nothing is lost if Slack refuses it.
        logger.warning("could not answer %s: %s", user, slack_error(exc))
