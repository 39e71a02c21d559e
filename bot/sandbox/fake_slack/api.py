"""The Slack Web API methods the bot uses, answered from a FakeWorkspace.

Each handler takes the call's arguments (already merged from query string, form or JSON
body) and returns the fields of a successful answer, or raises FakeSlackError with the
code Slack documents for that failure. `answer` wraps a handler with what every Slack
method shares: the workspace being down, injected faults, unknown methods, the bearer
token, the `{"ok": ...}` envelope (always HTTP 200 unless a fault says otherwise), and
the call record.
"""

from __future__ import annotations

import base64
import contextlib
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from messages import block_limits as limits

from . import block_limits as checks
from .faults import Fault
from .models import Call, Channel
from .socket_mode import websocket_url
from .workspace import FakeSlackError, FakeWorkspace, ResponseTarget

# Methods that take the app-level token (xapp-) rather than the bot token.
APP_TOKEN_METHODS = frozenset({"apps.connections.open"})
# Arguments that arrive as JSON strings in form-encoded calls.
JSON_ARGS = ("blocks", "view", "files", "attachments", "metadata")


@dataclass(frozen=True)
class ApiAnswer:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


class Args:
    """One call's arguments, with Slack's loose typing ("1", "true" and True all true)."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.values = dict(values)

    def str(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        return value if isinstance(value, str) else json.dumps(value)

    def bool(self, name: str) -> bool:
        value = self.values.get(name)
        if isinstance(value, str):
            return value.lower() in ("1", "true", "yes")
        return bool(value)

    def int(self, name: str, default: int) -> int:
        value = self.values.get(name)
        if value is None or value == "":
            return default
        try:
            return int(value)
        except (TypeError, ValueError):
            raise FakeSlackError("invalid_arguments", f"{name} must be an integer") from None

    def json(self, name: str, error: str = "invalid_arguments") -> Any:
        value = self.values.get(name)
        if not isinstance(value, str):
            return value
        if value == "":
            return None
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            raise FakeSlackError(error, f"{name} is not valid JSON") from None


@dataclass(frozen=True)
class Context:
    """What a handler may need to know about the HTTP request."""

    base_url: str  # where this fake's routes are reachable, without a trailing slash


Handler = Callable[[FakeWorkspace, Args, Context], dict[str, Any]]
_METHODS: dict[str, Handler] = {}


def method(name: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        _METHODS[name] = handler
        return handler

    return register


def call_channel(ws: FakeWorkspace, args: Mapping[str, Any]) -> str | None:
    """The channel a call is about, for faults and the call record."""
    raw = args.get("channel") or args.get("channel_id")
    if not isinstance(raw, str) or not raw:
        return None
    return ws.resolve_channel(raw) or raw


def take_fault(ws: FakeWorkspace, name: str, args: Mapping[str, Any]) -> Fault | None:
    channel = call_channel(ws, args)
    return ws.faults.take(
        name,
        lambda wanted: channel is not None and (ws.resolve_channel(wanted) or wanted) == channel,
    )


def answer(
    ws: FakeWorkspace,
    name: str,
    values: Mapping[str, Any],
    *,
    token: str | None,
    context: Context,
    fault: Fault | None = None,
) -> ApiAnswer:
    """Answer one Web API call and record it. `fault` comes from `take_fault`."""
    with ws.lock:
        channel = call_channel(ws, values)
        if ws.is_down:
            result = ApiAnswer(503, {"ok": False, "error": "service_unavailable"})
        elif fault is not None and fault.answers:
            result = ApiAnswer(fault.status or 200, fault.body(), fault.headers())
        elif name not in _METHODS:
            result = ApiAnswer(200, {"ok": False, "error": "unknown_method"})
        elif not token:
            result = ApiAnswer(200, {"ok": False, "error": "not_authed"})
        elif (error := _token_error(ws, name, token)) is not None:
            result = ApiAnswer(200, {"ok": False, "error": error})
        elif (retry_after := _rate_limited(ws, name, channel)) is not None:
            result = ApiAnswer(429, {"ok": False, "error": "ratelimited"}, retry_after)
        else:
            try:
                body = _METHODS[name](ws, Args(values), context)
                # Slack names the token's scopes on every answer; `handoff check --online`
                # compares them with the manifest's.
                scopes = {"x-oauth-scopes": ",".join(ws.scopes)}
                result = ApiAnswer(200, {"ok": True, **body}, scopes)
                channel = _answer_channel(body) or channel
            except FakeSlackError as exc:
                result = ApiAnswer(200, _error_body(exc))
        ws._record_call(
            Call(
                method=name,
                args=_recorded_args(values),
                ok=bool(result.body.get("ok")),
                error=result.body.get("error"),
                http_status=result.status,
                at=time.monotonic(),
                channel=channel,
            )
        )
        return result


def _rate_limited(ws: FakeWorkspace, name: str, channel: str | None) -> dict[str, str] | None:
    """The Retry-After header of a post beyond the channel's rate, or None."""
    if name != "chat.postMessage" or ws.post_rate_limit is None or channel is None:
        return None
    wait = ws.post_rate_limit.admit(channel)
    return None if wait is None else {"Retry-After": str(wait)}


