"""A request id for every HTTP request: bound for its log lines, echoed as X-Request-ID.

A pure ASGI middleware rather than Starlette's BaseHTTPMiddleware, which runs the
endpoint in another task and buffers streamed bodies. Slack's requests get an id too,
and the Bolt listener that runs after the ack inherits it (asyncio copies the context
into the tasks it creates). An X-Request-ID sent by a proxy in front is kept when it
looks like an id, so the proxy's log and ours name the same request.
"""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.runtime.logs import REQUEST_ID, new_id

HEADER = b"x-request-id"
_LOOKS_LIKE_AN_ID = re.compile(rb"[A-Za-z0-9._:-]{1,64}")


class RequestIds:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(HEADER, b"")
        request_id = given.decode() if _LOOKS_LIKE_AN_ID.fullmatch(given) else new_id()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if h[0].lower() != HEADER]
                message["headers"] = [*headers, (HEADER, request_id.encode())]
            await send(message)

        token = REQUEST_ID.set(request_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            REQUEST_ID.reset(token)
