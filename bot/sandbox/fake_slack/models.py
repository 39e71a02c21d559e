"""Snapshots of the fake workspace's state. All frozen; their lists and dicts are copies."""

from __future__ import annotations

import copy
import mimetypes
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

EphemeralSource = Literal["chat.postEphemeral", "response_url", "slash_command"]


@dataclass(frozen=True)
class User:
    id: str
    name: str
    real_name: str
    is_bot: bool = False
    deleted: bool = False
    tz: str = "Europe/Berlin"
    bot_id: str | None = None
    email: str | None = None
    display_name: str = ""
    # The custom status people set ("OOO until Monday", :palm_tree:); 0 = no expiry.
    status_text: str = ""
    status_emoji: str = ""
    status_expiration: int = 0

    def to_api(self, team_id: str) -> dict[str, Any]:
        profile: dict[str, Any] = {
            "real_name": self.real_name,
            "real_name_normalized": self.real_name,
            "display_name": self.display_name,
            "display_name_normalized": self.display_name,
            "status_text": self.status_text,
            "status_emoji": self.status_emoji,
            "status_expiration": self.status_expiration,
            "team": team_id,
        }
        if self.email is not None:
            profile["email"] = self.email
        if self.bot_id is not None:
            profile["bot_id"] = self.bot_id
        return {
            "id": self.id,
            "team_id": team_id,
            "name": self.name,
            "deleted": self.deleted,
            "real_name": self.real_name,
            "tz": self.tz,
            "tz_offset": _tz_offset(self.tz),
            "is_bot": self.is_bot,
            "is_app_user": False,
            "is_admin": False,
            "is_owner": False,
            "profile": profile,
        }


@dataclass(frozen=True)
class Channel:
    id: str
    name: str
    members: tuple[str, ...]
    is_im: bool = False
    is_private: bool = False
    user: str | None = None  # the other party of a DM
    created: int = 0

    def to_api(self, bot_user_id: str) -> dict[str, Any]:
        if self.is_im:
            # Slack's IM objects have no name; they name the user instead.
            return {
                "id": self.id,
                "is_im": True,
                "is_channel": False,
                "is_group": False,
                "is_mpim": False,
                "is_private": True,
                "is_archived": False,
                "is_open": True,
                "user": self.user,
                "created": self.created,
            }
        return {
            "id": self.id,
            "name": self.name,
            "name_normalized": self.name,
            "is_channel": not self.is_private,
            "is_group": self.is_private,
            "is_im": False,
            "is_mpim": False,
            "is_private": self.is_private,
            "is_archived": False,
            "is_general": False,
            "is_member": bot_user_id in self.members,
            "num_members": len(self.members),
            "created": self.created,
        }


@dataclass(frozen=True)
class Usergroup:
    id: str
    handle: str
    name: str
    users: tuple[str, ...]


@dataclass(frozen=True)
class MessageVersion:
    """What a message said before an edit."""

    text: str
    blocks: list[dict[str, Any]]
    edited_at_ts: str


@dataclass(frozen=True)
class Message:
    ts: str
    channel: str
    user: str
    bot_id: str | None
    app_id: str | None
    team: str
    text: str
    blocks: list[dict[str, Any]]
    thread_ts: str | None = None
    files: list[dict[str, Any]] = field(default_factory=list)
    reply_broadcast: bool = False
    edit_count: int = 0
    history: tuple[MessageVersion, ...] = ()
    reply_count: int = 0
    reply_users: tuple[str, ...] = ()
    latest_reply: str | None = None
    metadata: dict[str, Any] | None = None

    @property
    def is_reply(self) -> bool:
        return self.thread_ts is not None and self.thread_ts != self.ts

    def action_ids(self) -> list[str]:
        """Every action_id in the message's blocks, in order (handy for assertions)."""
        return list(iter_action_ids(self.blocks))

    def to_api(self) -> dict[str, Any]:
        """The message as Slack shows it in API answers and interaction payloads."""
        out: dict[str, Any] = {
            "type": "message",
            "user": self.user,
            "text": self.text,
            "ts": self.ts,
            "team": self.team,
        }
        if self.blocks:
            out["blocks"] = copy.deepcopy(self.blocks)
        if self.bot_id is not None:
            out["bot_id"] = self.bot_id
            out["app_id"] = self.app_id
        if self.thread_ts is not None:
            out["thread_ts"] = self.thread_ts
        if self.reply_broadcast:
            out["subtype"] = "thread_broadcast"
        if self.reply_count:
            out["thread_ts"] = self.ts
            out["reply_count"] = self.reply_count
            out["reply_users"] = list(self.reply_users)
            out["reply_users_count"] = len(self.reply_users)
            out["latest_reply"] = self.latest_reply
        if self.history:
            out["edited"] = {"user": self.user, "ts": self.history[-1].edited_at_ts}
        if self.files:
            out["files"] = copy.deepcopy(self.files)
            out["upload"] = False
        if self.metadata is not None:
            out["metadata"] = copy.deepcopy(self.metadata)
        return out


