"""The fake workspace over HTTP: a Starlette app, and uvicorn running it in a thread.

`create_fake_slack_app` can be mounted under a prefix inside another Starlette app (the
local demo does that); `FakeSlackServer` serves it alone on an ephemeral port for tests.
"""

from __future__ import annotations

import asyncio
import json
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from bot.sandbox.servers import BackgroundServer

from . import api
from .socket_mode import LINK_PATH
from .workspace import FakeSlackError, FakeWorkspace


def create_fake_slack_app(ws: FakeWorkspace, public_url: str | None = None) -> Starlette:
    """Routes: POST|GET /api/{method}, POST /response/{token}, POST /upload/{file_id}, and
    the Socket Mode WebSocket at /link/ (the URL apps.connections.open hands out).

    `public_url` is where these routes are reachable from the bot (e.g.
    "http://127.0.0.1:8000/fake-slack" when mounted at /fake-slack); it goes into
    upload_url and response_url. Without it, each request's own base URL is used.
    """
    if public_url is not None:
        ws.public_url = public_url.rstrip("/")

    def base_url(request: Request) -> str:
        if public_url is not None:
            return public_url.rstrip("/")
        # root_path includes the prefix of a Mount (request.base_url leaves it out).
        url = request.url
        return f"{url.scheme}://{url.netloc}{request.scope.get('root_path', '')}".rstrip("/")

    async def web_api(request: Request) -> Response:
        name = request.path_params["method"]
        try:
            values, token = await _read_args(request)
        except FakeSlackError as exc:
            return JSONResponse({"ok": False, "error": exc.error})
        fault = None if ws.is_down else api.take_fault(ws, name, values)
        if fault is not None and fault.delay:
            # asyncio.sleep, not time.sleep: other calls keep being answered meanwhile.
            await asyncio.sleep(fault.delay)
        result = api.answer(
            ws,
            name,
            values,
            token=token,
            context=api.Context(base_url=base_url(request)),
            fault=fault,
        )
        if fault is not None and fault.late_answer:
            await asyncio.sleep(fault.late_answer)
        return JSONResponse(result.body, status_code=result.status, headers=result.headers)

    async def response_url(request: Request) -> Response:
        body = await request.body()
        try:
            payload: Any = json.loads(body) if body else None
        except json.JSONDecodeError:
            payload = None
        result = api.answer_response_url(ws, request.path_params["token"], payload)
        return JSONResponse(result.body, status_code=result.status)

    async def upload(request: Request) -> Response:
        data = await request.body()
        file = ws._store_upload(request.path_params["file_id"], data)
        if file is None:
            return PlainTextResponse("file_not_found", status_code=404)
        # What files.slack.com answers; slack_sdk only looks at the status.
        return PlainTextResponse(f"OK - {len(data)}")

    async def socket_link(websocket: WebSocket) -> None:
        await ws.sockets.serve(websocket)

    return Starlette(
        routes=[
            Route("/api/{method}", web_api, methods=["GET", "POST"]),
            WebSocketRoute(LINK_PATH, socket_link),
            Route("/response/{token}", response_url, methods=["POST"]),
            Route("/upload/{file_id}", upload, methods=["POST", "PUT"]),
        ]
    )


async def _read_args(request: Request) -> tuple[dict[str, Any], str | None]:
    """Arguments from the query string and the body (JSON, form or multipart), and the token."""
    values: dict[str, Any] = dict(request.query_params)
    body = await request.body()
    content_type = request.headers.get("content-type", "")
    kind = content_type.split(";")[0].strip().lower()
    from_body: dict[str, Any] = {}
    if body:
        if kind == "application/json":
            try:
                parsed = json.loads(body)
            except json.JSONDecodeError:
                raise FakeSlackError("invalid_json") from None
            if not isinstance(parsed, dict):
                raise FakeSlackError("json_not_object")
            from_body = parsed
        elif kind == "multipart/form-data":
            from_body = _parse_multipart(content_type, body)
        else:
            try:
                from_body = dict(
                    parse_qsl(body.decode(), keep_blank_values=True, strict_parsing=True)
                )
            except (UnicodeDecodeError, ValueError):
                raise FakeSlackError("invalid_form_data") from None
    token: str | None = None
    authorization = request.headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        token = authorization[7:].strip() or None
    elif kind != "application/json":
        # Slack takes a token argument in forms and query strings, never in JSON bodies.
        token = from_body.get("token") or values.get("token")
    values.update(from_body)
    return values, token


def _parse_multipart(content_type: str, body: bytes) -> dict[str, Any]:
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
    )
    if not message.is_multipart():
        raise FakeSlackError("invalid_form_data")
    values: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        data = part.get_payload(decode=True) or b""
        if isinstance(name, str):
            values[name] = data if part.get_filename() else data.decode(errors="replace")
    return values


class FakeSlackServer(BackgroundServer):
    """The fake workspace's Web API on http://127.0.0.1:PORT/api/ (see `api_url`)."""

    def __init__(self, ws: FakeWorkspace, *, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(create_fake_slack_app(ws), host=host, port=port)
        self.workspace = ws

    @property
    def api_url(self) -> str:
        """Pass to `AsyncWebClient(base_url=...)`; ends with "/api/" as slack_sdk expects."""
        return f"{self.url}/api/"

    def start(self, timeout: float = 10.0) -> None:
        super().start(timeout)
        if self.workspace.public_url is None:
            self.workspace.public_url = self.url

    def __enter__(self) -> FakeSlackServer:
        self.start()
        return self

    async def __aenter__(self) -> FakeSlackServer:
        await asyncio.to_thread(self.start)
        return self
