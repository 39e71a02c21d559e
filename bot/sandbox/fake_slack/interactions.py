"""Slack-shaped, correctly signed requests from the fake workspace to the bot.

A click, a modal submission or a slash command is built from what the workspace holds
(the message and its button, the open view), sent to `{bot_url}/slack/events` the way
Slack sends it, and the bot's HTTP answer is applied the way Slack would apply it (view
closed or kept open with errors, slash command ack shown to the user).

With `transport="socket"` the same payloads go to the bot as Socket Mode envelopes over
the WebSocket it opened (socket_mode.py), and the payload of its ack is applied exactly
like an HTTP answer; the methods return an httpx.Response made from the ack, so one test
reads the same either way.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlencode

import httpx

from . import api
from .models import View, iter_elements
from .socket_mode import Ack, EnvelopeType
from .workspace import FakeSlackError, FakeWorkspace

EVENTS_PATH = "/slack/events"
_USER_AGENT = "Slackbot 1.0 (+https://api.slack.com/robots)"
_VALUE_ELEMENTS = frozenset(
    {"plain_text_input", "email_text_input", "url_text_input", "number_input"}
)
_SINGLE_OPTION_ELEMENTS = frozenset({"static_select", "radio_buttons", "external_select"})
_MULTI_OPTION_ELEMENTS = frozenset({"multi_static_select", "checkboxes", "multi_external_select"})
_SELECTED_KEYS = {
    "datepicker": "selected_date",
    "timepicker": "selected_time",
    "datetimepicker": "selected_date_time",
    "users_select": "selected_user",
    "conversations_select": "selected_conversation",
    "channels_select": "selected_channel",
    "multi_users_select": "selected_users",
    "multi_conversations_select": "selected_conversations",
    "multi_channels_select": "selected_channels",
}
_INITIAL_KEYS = {
    "datepicker": "initial_date",
    "timepicker": "initial_time",
    "datetimepicker": "initial_date_time",
    "users_select": "initial_user",
    "conversations_select": "initial_conversation",
    "channels_select": "initial_channel",
    "multi_users_select": "initial_users",
    "multi_conversations_select": "initial_conversations",
    "multi_channels_select": "initial_channels",
}


Transport = Literal["http", "socket"]


@dataclass(frozen=True)
class Delivery:
    """A request ready to send, and what to do with the bot's answer."""

    body: bytes
    after: Callable[[httpx.Response], None]
    # Interactions and commands are form-encoded; the Events API posts JSON.
    content_type: str = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class _PayloadDelivery(Delivery):
    payload: dict[str, Any] = field(default_factory=dict)
    # Over Socket Mode: the envelope type that carries `payload`.
    envelope: EnvelopeType = EnvelopeType.INTERACTIVE


def ack_response(ack: Ack) -> httpx.Response:
    """The bot's ack as the HTTP answer Slack would have had: 200 with its payload, if any.

    No ack in time is a 504: Slack stops waiting and shows the user an error.
    """
    if not ack.acked:
        return httpx.Response(504, json={"error": "no_ack_within_3_seconds"})
    if ack.payload is None:
        return httpx.Response(200, content=b"")
    return httpx.Response(200, json=ack.payload)


