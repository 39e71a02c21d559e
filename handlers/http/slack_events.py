"""POST /slack/events: the gate in front of Bolt.

It reads at most MAX_BODY_BYTES (however the body is sent, chunked included),
checks the signature (401), then the shape (400), and only then hands the
body to Bolt through Bolt's own Starlette adapter functions.
"""

import time
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.adapter.starlette.async_handler import to_async_bolt_request, to_starlette_response
from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.request.async_internals import build_async_context
from slack_bolt.request.async_request import AsyncBoltRequest
from starlette.requests import Request
from starlette.responses import Response

from bot.slack.request_shape import read_request
from bot.slack.signature import signature_problem
from handlers.http.prelude import error_response, read_limited

MAX_BODY_BYTES = 1024 * 1024


def make_slack_endpoint(
    bolt: AsyncApp, signing_secret: str
) -> Callable[[Request], Awaitable[Response]]:
    async def slack_events(request: Request) -> Response:
        body = await read_limited(request, MAX_BODY_BYTES)
        if body is None:
            return error_response(413, "payload_too_large", "A Slack request is at most 1 MiB.")
        problem = signature_problem(
            body=body,
            timestamp=request.headers.get("x-slack-request-timestamp"),
            signature=request.headers.get("x-slack-signature"),
            secret=signing_secret,
            now=time.time(),
        )
        if problem:
            return error_response(401, "invalid_request", problem)
        shape, parsed = read_request(body, request.headers.get("content-type", ""))
        if shape:
            return error_response(400, "invalid_payload", shape)
        answer = await bolt.async_dispatch(_bolt_request(request, body, parsed))
        return to_starlette_response(answer)

    return slack_events


def _bolt_request(request: Request, body: bytes, parsed: dict[str, Any] | None) -> AsyncBoltRequest:
    """Bolt's request for `body`, given the body already parsed when the gate parsed it.

    Bolt's own constructor would decode the body again; the raw body stays on the request
    for Bolt's signature check.
    """
    if parsed is None:
        return to_async_bolt_request(request, body)
    bolt_request = AsyncBoltRequest(body="", query=request.query_params, headers=request.headers)  # type: ignore[arg-type]
    bolt_request.raw_body = body.decode("utf-8")
    bolt_request.body = parsed
    bolt_request.context = build_async_context(AsyncBoltContext({}), parsed)
    return bolt_request
