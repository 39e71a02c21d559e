"""Events API: the only events subscribed are the ones that mean the bot lost its access."""

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp

logger = logging.getLogger(__name__)


def register(app: AsyncApp) -> None:
    @app.event("app_uninstalled")
    @app.event("tokens_revoked")
    async def lost_access(event: dict[str, Any]) -> None:
        # Cards stay queued in the outbox and go out once the app is reinstalled.
        logger.error("Slack says the bot lost its access: %s", event.get("type"))