def _token_error(ws: FakeWorkspace, name: str, token: str) -> str | None:
    """Slack's answer to the wrong token: a known token of the other kind, or none it knows."""
    wanted, other = (
        (ws.app_token, ws.bot_token) if name in APP_TOKEN_METHODS else (ws.bot_token, ws.app_token)
    )
    if token == wanted:
        return None
    return "not_allowed_token_type" if token == other else "invalid_auth"


def _error_body(exc: FakeSlackError) -> dict[str, Any]:
    body: dict[str, Any] = {"ok": False, "error": exc.error}
    if exc.messages:
        if exc.error == "invalid_blocks":
            body["errors"] = [
                m.removeprefix("[ERROR] ").split(" [json-pointer:")[0] for m in exc.messages
            ]
        body["response_metadata"] = {"messages": list(exc.messages)}
    return body


def _answer_channel(body: Mapping[str, Any]) -> str | None:
    channel = body.get("channel")
    if isinstance(channel, str):
        return channel
    if isinstance(channel, Mapping) and isinstance(channel.get("id"), str):
        return channel["id"]
    return None


def _recorded_args(values: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key == "token":
            continue
        if key in JSON_ARGS and isinstance(value, str):
            with contextlib.suppress(json.JSONDecodeError):
                value = json.loads(value)
        out[key] = value
    return out


# ---------------------------------------------------------------- shared checks


def _blocks(args: Args, maximum: int) -> list[dict[str, Any]] | None:
    blocks = args.json("blocks", error="invalid_blocks_format")
    if blocks is None:
        return None
    if not isinstance(blocks, list):
        raise FakeSlackError("invalid_blocks_format", "blocks must be an array")
    problems = checks.block_problems(blocks, max_blocks=maximum)
    if problems:
        raise FakeSlackError("invalid_blocks", *problems)
    return as_stored(blocks)


def as_stored(node: Any) -> Any:
    """Blocks as Slack stores and sends them back: every plain_text object says whether
    emoji are drawn (`emoji: true` unless given), every input block whether it is
    optional (`optional: false` unless given). Payloads built from stored blocks
    (block_actions, view_submission) then carry these keys as Slack's do."""
    if isinstance(node, list):
        return [as_stored(item) for item in node]
    if not isinstance(node, dict):
        return node
    stored = {key: as_stored(value) for key, value in node.items()}
    if stored.get("type") == "plain_text":
        stored.setdefault("emoji", True)
    if stored.get("type") == "input":
        stored.setdefault("optional", False)
    return stored


def _postable_channel(ws: FakeWorkspace, raw: str | None) -> Channel:
    """A channel the bot may post in: an id, `#name`, or a user id (their DM with the bot)."""
    if raw and raw[0] in "UW" and ws.user(raw) is not None and ws.resolve_channel(raw) is None:
        return ws._open_dm(raw)
    channel = ws._require_channel(raw)
    if ws.bot_user_id not in channel.members:
        raise FakeSlackError("not_in_channel")
    return channel


def _text_and_blocks(args: Args) -> tuple[str, list[dict[str, Any]] | None]:
    text = args.str("text") or ""
    blocks = _blocks(args, limits.MAX_BLOCKS_MESSAGE)
    if not text and not blocks and args.values.get("attachments") in (None, "", "[]"):
        raise FakeSlackError("no_text")
    if len(text) > limits.MAX_MESSAGE_TEXT:
        raise FakeSlackError("msg_too_long")
    return text, blocks


def _page(items: list[Any], args: Args, kind: str) -> tuple[list[Any], str]:
    """Slack's cursor pagination: an opaque next_cursor, "" on the last page."""
    limit = args.int("limit", 100)
    limit = 100 if limit <= 0 else min(limit, 1000)
    cursor = args.str("cursor")
    start = 0
    if cursor:
        try:
            prefix, _, offset = base64.b64decode(cursor, validate=True).decode().partition(":")
            start = int(offset)
        except ValueError:
            raise FakeSlackError("invalid_cursor") from None
        if prefix != kind or not 0 <= start <= len(items):
            raise FakeSlackError("invalid_cursor")
    end = start + limit
    next_cursor = base64.b64encode(f"{kind}:{end}".encode()).decode() if end < len(items) else ""
    return items[start:end], next_cursor


# ------------------------------------------------------------------------ auth


@method("auth.test")
def auth_test(ws: FakeWorkspace, args: Args, ctx: Context) -> dict[str, Any]:
    return {
        "url": f"https://{ws.team_domain}.slack.com/",
        "team": ws.team_name,
        "user": ws.bot_name,
        "team_id": ws.team_id,
        "user_id": ws.bot_user_id,
        "bot_id": ws.bot_id,
        "is_enterprise_install": False,
    }


@method("apps.connections.open")
def apps_connections_open(ws: FakeWorkspace, args: Args, ctx: Context) -> dict[str, Any]:
    return {"url": websocket_url(ctx.base_url, ws.sockets.issue_ticket(), ws.app_id)}


# ------------------------------------------------------------------------ chat


@method("chat.postMessage")
def chat_post_message(ws: FakeWorkspace, args: Args, ctx: Context) -> dict[str, Any]:
    channel = _postable_channel(ws, args.str("channel"))
    text, blocks = _text_and_blocks(args)
    metadata = args.json("metadata")
    if metadata is not None and not (
        isinstance(metadata, dict)
        and isinstance(metadata.get("event_type"), str)
        and isinstance(metadata.get("event_payload"), dict)
    ):
        raise FakeSlackError("invalid_metadata_format")
    message = ws._post(
        channel.id,
        text=text,
        blocks=blocks,
        thread_ts=args.str("thread_ts"),
        reply_broadcast=args.bool("reply_broadcast"),
        metadata=metadata,
    )
    return {"channel": channel.id, "ts": message.ts, "message": message.to_api()}


@method("chat.update")
def chat_update(ws: FakeWorkspace, args: Args, ctx: Context) -> dict[str, Any]:
    channel = ws._require_channel(args.str("channel"))
    ts = args.str("ts")
    ws._find_record(channel.id, ts)
    text = args.str("text") if "text" in args.values else None
    blocks = _blocks(args, limits.MAX_BLOCKS_MESSAGE)
    if text is None and blocks is None:
        raise FakeSlackError("no_text")
    if text is not None and len(text) > limits.MAX_MESSAGE_TEXT:
        raise FakeSlackError("msg_too_long")
    message = ws._edit(channel.id, ts or "", text=text, blocks=blocks)
    return {
        "channel": channel.id,
        "ts": message.ts,
        "text": message.text,
        "message": message.to_api(),
    }


@method("chat.delete")
def chat_delete(ws: FakeWorkspace, args: Args, ctx: Context) -> dict[str, Any]:
    channel = ws._require_channel(args.str("channel"))
    ts = args.str("ts") or ""
    ws._delete(channel.id, ts)
    return {"channel": channel.id, "ts": ts}


@method("chat.postEphemeral")
def chat_post_ephemeral(ws: FakeWorkspace, args: Args, ctx: Context) -> dict[str, Any]:
    channel = _postable_channel(ws, args.str("channel"))
    user = ws._require_user(args.str("user"))
    if user.id not in channel.members:
        raise FakeSlackError("user_not_in_channel")
    text, blocks = _text_and_blocks(args)
    ephemeral = ws._post_ephemeral(
        channel.id,
        user.id,
        text=text,
        blocks=blocks,
        thread_ts=args.str("thread_ts"),
        source="chat.postEphemeral",
    )
    return {"message_ts": ephemeral.message_ts}


@method("chat.getPermalink")
def chat_get_permalink(ws: FakeWorkspace, args: Args, ctx: Context) -> dict[str, Any]:
    channel = ws._require_channel(args.str("channel"))
    record = ws._find_record(channel.id, args.str("message_ts"))
    permalink = (
        f"https://{ws.team_domain}.slack.com/archives/{channel.id}/p{record.ts.replace('.', '')}"
    )
    if record.thread_ts is not None and record.thread_ts != record.ts:
        permalink += f"?thread_ts={record.thread_ts}&cid={channel.id}"
    return {"channel": channel.id, "permalink": permalink}


# --------------------------------------------------------------- conversations


@method("conversations.open")
def conversations_open(ws: FakeWorkspace, args: Args, ctx: Context) -> dict[str, Any]:
    raw_users = args.values.get("users")
    if isinstance(raw_users, list):
        users = [str(u) for u in raw_users]
    else:
        users = [u.strip() for u in (args.str("users") or "").split(",") if u.strip()]
    if not users:
        existing = args.str("channel")
        if existing is None:
            raise FakeSlackError("users_list_not_supplied")
        channel = ws._require_channel(existing)
        if not channel.is_im:
            raise FakeSlackError("method_not_supported_for_channel_type")
    elif len(users) > 1:
        # Multi-person DMs exist in Slack, but nothing in Handoff opens one.
        raise FakeSlackError("not_supported", "the fake workspace only opens 1:1 DMs")
    else:
        channel = ws._open_dm(users[0])
    if args.bool("return_im"):
        return {"channel": channel.to_api(ws.bot_user_id)}
    return {"channel": {"id": channel.id}}


@method("conversations.info")
def conversations_info(ws: FakeWorkspace, args: Args, ctx: Context) -> dict[str, Any]:
    channel = ws._require_channel(args.str("channel"))
    return {"channel": channel.to_api(ws.bot_user_id)}


@method("conversations.members")
def conversations_members(ws: FakeWorkspace, args: Args, ctx: Context) -> dict[str, Any]:
    channel = ws._require_channel(args.str("channel"))
    members, next_cursor = _page(list(channel.members), args, "members")
    return {"members": members, "response_metadata": {"next_cursor": next_cursor}}


def _in_window(messages: list[Any], args: Args) -> list[dict[str, Any]]:
    """`oldest`/`latest` (exclusive unless `inclusive`), and metadata only when asked for
    with `include_all_metadata`, as Slack's history methods do."""
    oldest, latest = args.str("oldest"), args.str("latest")
    inclusive = args.bool("inclusive")
    shown = []
    for message in messages:
        ts = float(message.ts)
        if oldest and (ts < float(oldest) or (ts == float(oldest) and not inclusive)):
            continue
        if latest and (ts > float(latest) or (ts == float(latest) and not inclusive)):
            continue
        data = message.to_api()
        if not args.bool("include_all_metadata"):
            data.pop("metadata", None)
        shown.append(data)
    return shown


@method("conversations.history")
def conversations_history(ws: FakeWorkspace, args: Args, ctx: Context) -> dict[str, Any]:
    channel = ws._require_channel(args.str("channel"))
    newest_first = _in_window(list(reversed(ws.messages(channel.id))), args)
    messages, next_cursor = _page(newest_first, args, "history")
    return {
        "messages": messages,
        "has_more": bool(next_cursor),
        "response_metadata": {"next_cursor": next_cursor},
    }


@method("conversations.replies")
def conversations_replies(ws: FakeWorkspace, args: Args, ctx: Context) -> dict[str, Any]:
    channel = ws._require_channel(args.str("channel"))
    parent = ws.message(channel.id, args.str("ts") or "")
    if parent is None:
        raise FakeSlackError("thread_not_found")
    thread = _in_window([parent, *ws.replies(channel.id, parent.ts)], args)
    messages, next_cursor = _page(thread, args, "replies")
    return {
        "messages": messages,
        "has_more": bool(next_cursor),
        "response_metadata": {"next_cursor": next_cursor},
    }


# ----------------------------------------------------------------------- users


@method("users.info")
def users_info(ws: FakeWorkspace, args: Args, ctx: Context) -> dict[str, Any]:
    return {"user": ws._require_user(args.str("user")).to_api(ws.team_id)}


@method("users.list")
def users_list(ws: FakeWorkspace, args: Args, ctx: Context) -> dict[str, Any]:
    users = [user.to_api(ws.team_id) for user in ws.users]
    members, next_cursor = _page(users, args, "users")
    return {
        "members": members,
        "cache_ts": int(time.time()),
        "response_metadata": {"next_cursor": next_cursor},
    }


@method("usergroups.users.list")
def usergroups_users_list(ws: FakeWorkspace, args: Args, ctx: Context) -> dict[str, Any]:
    group = ws.usergroup(args.str("usergroup") or "")
    if group is None:
        raise FakeSlackError("no_such_subteam")
    return {"users": list(group.users)}


@method("usergroups.list")
def usergroups_list(ws: FakeWorkspace, args: Args, ctx: Context) -> dict[str, Any]:
    groups = []
    for group in ws.usergroups:
        entry: dict[str, Any] = {
            "id": group.id,
            "team_id": ws.team_id,
            "handle": group.handle,
            "name": group.name,
            "is_usergroup": True,
            "user_count": len(group.users),
        }
        if args.bool("include_users"):
            entry["users"] = list(group.users)
        groups.append(entry)
    return {"usergroups": groups}


# ----------------------------------------------------------------------- views


def _view_payload(args: Args, kind: str = "modal") -> dict[str, Any]:
    view = args.json("view")
    if view is None:
        raise FakeSlackError("invalid_arguments", "[ERROR] missing required field: view")
    if not isinstance(view, dict):
        raise FakeSlackError("invalid_arguments", "[ERROR] must be an object [json-pointer:/view]")
    if len(json.dumps(view).encode()) > limits.MAX_VIEW_BYTES:
        raise FakeSlackError("view_too_large")
    problems: list[str] = []
    if view.get("type") != kind:
        problems.append(f"[ERROR] must be {kind} [json-pointer:/view/type]")
    if kind == "modal":
        problems += checks.text_problems(
            view.get("title"), limits.MAX_MODAL_TITLE, "/view/title", plain_only=True
        )
    for button in ("submit", "close"):
        if view.get(button) is not None:
            problems += checks.text_problems(
                view.get(button), limits.MAX_MODAL_BUTTON_TEXT, f"/view/{button}", plain_only=True
            )
    for key, maximum in (
        ("private_metadata", limits.MAX_PRIVATE_METADATA),
        ("callback_id", limits.MAX_CALLBACK_ID),
        ("external_id", limits.MAX_EXTERNAL_ID),
    ):
        if view.get(key) is not None:
            problems += checks.length_problems(view[key], maximum, f"/view/{key}")
    blocks = view.get("blocks")
    if not isinstance(blocks, list):
        problems.append("[ERROR] must be an array [json-pointer:/view/blocks]")
    elif len(blocks) > limits.MAX_BLOCKS_VIEW:
        problems.append(
            f"[ERROR] must be no more than {limits.MAX_BLOCKS_VIEW} items "
            "[json-pointer:/view/blocks]"
        )
    elif view.get("submit") is None and any(
        isinstance(b, dict) and b.get("type") == "input" for b in blocks
    ):
        problems.append(
            "[ERROR] submit is required when an input block is present [json-pointer:/view/submit]"
        )
    if problems:
        raise FakeSlackError("invalid_arguments", *problems)
    block_problems = checks.block_problems(
        blocks, max_blocks=limits.MAX_BLOCKS_VIEW, pointer="/view/blocks"
    )
    if block_problems:
        raise FakeSlackError("invalid_blocks", *block_problems)
    return as_stored(view)


@method("views.open")
def views_open(ws: FakeWorkspace, args: Args, ctx: Context) -> dict[str, Any]:
    payload = _view_payload(args)
    user_id = ws._exchange_trigger(args.str("trigger_id") or args.str("interactivity_pointer"))
    return {"view": ws._open_view(user_id, payload).to_api()}


@method("views.push")
def views_push(ws: FakeWorkspace, args: Args, ctx: Context) -> dict[str, Any]:
    payload = _view_payload(args)
    user_id = ws._exchange_trigger(args.str("trigger_id") or args.str("interactivity_pointer"))
    return {"view": ws._open_view(user_id, payload, push=True).to_api()}


@method("views.publish")
def views_publish(ws: FakeWorkspace, args: Args, ctx: Context) -> dict[str, Any]:
    """The App Home tab of one user (type "home"); `hash` guards against a stale publish."""
    payload = _view_payload(args, kind="home")
    user = ws._require_user(args.str("user_id"))
    return {"view": ws._publish_home(user.id, payload, hash=args.str("hash")).to_api()}


@method("views.update")
def views_update(ws: FakeWorkspace, args: Args, ctx: Context) -> dict[str, Any]:
    view_id, external_id = args.str("view_id"), args.str("external_id")
    if view_id is None and external_id is None:
        raise FakeSlackError("invalid_arguments", "[ERROR] view_id or external_id is required")
    payload = _view_payload(args)
    view = ws._replace_view(
        view_id=view_id, external_id=external_id, payload=payload, hash=args.str("hash")
    )
    return {"view": view.to_api()}


# ----------------------------------------------------------------------- files


@method("files.getUploadURLExternal")
def files_get_upload_url_external(ws: FakeWorkspace, args: Args, ctx: Context) -> dict[str, Any]:
    filename = args.str("filename")
    length = args.int("length", -1)
    if filename is None or length < 0:
        raise FakeSlackError("invalid_arguments", "[ERROR] filename and length are required")
    file = ws._new_file(filename, length)
    return {"upload_url": f"{ctx.base_url}/upload/{file.id}", "file_id": file.id}


@method("files.completeUploadExternal")
def files_complete_upload_external(ws: FakeWorkspace, args: Args, ctx: Context) -> dict[str, Any]:
    entries = args.json("files")
    if not isinstance(entries, list) or not entries:
        raise FakeSlackError("invalid_arguments", "[ERROR] files must be a non-empty array")
    targets: list[Channel] = []
    for raw in [args.str("channel_id"), *(args.str("channels") or "").split(",")]:
        if raw and raw.strip():
            targets.append(_postable_channel(ws, raw.strip()))
    thread_ts = args.str("thread_ts")
    if thread_ts is not None and targets:
        ws._find_record(targets[0].id, thread_ts)
    files = []
    for entry in entries:
        if not isinstance(entry, dict) or not entry.get("id"):
            raise FakeSlackError("invalid_arguments", "[ERROR] each file needs an id")
        files.append(ws._complete_file(entry["id"], title=entry.get("title")))
    for channel in targets:
        file_objects = [f.to_api(ws.team_domain) for f in files]
        message = ws._post(
            channel.id,
            text=args.str("initial_comment") or "",
            blocks=None,
            thread_ts=thread_ts,
            files=file_objects,
        )
        files = [ws._share_file(f.id, channel.id, message.ts) for f in files]
    return {"files": [f.to_api(ws.team_domain) for f in files]}


# ---------------------------------------------------------------- response_url


def answer_response_url(ws: FakeWorkspace, token: str, payload: Any) -> ApiAnswer:
    """A POST to a response_url (Bolt's `respond()`), recorded as method "response_url".

    Ephemeral to the user by default; `response_type: in_channel` posts in the channel;
    `replace_original` / `delete_original` act on the message whose button was clicked.
    """
    with ws.lock:
        target = ws._response_target(token)
        if target is None:
            return ApiAnswer(404, {"ok": False, "error": "no_service"})
        values = payload if isinstance(payload, dict) else {}
        try:
            if not isinstance(payload, dict):
                raise FakeSlackError("invalid_payload")
            _apply_response(ws, target, Args(values))
            result = ApiAnswer(200, {"ok": True})
        except FakeSlackError as exc:
            status = 404 if exc.error == "message_not_found" else 400
            result = ApiAnswer(status, _error_body(exc))
        ws._record_call(
            Call(
                method="response_url",
                args=_recorded_args(values),
                ok=bool(result.body.get("ok")),
                error=result.body.get("error"),
                http_status=result.status,
                at=time.monotonic(),
                channel=target.channel_id,
            )
        )
        return result


def _apply_response(ws: FakeWorkspace, target: ResponseTarget, args: Args) -> None:
    original = target.message_ts
    if args.bool("delete_original"):
        if original is None:
            raise FakeSlackError("message_not_found")
        if target.is_ephemeral:
            ws._delete_ephemeral(original)
        else:
            ws._delete(target.channel_id, original)
        return
    text, blocks = _text_and_blocks(args)
    thread_ts = args.str("thread_ts") or target.thread_ts
    if args.bool("replace_original") and original is not None:
        # Replacing swaps the whole message: blocks left out are gone, as in Slack.
        if target.is_ephemeral:
            ws._edit_ephemeral(original, text=text, blocks=blocks or [])
        else:
            ws._edit(target.channel_id, original, text=text, blocks=blocks or [])
    elif args.str("response_type") == "in_channel":
        ws._post(target.channel_id, text=text, blocks=blocks, thread_ts=thread_ts)
    else:
        ws._post_ephemeral(
            target.channel_id,
            target.user_id,
            text=text,
            blocks=blocks,
            thread_ts=thread_ts,
            source="response_url",
        )