class InteractionSender:
    """Sends what a user's clicks, submissions and commands would make Slack send."""

    def __init__(
        self,
        ws: FakeWorkspace,
        *,
        bot_url: str,
        signing_secret: str,
        response_base_url: str | None = None,
        verification_token: str = "verification_token",
        timeout: float = 10.0,
        transport: Transport = "http",
    ) -> None:
        self.ws = ws
        self.transport = transport
        self.events_url = bot_url.rstrip("/") + EVENTS_PATH
        self.signing_secret = signing_secret
        self._response_base_url = response_base_url
        self.verification_token = verification_token
        self.timeout = timeout

    # ---------------------------------------------------------------- signing

    def sign(
        self,
        body: bytes,
        timestamp: int | None = None,
        content_type: str = "application/x-www-form-urlencoded",
    ) -> dict[str, str]:
        """Headers Slack sends: the timestamp and `v0=` HMAC-SHA256 of `v0:{ts}:{body}`."""
        ts = str(int(time.time()) if timestamp is None else timestamp)
        digest = hmac.new(
            self.signing_secret.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256
        ).hexdigest()
        return {
            "Content-Type": content_type,
            "User-Agent": _USER_AGENT,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": f"v0={digest}",
        }

    def post(self, body: bytes, headers: Mapping[str, str] | None = None) -> httpx.Response:
        """POST a raw body, signed unless `headers` are given (for tampering tests)."""
        return httpx.post(
            self.events_url,
            content=body,
            headers=dict(headers) if headers is not None else self.sign(body),
            timeout=self.timeout,
        )

    async def apost(self, body: bytes, headers: Mapping[str, str] | None = None) -> httpx.Response:
        async with httpx.AsyncClient(timeout=self.timeout) as client:
            return await client.post(
                self.events_url,
                content=body,
                headers=dict(headers) if headers is not None else self.sign(body),
            )

    @staticmethod
    def encode_payload(payload: Mapping[str, Any]) -> bytes:
        """An interaction payload as Slack sends it: form-encoded `payload=<json>`."""
        return urlencode({"payload": json.dumps(payload)}).encode()

    def post_payload(self, payload: Mapping[str, Any]) -> httpx.Response:
        """Send an interaction payload as is (e.g. an edited `block_actions_payload`)."""
        return self._send(self._as_is(payload))

    async def apost_payload(self, payload: Mapping[str, Any]) -> httpx.Response:
        return await self._asend(self._as_is(payload))

    def _as_is(self, payload: Mapping[str, Any]) -> _PayloadDelivery:
        return _PayloadDelivery(
            body=self.encode_payload(payload), after=lambda _: None, payload=dict(payload)
        )

    def _send(self, delivery: Delivery) -> httpx.Response:
        if self.transport == "socket":
            kind, payload = _envelope_of(delivery)
            response = ack_response(self.ws.sockets.deliver(kind, payload, self.timeout))
        else:
            response = self.post(
                delivery.body, self.sign(delivery.body, None, delivery.content_type)
            )
        delivery.after(response)
        return response

    async def _asend(self, delivery: Delivery) -> httpx.Response:
        if self.transport == "socket":
            kind, payload = _envelope_of(delivery)
            response = ack_response(await self.ws.sockets.adeliver(kind, payload))
        else:
            headers = self.sign(delivery.body, None, delivery.content_type)
            response = await self.apost(delivery.body, headers)
        delivery.after(response)
        return response

    # ----------------------------------------------------------------- clicks

    def click(
        self,
        *,
        user: str,
        channel: str,
        action_id: str,
        ts: str | None = None,
        block_id: str | None = None,
        value: str | None = None,
    ) -> httpx.Response:
        """Click a button (or pick option `value` of a select/overflow) in a message.

        Without `ts` the newest message (reply, or ephemeral the user sees) holding that
        action_id is used. Raises LookupError if the user can't see such an element.
        """
        return self._send(self._click(user, channel, action_id, ts, block_id, value))

    async def aclick(
        self,
        *,
        user: str,
        channel: str,
        action_id: str,
        ts: str | None = None,
        block_id: str | None = None,
        value: str | None = None,
    ) -> httpx.Response:
        return await self._asend(self._click(user, channel, action_id, ts, block_id, value))

    def click_in_dm(
        self,
        *,
        user: str,
        action_id: str,
        ts: str | None = None,
        block_id: str | None = None,
        value: str | None = None,
    ) -> httpx.Response:
        """`click` in the user's DM with the bot."""
        return self.click(
            user=user,
            channel=self._dm(user),
            action_id=action_id,
            ts=ts,
            block_id=block_id,
            value=value,
        )

    async def aclick_in_dm(
        self,
        *,
        user: str,
        action_id: str,
        ts: str | None = None,
        block_id: str | None = None,
        value: str | None = None,
    ) -> httpx.Response:
        return await self.aclick(
            user=user,
            channel=self._dm(user),
            action_id=action_id,
            ts=ts,
            block_id=block_id,
            value=value,
        )

    def click_in_home(
        self, *, user: str, action_id: str, value: str | None = None
    ) -> httpx.Response:
        """Click a button on the user's App Home tab, as Slack sends it (container: view)."""
        ws = self.ws
        with ws.lock:
            person = self._active_user(user)
            home = ws.home(user)
            if home is None:
                raise LookupError(f"{user} has no App Home tab published")
            found = [
                (block, element)
                for block in home.blocks
                for element in iter_elements(block)
                if element.get("action_id") == action_id and _matches_value(element, value)
            ]
            if not found:
                raise LookupError(f"no element with action_id={action_id!r} on {user}'s home")
            block, element = found[0]
            payload: dict[str, Any] = {
                "type": "block_actions",
                "user": self._user_ref(person),
                "api_app_id": ws.app_id,
                "token": self.verification_token,
                "container": {"type": "view", "view_id": home.id},
                "trigger_id": ws.issue_trigger(user),
                "team": {"id": ws.team_id, "domain": ws.team_domain},
                "enterprise": None,
                "is_enterprise_install": False,
                "view": home.to_api(),
                "actions": [_action(block, element, value)],
            }
        return self._send(
            _PayloadDelivery(self.encode_payload(payload), lambda response: None, payload=payload)
        )

    def block_actions_payload(
        self,
        *,
        user: str,
        channel: str,
        action_id: str,
        ts: str | None = None,
        block_id: str | None = None,
        value: str | None = None,
    ) -> dict[str, Any]:
        """The block_actions payload `click` would send (issuing a trigger and response_url)."""
        return self._click(user, channel, action_id, ts, block_id, value).payload

    def _dm(self, user: str) -> str:
        channel = self.ws.dm_channel(user)
        if channel is None:
            raise LookupError(f"{user} has no DM with the bot yet")
        return channel

    def _click(
        self,
        user_id: str,
        channel: str,
        action_id: str,
        ts: str | None,
        block_id: str | None,
        value: str | None,
    ) -> _PayloadDelivery:
        ws = self.ws
        with ws.lock:
            user = self._active_user(user_id)
            channel_obj = ws.channel(channel)
            if channel_obj is None:
                raise LookupError(f"no channel {channel!r} in the fake workspace")
            if channel_obj.is_im and user_id not in channel_obj.members:
                raise LookupError(f"{user_id} cannot see DM {channel_obj.id}")
            found = self._find_element(user_id, channel_obj.id, action_id, ts, block_id, value)
            source, is_ephemeral, block, element = found
            message_ts = source.message_ts if is_ephemeral else source.ts
            thread_ts = source.thread_ts
            action = _action(block, element, value)
            container: dict[str, Any] = {
                "type": "message",
                "message_ts": message_ts,
                "channel_id": channel_obj.id,
                "is_ephemeral": is_ephemeral,
            }
            if thread_ts is not None:
                container["thread_ts"] = thread_ts
            token = ws._issue_response_target(
                user_id=user_id,
                channel_id=channel_obj.id,
                message_ts=message_ts,
                is_ephemeral=is_ephemeral,
                thread_ts=thread_ts,
            )
            payload: dict[str, Any] = {
                "type": "block_actions",
                "user": self._user_ref(user),
                "api_app_id": ws.app_id,
                "token": self.verification_token,
                "container": container,
                "trigger_id": ws.issue_trigger(user_id),
                "team": {"id": ws.team_id, "domain": ws.team_domain},
                "enterprise": None,
                "is_enterprise_install": False,
                "channel": {
                    "id": channel_obj.id,
                    "name": "directmessage" if channel_obj.is_im else channel_obj.name,
                },
                "state": {"values": {}},
                "response_url": self._response_url(token),
                "actions": [action],
            }
            if not is_ephemeral:
                # Slack leaves the message out for ephemeral ones; the app never stored them.
                payload["message"] = source.to_api()
        return _PayloadDelivery(
            body=self.encode_payload(payload), after=lambda response: None, payload=payload
        )

    def _find_element(
        self,
        user_id: str,
        channel_id: str,
        action_id: str,
        ts: str | None,
        block_id: str | None,
        value: str | None,
    ) -> tuple[Any, bool, dict[str, Any], dict[str, Any]]:
        ws = self.ws
        candidates: list[tuple[str, Any, bool]] = []
        if ts is not None:
            # Straight to the message: a channel of thousands of cards is not read whole.
            message = ws.message(channel_id, ts)
            if message is not None:
                candidates.append((ts, message, False))
        else:
            for message in ws.messages(channel_id):
                candidates.append((message.ts, message, False))
                for reply in ws.replies(channel_id, message.ts):
                    if not reply.reply_broadcast:
                        candidates.append((reply.ts, reply, False))
        for ephemeral in ws.ephemerals(channel=channel_id, user=user_id):
            if ts is None or ephemeral.message_ts == ts:
                candidates.append((ephemeral.message_ts, ephemeral, True))
        if ts is not None and not candidates:
            raise LookupError(f"no message {ts} in {channel_id} that {user_id} can see")
        seen: list[str] = []
        for _, source, is_ephemeral in sorted(
            candidates, key=lambda c: _ts_key(c[0]), reverse=True
        ):
            for block in source.blocks:
                for element in iter_elements(block):
                    seen.append(str(element.get("action_id")))
                    if element.get("action_id") != action_id:
                        continue
                    if block_id is not None and block.get("block_id") != block_id:
                        continue
                    if not _matches_value(element, value):
                        continue
                    return source, is_ephemeral, block, element
        where = f"message {ts}" if ts else f"any message in {channel_id}"
        raise LookupError(
            f"no element with action_id={action_id!r}"
            + (f", block_id={block_id!r}" if block_id else "")
            + (f", value={value!r}" if value is not None else "")
            + f" in {where}; action_ids there: {sorted(set(seen))}"
        )

    # ------------------------------------------------------------------ views

    def submit_view(
        self,
        *,
        user: str,
        view_id: str,
        values: Mapping[str, Any] | None = None,
        enforce_required: bool = True,
    ) -> httpx.Response:
        """Submit an open modal with `values` = {block_id: {action_id: value}}.

        A value is a string for text inputs, an option value for single selects, a list
        of option values for multi selects. Fields left out keep their initial value.
        Like Slack, refuses to submit with a required field empty (ValueError), unless
        `enforce_required=False`.
        """
        return self._send(self._submission(user, view_id, values or {}, enforce_required))

    async def asubmit_view(
        self,
        *,
        user: str,
        view_id: str,
        values: Mapping[str, Any] | None = None,
        enforce_required: bool = True,
    ) -> httpx.Response:
        return await self._asend(self._submission(user, view_id, values or {}, enforce_required))

    def view_submission_payload(
        self,
        *,
        user: str,
        view_id: str,
        values: Mapping[str, Any] | None = None,
        enforce_required: bool = True,
    ) -> dict[str, Any]:
        return self._submission(user, view_id, values or {}, enforce_required).payload

    def _submission(
        self, user_id: str, view_id: str, values: Mapping[str, Any], enforce_required: bool
    ) -> _PayloadDelivery:
        ws = self.ws
        with ws.lock:
            user = self._active_user(user_id)
            view = ws.view(view_id)
            if view is None or not view.is_open:
                raise LookupError(f"view {view_id} is not open")
            if view.user_id != user_id:
                raise LookupError(f"view {view_id} belongs to {view.user_id}, not {user_id}")
            view_api = view.to_api()
            view_api["state"] = {"values": _state_values(view, values, enforce_required)}
            payload = {
                "type": "view_submission",
                "team": {"id": ws.team_id, "domain": ws.team_domain},
                "user": self._user_ref(user),
                "api_app_id": ws.app_id,
                "token": self.verification_token,
                "trigger_id": ws.issue_trigger(user_id),
                "view": view_api,
                "response_urls": [],
                "enterprise": None,
                "is_enterprise_install": False,
            }
        return _PayloadDelivery(
            body=self.encode_payload(payload),
            after=lambda response: self._after_submission(view, response),
            payload=payload,
        )

    def _after_submission(self, view: View, response: httpx.Response) -> None:
        """Do with the modal what Slack does with the bot's answer to a submission."""
        if response.status_code != 200:
            return  # Slack shows the user an error and keeps the modal as it was
        answer = _json_body(response)
        action = answer.get("response_action") if isinstance(answer, dict) else None
        ws = self.ws
        with ws.lock:
            if action == "errors":
                errors = answer.get("errors") or {}
                inputs = {b.get("block_id") for b in view.blocks if b.get("type") == "input"}
                if not isinstance(errors, dict) or not errors or set(errors) - inputs:
                    # Slack only accepts errors keyed by the view's input block_ids.
                    raise ValueError(
                        f"the bot answered response_action=errors with {errors!r}; Slack needs"
                        f" a non-empty map keyed by input block_ids {sorted(inputs)}"
                    )
                ws._set_view_errors(view.id, errors)
            elif action in ("update", "push"):
                try:
                    payload = api._view_payload(api.Args({"view": answer.get("view")}))
                    if action == "update":
                        ws._replace_view(view_id=view.id, external_id=None, payload=payload)
                    else:
                        ws._open_view(view.user_id, payload, push=True)
                except FakeSlackError as exc:
                    raise ValueError(
                        f"the bot answered response_action={action} with a view Slack refuses:"
                        f" {exc.error} {exc.messages}"
                    ) from exc
            elif action == "clear":
                ws._close_all_views(view.user_id)
            else:
                ws._close_view(view.id)

    # --------------------------------------------------------- slash commands

    def slash_command(
        self, *, user: str, channel: str, command: str, text: str = ""
    ) -> httpx.Response:
        """Run `/command text`; an ack with text/blocks is shown as Slack shows it."""
        return self._send(self._slash(user, channel, command, text))

    async def aslash_command(
        self, *, user: str, channel: str, command: str, text: str = ""
    ) -> httpx.Response:
        return await self._asend(self._slash(user, channel, command, text))

    def _slash(self, user_id: str, channel: str, command: str, text: str) -> Delivery:
        ws = self.ws
        with ws.lock:
            user = self._active_user(user_id)
            channel_obj = ws.channel(channel)
            if channel_obj is None:
                raise LookupError(f"no channel {channel!r} in the fake workspace")
            token = ws._issue_response_target(user_id=user_id, channel_id=channel_obj.id)
            form = {
                "token": self.verification_token,
                "team_id": ws.team_id,
                "team_domain": ws.team_domain,
                "channel_id": channel_obj.id,
                "channel_name": "directmessage" if channel_obj.is_im else channel_obj.name,
                "user_id": user.id,
                "user_name": user.name,
                "command": command if command.startswith("/") else f"/{command}",
                "text": text,
                "api_app_id": ws.app_id,
                "is_enterprise_install": "false",
                "response_url": self._response_url(token),
                "trigger_id": ws.issue_trigger(user_id),
            }
        channel_id = channel_obj.id

        def after(response: httpx.Response) -> None:
            self._after_slash(user_id, channel_id, response)

        return _PayloadDelivery(
            urlencode(form).encode(), after, payload=form, envelope=EnvelopeType.SLASH_COMMANDS
        )

    def _after_slash(self, user_id: str, channel_id: str, response: httpx.Response) -> None:
        if response.status_code != 200 or not response.content.strip():
            return
        answer = _json_body(response)
        if not isinstance(answer, dict):
            answer = {"text": response.text}
        if not answer.get("text") and not answer.get("blocks"):
            return
        try:
            text, blocks = api._text_and_blocks(api.Args(answer))
        except FakeSlackError as exc:
            raise ValueError(
                f"the bot acked the slash command with a message Slack refuses: {exc.error}"
                f" {exc.messages}"
            ) from exc
        ws = self.ws
        with ws.lock:
            if answer.get("response_type") == "in_channel":
                ws._post(channel_id, text=text, blocks=blocks)
            else:
                ws._post_ephemeral(
                    channel_id,
                    user_id,
                    text=text,
                    blocks=blocks,
                    thread_ts=None,
                    source="slash_command",
                )

    # ----------------------------------------------------------------- events

    def message_in_dm(self, *, user: str, text: str) -> httpx.Response:
        """`user` types `text` in their DM with the bot (the App Home messages tab); the bot
        hears of it as a message.im event, as Slack sends one."""
        ws = self.ws
        with ws.lock:
            self._active_user(user)
            channel = ws._open_dm(user).id
            message = ws._post(channel, text=text, blocks=None, user=user)
            event = {
                "type": "message",
                "channel": channel,
                "user": user,
                "text": text,
                "ts": message.ts,
                "event_ts": message.ts,
                "channel_type": "im",
                "team": ws.team_id,
            }
        return self.send_event(event)

    def send_event(self, event: Mapping[str, Any]) -> httpx.Response:
        """Deliver an Events API event: a signed JSON POST, or an events_api envelope."""
        payload = self.event_payload(event)
        return self._send(
            _PayloadDelivery(
                body=json.dumps(payload).encode(),
                after=lambda _: None,
                content_type="application/json",
                payload=payload,
                envelope=EnvelopeType.EVENTS_API,
            )
        )

    def event_payload(self, event: Mapping[str, Any]) -> dict[str, Any]:
        """The `event_callback` wrapper Slack puts around an event."""
        ws = self.ws
        return {
            "token": self.verification_token,
            "team_id": ws.team_id,
            "api_app_id": ws.app_id,
            "event": dict(event),
            "type": "event_callback",
            "event_id": f"Ev{secrets.token_hex(5).upper()}",
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": ws.team_id,
                    "user_id": ws.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
        }

    # ---------------------------------------------------------------- helpers

    def _active_user(self, user_id: str) -> Any:
        user = self.ws.user(user_id)
        if user is None:
            raise LookupError(f"no user {user_id} in the fake workspace")
        if user.deleted:
            raise LookupError(f"{user_id} is deactivated and can't use Slack")
        return user

    def _user_ref(self, user: Any) -> dict[str, str]:
        return {"id": user.id, "username": user.name, "name": user.name, "team_id": self.ws.team_id}

    def _response_url(self, token: str) -> str:
        base = self._response_base_url or self.ws.public_url
        if base is None:
            raise RuntimeError(
                "no response_base_url: pass one, or start a FakeSlackServer for the workspace"
            )
        return f"{base.rstrip('/')}/response/{token}"


