"""POST /slack/events: the signature gate in front of Bolt."""

import time
from collections.abc import Awaitable, Callable

from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.slack.signature import signature_problem

MAX_BODY_BYTES = 1024 * 1024


def make_slack_endpoint(
    handler: AsyncSlackRequestHandler, signing_secret: str
) -> Callable[[Request], Awaitable[Response]]:
    async def slack_events(request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return JSONResponse({"error": "payload_too_large"}, status_code=413)
        problem = signature_problem(
            body=body,
            timestamp=request.headers.get("x-slack-request-timestamp"),
            signature=request.headers.get("x-slack-signature"),
            secret=signing_secret,
            now=time.time(),
        )
        if problem:
            return JSONResponse({"error": "invalid_request", "message": problem}, status_code=401)
        return await handler.handle(request)

    return slack_events