@dataclass(frozen=True)
class Ephemeral:
    """A message only `user` sees: chat.postEphemeral, response_url, or a slash command ack."""

    message_ts: str
    channel: str
    user: str
    text: str
    blocks: list[dict[str, Any]]
    thread_ts: str | None
    source: EphemeralSource
    at: float
    edit_count: int = 0

    def action_ids(self) -> list[str]:
        return list(iter_action_ids(self.blocks))

    def to_api(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "message", "text": self.text, "ts": self.message_ts}
        if self.blocks:
            out["blocks"] = copy.deepcopy(self.blocks)
        if self.thread_ts is not None:
            out["thread_ts"] = self.thread_ts
        return out


@dataclass(frozen=True)
class View:
    id: str
    team_id: str
    user_id: str
    type: str
    title: dict[str, Any]
    blocks: list[dict[str, Any]]
    close: dict[str, Any] | None
    submit: dict[str, Any] | None
    private_metadata: str
    callback_id: str
    external_id: str
    hash: str
    root_view_id: str
    previous_view_id: str | None
    clear_on_close: bool
    notify_on_close: bool
    app_id: str
    bot_id: str
    is_open: bool = True
    # The `errors` of the bot's last `response_action: errors` answer, if any.
    errors: dict[str, str] | None = None
    state: dict[str, Any] = field(default_factory=lambda: {"values": {}})

    def to_api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "team_id": self.team_id,
            "type": self.type,
            "title": copy.deepcopy(self.title),
            "blocks": copy.deepcopy(self.blocks),
            "close": copy.deepcopy(self.close),
            "submit": copy.deepcopy(self.submit),
            "private_metadata": self.private_metadata,
            "callback_id": self.callback_id,
            "external_id": self.external_id,
            "state": copy.deepcopy(self.state),
            "hash": self.hash,
            "clear_on_close": self.clear_on_close,
            "notify_on_close": self.notify_on_close,
            "root_view_id": self.root_view_id,
            "previous_view_id": self.previous_view_id,
            "app_id": self.app_id,
            "app_installed_team_id": self.team_id,
            "bot_id": self.bot_id,
        }


@dataclass(frozen=True)
class File:
    id: str
    name: str
    title: str
    length: int
    user: str
    created: int
    content: bytes | None = None  # None until the client has POSTed the bytes
    shares: tuple[tuple[str, str], ...] = ()  # (channel, message ts) per share
    completed: bool = False

    @property
    def mimetype(self) -> str:
        return mimetypes.guess_type(self.name)[0] or "application/octet-stream"

    def to_api(self, team_domain: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "created": self.created,
            "timestamp": self.created,
            "name": self.name,
            "title": self.title,
            "mimetype": self.mimetype,
            "filetype": self.name.rsplit(".", 1)[-1] if "." in self.name else "binary",
            "user": self.user,
            "size": len(self.content) if self.content is not None else self.length,
            "is_external": False,
            "channels": sorted({channel for channel, _ in self.shares if channel[0] == "C"}),
            "ims": sorted({channel for channel, _ in self.shares if channel[0] == "D"}),
            "permalink": f"https://{team_domain}.slack.com/files/{self.user}/{self.id}/{self.name}",
        }


@dataclass(frozen=True)
class Call:
    """One Web API call, as the fake saw and answered it (the token is left out of args)."""

    method: str
    args: dict[str, Any]
    ok: bool
    error: str | None
    http_status: int
    at: float  # time.monotonic()
    channel: str | None


def iter_action_ids(blocks: list[dict[str, Any]]):
    for block in blocks:
        for element in iter_elements(block):
            if "action_id" in element:
                yield element["action_id"]


def iter_elements(block: dict[str, Any]):
    """Interactive elements of a block: actions elements, a section accessory, an input."""
    if block.get("type") == "actions":
        yield from (e for e in block.get("elements") or () if isinstance(e, dict))
    accessory = block.get("accessory")
    if isinstance(accessory, dict):
        yield accessory
    element = block.get("element")
    if block.get("type") == "input" and isinstance(element, dict):
        yield element


def _tz_offset(tz: str) -> int:
    try:
        offset = datetime.now(ZoneInfo(tz)).utcoffset()
    except (ZoneInfoNotFoundError, ValueError):
        return 0
    return int(offset.total_seconds()) if offset is not None else 0