def _envelope_of(delivery: Delivery) -> tuple[EnvelopeType, dict[str, Any]]:
    if not isinstance(delivery, _PayloadDelivery):
        raise TypeError("only payload deliveries travel over Socket Mode")
    return delivery.envelope, delivery.payload


def _action(block: dict[str, Any], element: dict[str, Any], value: str | None) -> dict[str, Any]:
    action: dict[str, Any] = {
        "type": element.get("type"),
        "action_id": element.get("action_id"),
        "block_id": block.get("block_id"),
        "action_ts": f"{time.time():.6f}",
    }
    kind = element.get("type")
    if kind == "button":
        action["text"] = element.get("text")
        if "value" in element:
            action["value"] = element["value"]
        if "style" in element:
            action["style"] = element["style"]
    elif kind in _SINGLE_OPTION_ELEMENTS or kind == "overflow":
        action["selected_option"] = _option(element, value)
    elif kind in _MULTI_OPTION_ELEMENTS:
        action["selected_options"] = [_option(element, value)]
    return action


def _matches_value(element: dict[str, Any], value: str | None) -> bool:
    if value is None:
        return element.get("type") not in (
            _SINGLE_OPTION_ELEMENTS | _MULTI_OPTION_ELEMENTS | {"overflow"}
        )
    if element.get("type") == "button":
        return element.get("value") == value
    return any(o.get("value") == value for o in _options(element))


