"""The one error handler: refusals become polite private answers, bugs get a reference."""

import logging
import uuid
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from handlers.slack.replies import answer_privately
from messages.notices import notice, refusal
from messages.rendering import Mrkdwn
from storage.transitions import TransitionRefused

logger = logging.getLogger(__name__)


def register(app: AsyncApp) -> None:
    """For errors raised before a listener acks (parsing, middleware)."""
    app.error(answer_error)


async def answer_error(error: Exception, body: dict[str, Any], client: AsyncWebClient) -> None:
    """Refusals become polite private answers; anything else is logged with a reference.

    Listeners call this themselves for errors after their ack: in Bolt's async
    runner an exception raised after ack() can reset the ack before the HTTP
    answer is sent, and Slack would then show the person an error.
    """
    if isinstance(error, TransitionRefused):
        await answer_privately(client, body, refusal(error))
        return
    reference = uuid.uuid4().hex[:8]
    logger.error("unhandled error (ref %s)", reference, exc_info=error)
    await answer_privately(
        client,
        body,
        notice(
            Mrkdwn(
                f":warning: Something went wrong on our side (ref `{reference}`). "
                "Please try again; if it keeps happening, give the reference to your Handoff admin."
            )
        ),
    )
