"""The one error handler: refusals become polite private answers, bugs get a reference."""

import logging
import uuid
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from handlers.replies import answer_privately
from messages.notices import notice, refusal
from messages.rendering import Mrkdwn
from storage.transitions import TransitionRefused

logger = logging.getLogger(__name__)


def register(app: AsyncApp) -> None:
    @app.error
    async def on_error(error: Exception, body: dict[str, Any], client: AsyncWebClient) -> None:
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