def _options(element: Mapping[str, Any]) -> list[dict[str, Any]]:
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options += group.get("options") or []
    return options


def _option(element: Mapping[str, Any], value: str) -> dict[str, Any]:
    for option in _options(element):
        if option.get("value") == value:
            return dict(option)
    if element.get("type") in ("external_select", "multi_external_select"):
        return {"text": {"type": "plain_text", "text": value}, "value": value}
    valid = [o.get("value") for o in _options(element)]
    raise ValueError(f"{value!r} is not an option of {element.get('action_id')}; options: {valid}")


def _state_values(
    view: View, values: Mapping[str, Any], enforce_required: bool
) -> dict[str, dict[str, Any]]:
    state: dict[str, dict[str, Any]] = {}
    input_blocks = {
        b.get("block_id"): b
        for b in view.blocks
        if b.get("type") == "input" and isinstance(b.get("element"), dict)
    }
    unknown = set(values) - set(input_blocks)
    if unknown:
        raise LookupError(
            f"view {view.id} has no input blocks {sorted(unknown)}; it has {sorted(input_blocks)}"
        )
    for block_id, block in input_blocks.items():
        element = block["element"]
        action_id = element.get("action_id")
        supplied = values.get(block_id, _MISSING)
        if isinstance(supplied, Mapping):
            if set(supplied) - {action_id}:
                raise LookupError(f"input block {block_id} has action_id {action_id!r} only")
            supplied = supplied.get(action_id, _MISSING)
        entry = _element_state(element, supplied)
        if enforce_required and not block.get("optional", False) and _is_empty(entry):
            raise ValueError(f"required input {block_id} is empty; Slack would not submit")
        max_length = element.get("max_length")
        if isinstance(entry.get("value"), str) and max_length and len(entry["value"]) > max_length:
            raise ValueError(f"input {block_id} is longer than its max_length {max_length}")
        state[block_id] = {action_id: entry}
    return state


