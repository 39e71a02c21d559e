"""The page and its own JSON API. Demo only: `handoff run` never mounts these.

Every action goes through the real thing: a click, a modal submission or a slash
command becomes a signed Slack request to the bot (InteractionSender); a sample lead
is POSTed to the bot's intake API with the demo's intake token.

    GET  /                          the page
    GET  /demo/api/state?as=U…      what that person sees (see state.py)
    GET  /demo/api/events           server-sent events: `change` whenever the page may differ
    GET  /demo/api/files/{id}       a file the bot uploaded (images inline, the rest as download)
    POST /demo/api/click            {"as", "channel", "ts", "action_id", "block_id"?, "value"?}
    POST /demo/api/submit           {"as", "view_id", "values": {block_id: {action_id: value}}}
    POST /demo/api/close-view       {"as", "view_id"}
    POST /demo/api/command          {"as", "channel", "text"}: "/leadfeedback …" or a message
    POST /demo/api/lead             {"index"?}: the next sample lead (or sample `index`)
    POST /demo/api/fast-forward     {"by": "1h" | "1d" | …}: move the bot's clock, run the jobs
                                    at each moment on the way (see fastforward.py)
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from bot.slack.manifest import SLASH_COMMAND
from bot.timekeeping.durations import parse_duration

from .context import Demo
from .fastforward import fast_forward as walk_clock
from .state import INLINE_IMAGE_TYPES, PERSON_IDS, page_state

logger = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
COMMANDS = frozenset({SLASH_COMMAND})
MAX_FAST_FORWARD = timedelta(days=31)
EVENT_POLL_SECONDS = 0.1
EVENT_HEARTBEAT_SECONDS = 15.0
# EventSource reconnects by itself; ending streams lets a stopping server finish quickly.
EVENT_STREAM_SECONDS = 30.0

# The page builds its DOM with textContent only; this is a second line of defence.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; "
        "img-src 'self' data: http: https:; connect-src 'self'; "
        "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


BodyT = TypeVar("BodyT", bound=BaseModel)


class DemoApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class _AsPerson(_Body):
    user: str = Field(alias="as")

    @field_validator("user")
    @classmethod
    def _seeded(cls, value: str) -> str:
        if value not in PERSON_IDS:
            raise ValueError(f"must be one of {sorted(PERSON_IDS)}")
        return value


class ClickIn(_AsPerson):
    channel: str
    ts: str
    action_id: str
    block_id: str | None = None
    value: str | None = None


class SubmitIn(_AsPerson):
    view_id: str
    values: dict[str, dict[str, str | list[str] | None]] = Field(default_factory=dict)


class CloseViewIn(_AsPerson):
    view_id: str


class CommandIn(_AsPerson):
    channel: str
    text: str = Field(max_length=4000)


class SampleIn(_Body):
    index: int | None = None


class FastForwardIn(_Body):
    by: str

    @field_validator("by")
    @classmethod
    def _duration(cls, value: str) -> str:
        delta = parse_duration(value)
        if not timedelta(0) < delta <= MAX_FAST_FORWARD:
            raise ValueError("must be more than 0 and at most 31d")
        return value


class DemoApi:
    """The page's endpoints, on the running demo."""

    def __init__(self, demo: Demo) -> None:
        self.demo = demo

    async def index(self, request: Request) -> Response:
        return FileResponse(STATIC / "index.html", headers=PAGE_HEADERS)

    async def state(self, request: Request) -> Response:
        user = request.query_params.get("as", "")
        if user not in PERSON_IDS:
            return _error(400, f"as must be one of {sorted(PERSON_IDS)}")
        return JSONResponse(page_state(self.demo, user), headers={"Cache-Control": "no-store"})

    async def events(self, request: Request) -> Response:
        return StreamingResponse(
            _changes(self.demo),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    async def file(self, request: Request) -> Response:
        found = self.demo.workspace.file(request.path_params["file_id"])
        if found is None or found.content is None:
            return _error(404, "no such file")
        inline = found.mimetype in INLINE_IMAGE_TYPES
        # Only plain images are shown inline: an uploaded HTML or SVG file served from
        # the page's origin could run script.
        disposition = "inline" if inline else "attachment"
        return Response(
            found.content,
            media_type=found.mimetype if inline else "application/octet-stream",
            headers={
                "Content-Disposition": f'{disposition}; filename="{_ascii_name(found.name)}"',
                "X-Content-Type-Options": "nosniff",
                "Cache-Control": "no-store",
            },
        )

    async def click(self, body: ClickIn) -> dict[str, Any]:
        response = await self.demo.sender.aclick(
            user=body.user,
            channel=body.channel,
            action_id=body.action_id,
            ts=body.ts,
            block_id=body.block_id,
            value=body.value,
        )
        return _bot_answer(response)

    async def submit(self, body: SubmitIn) -> dict[str, Any]:
        response = await self.demo.sender.asubmit_view(
            user=body.user, view_id=body.view_id, values=body.values
        )
        return _bot_answer(response)

    async def close_view(self, body: CloseViewIn) -> dict[str, Any]:
        ws = self.demo.workspace
        view = ws.view(body.view_id)
        if view is None or view.user_id != body.user:
            raise DemoApiError(404, f"{body.user} has no view {body.view_id}")
        with ws.lock:
            # Handoff's modals don't ask for view_closed (notify_on_close), so Slack
            # would just close it.
            ws._close_view(view.id)
        return {"ok": True}

    async def command(self, body: CommandIn) -> dict[str, Any]:
        text = body.text.strip()
        if not text:
            raise DemoApiError(422, "Type a message or /leadfeedback help.")
        channel = self.demo.workspace.channel(body.channel)
        if channel is None or body.user not in channel.members:
            raise DemoApiError(404, f"{body.user} is not in a channel {body.channel}")
        if not text.startswith("/"):
            message = self.demo.workspace.post_as_user(body.channel, body.user, text)
            return {"ok": True, "ts": message.ts}
        name, _, rest = text.partition(" ")
        if name not in COMMANDS:
            raise DemoApiError(
                422, f"{name} is not a command in this workspace. Try {SLASH_COMMAND} help."
            )
        response = await self.demo.sender.aslash_command(
            user=body.user, channel=body.channel, command=name, text=rest.strip()
        )
        return _bot_answer(response)

    async def lead(self, body: SampleIn) -> dict[str, Any]:
        try:
            sent = await self.demo.samples.send(body.index)
        except IndexError as exc:
            raise DemoApiError(422, str(exc)) from None
        name = " ".join(p for p in (sent.lead.get("first_name"), sent.lead.get("last_name")) if p)
        return {
            "ok": sent.http_status < 300,
            "http_status": sent.http_status,
            "answer": sent.answer,
            "lead": {
                "name": name or sent.lead["email"],
                "company": sent.lead.get("company"),
                "email": sent.lead["email"],
            },
        }

    async def fast_forward(self, body: FastForwardIn) -> dict[str, Any]:
        return await walk_clock(self.demo, parse_duration(body.by))


def demo_routes(demo: Demo) -> list[BaseRoute]:
    api = DemoApi(demo)
    endpoints = [
        Route("/state", api.state, methods=["GET"]),
        Route("/events", api.events, methods=["GET"]),
        Route("/files/{file_id}", api.file, methods=["GET"]),
        Route("/click", _json_endpoint(ClickIn, api.click), methods=["POST"]),
        Route("/submit", _json_endpoint(SubmitIn, api.submit), methods=["POST"]),
        Route("/close-view", _json_endpoint(CloseViewIn, api.close_view), methods=["POST"]),
        Route("/command", _json_endpoint(CommandIn, api.command), methods=["POST"]),
        Route("/lead", _json_endpoint(SampleIn, api.lead), methods=["POST"]),
        Route("/fast-forward", _json_endpoint(FastForwardIn, api.fast_forward), methods=["POST"]),
    ]
    return [
        Route("/", api.index, methods=["GET"]),
        Mount("/demo/api", routes=endpoints),
        Mount("/demo/static", app=StaticFiles(directory=STATIC)),
    ]


def _json_endpoint(
    model: type[BodyT], handler: Callable[[BodyT], Awaitable[dict[str, Any]]]
) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        # JSON only: a cross-site form can't send it without a CORS preflight we never allow.
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            return _error(415, "send application/json")
        try:
            body = model.model_validate(json.loads(await request.body() or b"{}"))
        except json.JSONDecodeError:
            return _error(400, "the body is not JSON")
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
            )
            return _error(422, problems)
        try:
            return JSONResponse(await handler(body))
        except DemoApiError as exc:
            return _error(exc.status, exc.message)
        except LookupError as exc:  # the button, view or person isn't there (any more)
            return _error(409, str(exc).strip("'\""))
        except ValueError as exc:  # Slack would refuse it: a required field empty, …
            return _error(422, str(exc))
        except httpx.HTTPError as exc:
            logger.warning("demo: the bot did not answer: %r", exc)
            return _error(502, f"the bot did not answer ({type(exc).__name__})")

    return endpoint


def _bot_answer(response: httpx.Response) -> dict[str, Any]:
    """What the bot answered Slack's request; the page shows anything but 200."""
    return {"ok": response.status_code == 200, "bot_status": response.status_code}


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _ascii_name(name: str) -> str:
    return "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in name)


async def _changes(demo: Demo) -> AsyncIterator[str]:
    """`change` events carrying the version; the page then fetches its state."""
    started = time.monotonic()
    last_version, last_sent = -1, started
    yield "retry: 500\n\n"
    while time.monotonic() - started < EVENT_STREAM_SECONDS:
        version = demo.version
        if version != last_version:
            last_version, last_sent = version, time.monotonic()
            yield f"event: change\ndata: {version}\n\n"
        elif time.monotonic() - last_sent > EVENT_HEARTBEAT_SECONDS:
            last_sent = time.monotonic()
            yield ": keep-alive\n\n"
        await asyncio.sleep(EVENT_POLL_SECONDS)
