"""Is a signed request from Slack shaped like something Slack sends?

Only a holder of the signing secret gets this far, but a malformed body must
still get a clear 400, never a 500 (which makes Slack retry and shows the
person an error) and never a half-run listener. The checks are the ones every
listener relies on: text, a JSON object where Slack sends one, lists where it
sends lists.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs


def request_problem(body: bytes, content_type: str) -> str | None:
    """Why this body is not a Slack request the bot can read, or None."""
    return read_request(body, content_type)[0]


def read_request(body: bytes, content_type: str) -> tuple[str | None, dict[str, Any] | None]:
    """(why the body is unreadable or None, the body as Bolt would parse it or None).

    An interaction's payload is a URL-encoded JSON document of tens of kilobytes (the
    whole card comes back); decoding it is the costliest step of a click before its
    ack, so the parsed body is handed on to Bolt rather than decoded twice. None as
    the second value leaves the parsing to Bolt.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return "the body is not UTF-8", None
    kind = content_type.split(";")[0].strip().lower()
    if kind == "application/json":
        data = _json_object(text)
        return _event_problem(data), data if isinstance(data, dict) else None
    if kind != "application/x-www-form-urlencoded":
        return f"unexpected content type {kind or '(none)'}", None
    try:
        form = parse_qs(text, keep_blank_values=True, strict_parsing=False, max_num_fields=200)
    except ValueError as exc:
        return f"the form cannot be read ({exc})", None
    if "payload" in form:
        # The last one, as Bolt reads a form (dict(parse_qsl(...))).
        data = _json_object(form["payload"][-1])
        parsed = data if isinstance(data, dict) and not text.startswith("{") else None
        return _interaction_problem(data), parsed
    if "command" in form:
        return (None if form.get("user_id") else "a slash command without user_id"), None
    if "ssl_check" in form:
        return None, None
    return "neither an interaction payload nor a slash command", None


def _json_object(text: str) -> dict[str, Any] | str:
    try:
        value = json.loads(text)
    except RecursionError:
        # About a thousand levels deep: nothing Slack sends.
        return "the JSON is nested too deeply"
    except ValueError as exc:
        return f"not JSON ({exc})"
    return value if isinstance(value, dict) else "the JSON is not an object"


def _event_problem(data: dict[str, Any] | str) -> str | None:
    if isinstance(data, str):
        return data
    if not isinstance(data.get("type"), str):
        return "an event body without a type"
    if "event" in data and not isinstance(data["event"], dict):
        return "event is not an object"
    return None


def _interaction_problem(data: dict[str, Any] | str) -> str | None:
    if isinstance(data, str):
        return f"payload: {data}"
    if not isinstance(data.get("type"), str):
        return "payload has no type"
    user = data.get("user")
    if user is not None and not (isinstance(user, dict) and isinstance(user.get("id"), str)):
        return "payload.user is not an object with an id"
    actions = data.get("actions")
    if actions is not None and not (
        isinstance(actions, list)
        and all(isinstance(a, dict) and isinstance(a.get("action_id"), str) for a in actions)
    ):
        return "payload.actions is not a list of actions"
    view = data.get("view")
    if view is not None:
        return _view_problem(view)
    if data["type"] == "view_submission":
        return "a view_submission without its view"
    return None


def _view_problem(view: Any) -> str | None:
    if not isinstance(view, dict):
        return "payload.view is not an object"
    state = view.get("state", {})
    values = state.get("values", {}) if isinstance(state, dict) else None
    if not isinstance(values, dict) or not all(
        isinstance(block, dict) and all(isinstance(v, dict) for v in block.values())
        for block in values.values()
    ):
        return "payload.view.state.values is not a map of blocks to inputs"
    metadata = view.get("private_metadata")
    if metadata is not None and not isinstance(metadata, str):
        return "payload.view.private_metadata is not text"
    return None