class _Missing:
    pass


_MISSING: Any = _Missing()


def _element_state(element: Mapping[str, Any], supplied: Any) -> dict[str, Any]:
    kind = element.get("type")
    entry: dict[str, Any] = {"type": kind}
    given = supplied is not _MISSING
    if kind in _VALUE_ELEMENTS:
        value = supplied if given else element.get("initial_value")
        entry["value"] = None if value is None or value == "" else str(value)
    elif kind in _SINGLE_OPTION_ELEMENTS:
        if given:
            entry["selected_option"] = None if supplied is None else _option(element, supplied)
        else:
            entry["selected_option"] = element.get("initial_option")
    elif kind in _MULTI_OPTION_ELEMENTS:
        if given:
            chosen = [supplied] if isinstance(supplied, str) else list(supplied or [])
            entry["selected_options"] = [_option(element, v) for v in chosen]
        else:
            entry["selected_options"] = list(element.get("initial_options") or [])
    elif kind in _SELECTED_KEYS:
        key = _SELECTED_KEYS[kind]
        entry[key] = supplied if given else element.get(_INITIAL_KEYS[kind])
    else:
        entry["value"] = supplied if given else None
    return entry


def _is_empty(entry: Mapping[str, Any]) -> bool:
    return all(v in (None, "", []) for k, v in entry.items() if k != "type")


def _json_body(response: httpx.Response) -> Any:
    if not response.content.strip():
        return None
    try:
        return response.json()
    except ValueError:
        return None


def _ts_key(ts: str) -> tuple[int, int]:
    seconds, _, micros = ts.partition(".")
    return int(seconds), int(micros or 0)
