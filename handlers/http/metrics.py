"""GET /metrics: Prometheus' text format, behind its own bearer token (bot/runtime/telemetry.py).

Off unless HANDOFF_METRICS_TOKEN is set: the figures (leads per day, Slack errors) are
not for everyone who can reach the bot, and a token of its own lets a monitoring system
read them without being able to send leads.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from bot.runtime.services import Services
from handlers.http.prelude import error_response, store_down
from storage.database import store_unavailable
from storage.outbox_ops import outbox_waiting

logger = logging.getLogger(__name__)


def make_metrics_endpoint(services: Services) -> Callable[[Request], Awaitable[Response]]:
    async def metrics(request: Request) -> Response:
        token = services.settings.metrics_token
        if token is None:
            return error_response(
                404, "not_found", "Metrics are off: set HANDOFF_METRICS_TOKEN to serve them."
            )
        if not _bearer_matches(request, token.get_secret_value()):
            return error_response(
                401, "unauthorized", "Send Authorization: Bearer <HANDOFF_METRICS_TOKEN>."
            )
        try:
            async with services.db.session() as session:
                waiting = await outbox_waiting(session)
        except Exception as exc:
            if not store_unavailable(exc):
                raise
            logger.warning("metrics scrape: the store does not answer (%s)", type(exc).__name__)
            return store_down()
        exposition = services.telemetry.exposition(
            waiting, now=services.clock.now(), accept=request.headers.get("accept")
        )
        return Response(exposition.body, headers={"Content-Type": exposition.content_type})

    return metrics


def _bearer_matches(request: Request, expected: str) -> bool:
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        return False
    return hmac.compare_digest(given.strip().encode(), expected.encode())
