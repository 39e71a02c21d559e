"""The fake workspace's state: users, channels, messages, views, files, and every call.

One re-entrant lock guards everything. Public methods return frozen snapshots (see
`models.py`), so a test or the demo page can read state while the server keeps changing
it. Methods whose names start with an underscore are the fake Web API's building blocks:
they expect the caller (api.py, interactions.py, server.py) to hold `lock` across a whole
call, and raise `FakeSlackError` with the Slack error code when Slack would refuse.
"""

from __future__ import annotations

import copy
import itertools
import secrets
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from bot.slack.manifest import BOT_SCOPES

from . import seed
from .faults import Faults
from .models import (
    Call,
    Channel,
    Ephemeral,
    EphemeralSource,
    File,
    Message,
    MessageVersion,
    User,
    Usergroup,
    View,
    iter_elements,
)
from .rate_limits import PostRateLimit
from .socket_mode import SocketModeHub

# Slack lets an app exchange a trigger_id for a modal within three seconds, once.
TRIGGER_TTL_SECONDS = 3.0
# Slack allows three views in a modal's stack.
MAX_VIEW_STACK = 3


class FakeSlackError(Exception):
    """A Slack error code (`channel_not_found`, ...) with optional detail messages."""

    def __init__(self, error: str, *messages: str) -> None:
        super().__init__(error)
        self.error = error
        self.messages = list(messages)


@dataclass(frozen=True)
class ResponseTarget:
    """Where a response_url posts to: the user who interacted, and the message if any."""

    token: str
    user_id: str
    channel_id: str
    message_ts: str | None
    is_ephemeral: bool
    thread_ts: str | None


@dataclass
class _MessageRecord:
    ts: str
    channel: str
    user: str
    bot_id: str | None
    app_id: str | None
    text: str
    blocks: list[dict[str, Any]]
    thread_ts: str | None
    files: list[dict[str, Any]]
    reply_broadcast: bool
    metadata: dict[str, Any] | None
    history: list[MessageVersion]
    replies: list[str]
    deleted: bool = False


@dataclass
class _Trigger:
    user_id: str
    issued_at: float
    used: bool = False


class FakeWorkspace:
    """A Slack workspace in memory. Build one empty, or `FakeWorkspace.seeded()`."""

    def __init__(
        self,
        bot_token: str = seed.BOT_TOKEN,
        *,
        team_id: str = seed.TEAM_ID,
        team_domain: str = seed.TEAM_DOMAIN,
        team_name: str = seed.TEAM_NAME,
        app_id: str = seed.APP_ID,
        bot_user_id: str = seed.BOT_USER_ID,
        bot_id: str = seed.BOT_ID,
        bot_name: str = seed.BOT_NAME,
        app_token: str = seed.APP_TOKEN,
    ) -> None:
        self.bot_token = bot_token
        self.app_token = app_token
        # The bot scopes the app was installed with: the manifest's, unless a test takes some.
        self.scopes: list[str] = list(BOT_SCOPES)
        self.team_id = team_id
        self.team_domain = team_domain
        self.team_name = team_name
        self.app_id = app_id
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.bot_name = bot_name
        # Base URL under which the fake's routes are reachable (set by the server); used
        # for upload_url and response_url when a request doesn't tell us better.
        self.public_url: str | None = None
        self.lock = threading.RLock()
        self._changed = threading.Condition(self.lock)
        self._version = 0
        self._users: dict[str, User] = {}
        self._channels: dict[str, Channel] = {}
        self._usergroups: dict[str, Usergroup] = {}
        self._messages: dict[str, dict[str, _MessageRecord]] = {}
        self._ephemerals: list[Ephemeral] = []
        self._views: dict[str, View] = {}
        self._homes: dict[str, View] = {}  # each user's App Home tab (views.publish)
        self._files: dict[str, File] = {}
        self._calls: list[Call] = []
        self._triggers: dict[str, _Trigger] = {}
        self._responses: dict[str, ResponseTarget] = {}
        self._dms: dict[str, str] = {}
        self._ids = itertools.count(1)
        self._last_ts_us = 0
        self._down = False
        self.faults = Faults(self.lock, self._bump)
        # Slack's per-channel limit on chat.postMessage, when a test turns it on.
        self.post_rate_limit: PostRateLimit | None = None
        # Socket Mode: apps.connections.open's tickets and the connected app (socket_mode.py).
        self.sockets = SocketModeHub(app_id)
        self.add_user(id=bot_user_id, name=bot_name, real_name=bot_name, is_bot=True, bot_id=bot_id)

    @classmethod
    def seeded(cls, bot_token: str = seed.BOT_TOKEN, **kwargs: Any) -> FakeWorkspace:
        """The default demo workspace; its ids are in `bot.sandbox.fake_slack.seed` / `SEED`."""
        ws = cls(bot_token, **kwargs)
        people = [
            (seed.REP1, "ana", "Ana Rep", False),
            (seed.REP2, "ben", "Ben Rep", False),
            (seed.MANAGER, "maria", "Maria Manager", False),
            (seed.MARKETER, "mark", "Mark Marketer", False),
            (seed.GONE_REP, "gus", "Gus Gone", True),
        ]
        for user_id, name, real_name, deleted in people:
            ws.add_user(
                id=user_id,
                name=name,
                real_name=real_name,
                deleted=deleted,
                tz=seed.TZ,
                email=f"{name}@{ws.team_domain}.example",
                display_name=name,
            )
        # Slack removes deactivated accounts from channels, so U0GONE is in none.
        active = [user_id for user_id, _, _, deleted in people if not deleted]
        ws.add_channel(id=seed.CHANNEL_LEADS, name="sales-leads", members=active)
        ws.add_channel(id=seed.CHANNEL_MARKETING, name="marketing", members=active)
        ws.add_channel(id=seed.CHANNEL_ALIGNMENT, name="revenue-alignment", members=active)
        ws.add_usergroup(
            id=seed.USERGROUP_REPS,
            handle="sales-reps",
            name="Sales reps",
            users=[seed.REP1, seed.REP2, seed.GONE_REP],
        )
        ws.add_usergroup(
            id=seed.USERGROUP_MARKETING, handle="marketing", name="Marketing", users=[seed.MARKETER]
        )
        return ws

    # ----------------------------------------------------------------- set-up

    def add_user(
        self,
        *,
        id: str,
        name: str,
        real_name: str = "",
        is_bot: bool = False,
        deleted: bool = False,
        tz: str = seed.TZ,
        email: str | None = None,
        display_name: str = "",
        bot_id: str | None = None,
    ) -> User:
        user = User(
            id=id,
            name=name,
            real_name=real_name or name,
            is_bot=is_bot,
            deleted=deleted,
            tz=tz,
            bot_id=bot_id,
            email=email,
            display_name=display_name,
        )
        with self.lock:
            self._users[id] = user
            self._bump()
        return user

    def set_user_status(
        self, user_id: str, text: str = "", emoji: str = "", expiration: int = 0
    ) -> User:
        """Set (or clear, with no arguments) a user's custom status, as they would in Slack."""
        with self.lock:
            user = replace(
                self._require_user(user_id),
                status_text=text,
                status_emoji=emoji,
                status_expiration=expiration,
            )
            self._users[user_id] = user
            self._bump()
            return user

    def set_user_deleted(self, user_id: str, deleted: bool = True) -> User:
        """Deactivate (or reactivate) a user, as an admin would mid-test."""
        with self.lock:
            user = replace(self._require_user(user_id), deleted=deleted)
            self._users[user_id] = user
            if deleted:
                for channel in list(self._channels.values()):
                    if user_id in channel.members and not channel.is_im:
                        members = tuple(m for m in channel.members if m != user_id)
                        self._channels[channel.id] = replace(channel, members=members)
            self._bump()
            return user

    def add_channel(
        self,
        *,
        id: str,
        name: str,
        members: Iterable[str] = (),
        is_private: bool = False,
        bot_is_member: bool = True,
    ) -> Channel:
        member_list = list(dict.fromkeys(members))
        if bot_is_member and self.bot_user_id not in member_list:
            member_list.append(self.bot_user_id)
        channel = Channel(
            id=id,
            name=name.lstrip("#"),
            members=tuple(member_list),
            is_private=is_private,
            created=int(time.time()),
        )
        with self.lock:
            self._channels[id] = channel
            self._messages.setdefault(id, {})
            self._bump()
        return channel

    def add_usergroup(
        self, *, id: str, handle: str, users: Iterable[str] = (), name: str | None = None
    ) -> Usergroup:
        group = Usergroup(id=id, handle=handle, name=name or handle, users=tuple(users))
        with self.lock:
            self._usergroups[id] = group
            self._bump()
        return group

    def limit_post_rate(self, per_second: float = 1.0, burst: int = 3) -> PostRateLimit:
        """Answer chat.postMessage with 429 beyond `per_second` per channel after `burst`."""
        with self.lock:
            self.post_rate_limit = PostRateLimit(per_second, burst)
            return self.post_rate_limit

    def set_down(self, down: bool = True) -> None:
        """While down, every Web API method answers HTTP 503."""
        with self.lock:
            self._down = down
            self._bump()

    @property
    def is_down(self) -> bool:
        with self.lock:
            return self._down

    # ---------------------------------------------------------------- reading

    @property
    def version(self) -> int:
        """Goes up by one on every change (calls included)."""
        with self.lock:
            return self._version

    def wait_for_change(self, after_version: int, timeout: float | None = None) -> int:
        """Block until `version` exceeds `after_version` (or the timeout); return it."""
        with self._changed:
            self._changed.wait_for(lambda: self._version > after_version, timeout)
            return self._version

    @property
    def users(self) -> list[User]:
        with self.lock:
            return list(self._users.values())

    def user(self, user_id: str) -> User | None:
        with self.lock:
            return self._users.get(user_id)

    @property
    def channels(self) -> list[Channel]:
        with self.lock:
            return list(self._channels.values())

    def channel(self, name_or_id: str) -> Channel | None:
        with self.lock:
            channel_id = self.resolve_channel(name_or_id)
            return self._channels.get(channel_id) if channel_id else None

    @property
    def usergroups(self) -> list[Usergroup]:
        with self.lock:
            return list(self._usergroups.values())

    def usergroup(self, usergroup_id: str) -> Usergroup | None:
        with self.lock:
            return self._usergroups.get(usergroup_id)

    def resolve_channel(self, name_or_id: str | None) -> str | None:
        """A channel id from an id, `#name`, `name`, or a user id with an open DM."""
        if not name_or_id:
            return None
        with self.lock:
            if name_or_id in self._channels:
                return name_or_id
            if name_or_id in self._dms:
                return self._dms[name_or_id]
            name = name_or_id.removeprefix("#")
            for channel in self._channels.values():
                if not channel.is_im and channel.name == name:
                    return channel.id
            return None

    def dm_channel(self, user_id: str) -> str | None:
        with self.lock:
            return self._dms.get(user_id)

    def calls(self, method: str | None = None, channel: str | None = None) -> list[Call]:
        with self.lock:
            channel_id = self.resolve_channel(channel) or channel if channel else None
            return [
                copy.deepcopy(call)
                for call in self._calls
                if (method is None or call.method == method)
                and (channel_id is None or call.channel == channel_id)
            ]

    def messages(self, channel: str) -> list[Message]:
        """Top-level messages (and thread replies broadcast to the channel), oldest first."""
        with self.lock:
            records = self._channel_records(channel)
            return [
                self._snapshot(record)
                for record in records.values()
                if not record.deleted and (record.thread_ts is None or record.reply_broadcast)
            ]

    def message(self, channel: str, ts: str) -> Message | None:
        with self.lock:
            record = self._channel_records(channel).get(ts)
            return self._snapshot(record) if record and not record.deleted else None

    def replies(self, channel: str, ts: str) -> list[Message]:
        """The thread under message `ts`, oldest first, without the parent."""
        with self.lock:
            records = self._channel_records(channel)
            return [
                self._snapshot(record)
                for record in records.values()
                if record.thread_ts == ts and record.ts != ts and not record.deleted
            ]

    def ephemerals(self, channel: str | None = None, user: str | None = None) -> list[Ephemeral]:
        with self.lock:
            channel_id = self.resolve_channel(channel) or channel if channel else None
            return [
                copy.deepcopy(e)
                for e in self._ephemerals
                if (channel_id is None or e.channel == channel_id)
                and (user is None or e.user == user)
            ]

    @property
    def views(self) -> list[View]:
        with self.lock:
            return [copy.deepcopy(view) for view in self._views.values()]

    def view(self, view_id: str) -> View | None:
        with self.lock:
            view = self._views.get(view_id)
            return copy.deepcopy(view) if view else None

    def home(self, user_id: str) -> View | None:
        """The user's App Home tab as the app last published it."""
        with self.lock:
            view = self._homes.get(user_id)
            return copy.deepcopy(view) if view else None

    def _publish_home(self, user_id: str, payload: dict[str, Any], *, hash: str | None) -> View:
        with self.lock:
            old = self._homes.get(user_id)
            if hash is not None and old is not None and hash != old.hash:
                raise FakeSlackError("hash_conflict")
            view_id = old.id if old else self._new_id("V")
            view = self._build_view(view_id, user_id, payload, view_id, None)
            self._homes[user_id] = view
            self._bump()
            return copy.deepcopy(view)

    def open_views(self, user_id: str) -> list[View]:
        """The user's open modal stack, root first."""
        with self.lock:
            return [
                copy.deepcopy(view)
                for view in self._views.values()
                if view.user_id == user_id and view.is_open
            ]

    @property
    def files(self) -> list[File]:
        with self.lock:
            return list(self._files.values())

    def file(self, file_id: str) -> File | None:
        with self.lock:
            return self._files.get(file_id)

    # ------------------------------------------------------ triggers and URLs

    def issue_trigger(self, user_id: str, *, age: float = 0.0) -> str:
        """A trigger_id as an interaction would carry; `age` makes it that many seconds old."""
        with self.lock:
            trigger_id = f"{int(time.time())}.{next(self._ids)}.{secrets.token_hex(8)}"
            self._triggers[trigger_id] = _Trigger(user_id, time.monotonic() - age)
            return trigger_id

    def _issue_response_target(
        self,
        *,
        user_id: str,
        channel_id: str,
        message_ts: str | None = None,
        is_ephemeral: bool = False,
        thread_ts: str | None = None,
    ) -> str:
        token = secrets.token_urlsafe(16)
        with self.lock:
            self._responses[token] = ResponseTarget(
                token, user_id, channel_id, message_ts, is_ephemeral, thread_ts
            )
        return token

    def _response_target(self, token: str) -> ResponseTarget | None:
        with self.lock:
            return self._responses.get(token)

    def _exchange_trigger(self, trigger_id: str | None) -> str:
        """The user a trigger was issued for; each trigger works once, for 3 seconds."""
        trigger = self._triggers.get(trigger_id or "")
        if trigger is None:
            raise FakeSlackError("invalid_trigger_id")
        if trigger.used:
            raise FakeSlackError("exchanged_trigger_id")
        if time.monotonic() - trigger.issued_at > TRIGGER_TTL_SECONDS:
            raise FakeSlackError("expired_trigger_id")
        trigger.used = True
        return trigger.user_id

    # --------------------------------------------------- building blocks (api)

    def _bump(self) -> None:
        with self._changed:
            self._version += 1
            self._changed.notify_all()

    def _next_ts(self) -> str:
        """Slack-style ts: seconds.microseconds, unique and increasing within the workspace."""
        with self.lock:
            now_us = int(time.time() * 1_000_000)
            self._last_ts_us = max(now_us, self._last_ts_us + 1)
            seconds, micros = divmod(self._last_ts_us, 1_000_000)
            return f"{seconds}.{micros:06d}"

    def _new_id(self, prefix: str) -> str:
        with self.lock:
            return f"{prefix}{next(self._ids):08d}"

    def _record_call(self, call: Call) -> None:
        with self.lock:
            self._calls.append(call)
            self._bump()

    def _require_user(self, user_id: str | None) -> User:
        user = self._users.get(user_id or "")
        if user is None:
            raise FakeSlackError("user_not_found")
        return user

    def _require_channel(self, name_or_id: str | None) -> Channel:
        channel_id = self.resolve_channel(name_or_id)
        if channel_id is None:
            raise FakeSlackError("channel_not_found")
        return self._channels[channel_id]

    def _channel_records(self, channel: str) -> dict[str, _MessageRecord]:
        channel_id = self.resolve_channel(channel)
        if channel_id is None:
            raise KeyError(f"no channel {channel!r} in the fake workspace")
        return self._messages[channel_id]

    def _open_dm(self, user_id: str) -> Channel:
        user = self._require_user(user_id)
        if user.deleted:
            raise FakeSlackError("user_disabled")
        existing = self._dms.get(user_id)
        if existing is not None:
            return self._channels[existing]
        channel_id = "D" + user_id[1:]
        if channel_id in self._channels:
            channel_id = self._new_id("D")
        channel = Channel(
            id=channel_id,
            name=user_id,
            members=(user_id, self.bot_user_id),
            is_im=True,
            user=user_id,
            created=int(time.time()),
        )
        self._channels[channel_id] = channel
        self._messages[channel_id] = {}
        self._dms[user_id] = channel_id
        self._bump()
        return channel

    def _with_ids(self, blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """A copy of blocks where, as Slack does, every block and element has an id."""
        blocks = copy.deepcopy(blocks)
        for block in blocks:
            if "block_id" not in block:
                block["block_id"] = self._short_id()
            for element in iter_elements(block):
                if "action_id" not in element and element.get("type") not in ("image",):
                    element["action_id"] = self._short_id()
        return blocks

    def _short_id(self) -> str:
        number, out = next(self._ids), ""
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
        while True:
            number, digit = divmod(number, len(alphabet))
            out = alphabet[digit] + out
            if number == 0:
                return "fk" + out

    def _post(
        self,
        channel_id: str,
        *,
        text: str,
        blocks: list[dict[str, Any]] | None,
        thread_ts: str | None = None,
        reply_broadcast: bool = False,
        files: list[dict[str, Any]] | None = None,
        metadata: dict[str, Any] | None = None,
        user: str | None = None,
    ) -> Message:
        """Store a message; the bot's unless `user` says which human posted it."""
        with self.lock:
            records = self._messages[channel_id]
            if thread_ts is not None:
                parent = records.get(thread_ts)
                # Slack threads a reply-to-a-reply under the original parent.
                if parent is not None and parent.thread_ts not in (None, parent.ts):
                    thread_ts = parent.thread_ts
            is_bot = user is None or user == self.bot_user_id
            record = _MessageRecord(
                ts=self._next_ts(),
                channel=channel_id,
                user=user or self.bot_user_id,
                bot_id=self.bot_id if is_bot else None,
                app_id=self.app_id if is_bot else None,
                text=text,
                blocks=self._with_ids(blocks or []),
                thread_ts=thread_ts,
                files=copy.deepcopy(files or []),
                reply_broadcast=reply_broadcast and thread_ts is not None,
                metadata=copy.deepcopy(metadata),
                history=[],
                replies=[],
            )
            records[record.ts] = record
            if thread_ts is not None and thread_ts in records:
                records[thread_ts].replies.append(record.ts)
            self._bump()
            return self._snapshot(record)

    def post_as_user(
        self, channel: str, user: str, text: str, *, thread_ts: str | None = None
    ) -> Message:
        """A human's message, for tests and the demo (the bot can't post as a human)."""
        with self.lock:
            channel_id = self._require_channel(channel).id
            self._require_user(user)
            return self._post(channel_id, text=text, blocks=None, thread_ts=thread_ts, user=user)

    def _find_record(self, channel_id: str, ts: str | None) -> _MessageRecord:
        record = self._messages.get(channel_id, {}).get(ts or "")
        if record is None or record.deleted:
            raise FakeSlackError("message_not_found")
        return record

    def _edit(
        self,
        channel_id: str,
        ts: str,
        *,
        text: str | None,
        blocks: list[dict[str, Any]] | None,
        files: list[dict[str, Any]] | None = None,
    ) -> Message:
        """Replace text and/or blocks; what isn't given is kept, as chat.update does."""
        with self.lock:
            record = self._find_record(channel_id, ts)
            if record.bot_id != self.bot_id:
                raise FakeSlackError("cant_update_message")
            record.history.append(
                MessageVersion(record.text, copy.deepcopy(record.blocks), self._next_ts())
            )
            if text is not None:
                record.text = text
            if blocks is not None:
                record.blocks = self._with_ids(blocks)
            if files is not None:
                record.files = copy.deepcopy(files)
            self._bump()
            return self._snapshot(record)

    def _delete(self, channel_id: str, ts: str) -> None:
        with self.lock:
            record = self._find_record(channel_id, ts)
            if record.bot_id != self.bot_id:
                raise FakeSlackError("cant_delete_message")
            record.deleted = True
            self._bump()

    def _snapshot(self, record: _MessageRecord) -> Message:
        records = self._messages[record.channel]
        replies = [records[ts] for ts in record.replies if not records[ts].deleted]
        return Message(
            ts=record.ts,
            channel=record.channel,
            user=record.user,
            bot_id=record.bot_id,
            app_id=record.app_id,
            team=self.team_id,
            text=record.text,
            blocks=copy.deepcopy(record.blocks),
            thread_ts=record.thread_ts,
            files=copy.deepcopy(record.files),
            reply_broadcast=record.reply_broadcast,
            edit_count=len(record.history),
            history=tuple(copy.deepcopy(record.history)),
            reply_count=len(replies),
            reply_users=tuple(dict.fromkeys(r.user for r in replies)),
            latest_reply=replies[-1].ts if replies else None,
            metadata=copy.deepcopy(record.metadata),
        )

    def _post_ephemeral(
        self,
        channel_id: str,
        user_id: str,
        *,
        text: str,
        blocks: list[dict[str, Any]] | None,
        thread_ts: str | None,
        source: EphemeralSource,
    ) -> Ephemeral:
        with self.lock:
            ephemeral = Ephemeral(
                message_ts=self._next_ts(),
                channel=channel_id,
                user=user_id,
                text=text,
                blocks=self._with_ids(blocks or []),
                thread_ts=thread_ts,
                source=source,
                at=time.monotonic(),
            )
            self._ephemerals.append(ephemeral)
            self._bump()
            return copy.deepcopy(ephemeral)

    def _find_ephemeral(self, message_ts: str) -> int:
        for index, ephemeral in enumerate(self._ephemerals):
            if ephemeral.message_ts == message_ts:
                return index
        raise FakeSlackError("message_not_found")

    def _edit_ephemeral(
        self, message_ts: str, *, text: str | None, blocks: list[dict[str, Any]] | None
    ) -> Ephemeral:
        with self.lock:
            index = self._find_ephemeral(message_ts)
            old = self._ephemerals[index]
            new = replace(
                old,
                text=old.text if text is None else text,
                blocks=old.blocks if blocks is None else self._with_ids(blocks),
                edit_count=old.edit_count + 1,
            )
            self._ephemerals[index] = new
            self._bump()
            return copy.deepcopy(new)

    def _delete_ephemeral(self, message_ts: str) -> None:
        with self.lock:
            del self._ephemerals[self._find_ephemeral(message_ts)]
            self._bump()

    # ------------------------------------------------------------------ views

    def _find_view(self, view_id: str | None, external_id: str | None) -> View:
        for view in self._views.values():
            if not view.is_open:
                continue
            if view_id and view.id == view_id:
                return view
            if external_id and not view_id and view.external_id == external_id:
                return view
        raise FakeSlackError("not_found")

    def _open_view(self, user_id: str, payload: dict[str, Any], *, push: bool = False) -> View:
        """views.open (a new root, closing whatever the user had open) or views.push."""
        with self.lock:
            self._check_external_id(payload.get("external_id"), None)
            stack = [v for v in self._views.values() if v.user_id == user_id and v.is_open]
            if push and stack:
                if len(stack) >= MAX_VIEW_STACK:
                    raise FakeSlackError("push_limit_reached")
                root, previous = stack[0].id, stack[-1].id
            else:
                for view in stack:
                    self._views[view.id] = replace(view, is_open=False)
                root, previous = None, None
            view_id = self._new_id("V")
            view = self._build_view(view_id, user_id, payload, root or view_id, previous)
            self._views[view_id] = view
            self._bump()
            return copy.deepcopy(view)

    def _replace_view(
        self,
        *,
        view_id: str | None,
        external_id: str | None,
        payload: dict[str, Any],
        hash: str | None = None,
    ) -> View:
        with self.lock:
            old = self._find_view(view_id, external_id)
            if hash is not None and hash != old.hash:
                raise FakeSlackError("hash_conflict")
            self._check_external_id(payload.get("external_id"), old.id)
            new = self._build_view(
                old.id, old.user_id, payload, old.root_view_id, old.previous_view_id
            )
            self._views[old.id] = new
            self._bump()
            return copy.deepcopy(new)

    def _check_external_id(self, external_id: str | None, own_view_id: str | None) -> None:
        if not external_id:
            return
        for view in self._views.values():
            if view.external_id == external_id and view.id != own_view_id and view.is_open:
                raise FakeSlackError("duplicate_external_id")

    def _build_view(
        self,
        view_id: str,
        user_id: str,
        payload: dict[str, Any],
        root_view_id: str,
        previous_view_id: str | None,
    ) -> View:
        return View(
            id=view_id,
            team_id=self.team_id,
            user_id=user_id,
            type=payload.get("type", "modal"),
            title=copy.deepcopy(payload.get("title") or {}),
            blocks=self._with_ids(payload.get("blocks") or []),
            close=copy.deepcopy(payload.get("close")),
            submit=copy.deepcopy(payload.get("submit")),
            private_metadata=payload.get("private_metadata") or "",
            callback_id=payload.get("callback_id") or "",
            external_id=payload.get("external_id") or "",
            hash=f"{int(time.time())}.{secrets.token_hex(4)}",
            root_view_id=root_view_id,
            previous_view_id=previous_view_id,
            clear_on_close=bool(payload.get("clear_on_close", False)),
            notify_on_close=bool(payload.get("notify_on_close", False)),
            app_id=self.app_id,
            bot_id=self.bot_id,
        )

    def _close_view(self, view_id: str) -> None:
        """The view leaves the stack; a pushed view's previous view is on top again."""
        with self.lock:
            view = self._views.get(view_id)
            if view is not None and view.is_open:
                self._views[view_id] = replace(view, is_open=False)
                self._bump()

    def _close_all_views(self, user_id: str) -> None:
        with self.lock:
            for view in list(self._views.values()):
                if view.user_id == user_id and view.is_open:
                    self._views[view.id] = replace(view, is_open=False)
            self._bump()

    def _set_view_errors(self, view_id: str, errors: dict[str, str] | None) -> None:
        with self.lock:
            view = self._views.get(view_id)
            if view is not None:
                self._views[view_id] = replace(view, errors=copy.deepcopy(errors))
                self._bump()

    # ------------------------------------------------------------------ files

    def _new_file(self, filename: str, length: int) -> File:
        with self.lock:
            file = File(
                id=self._new_id("F"),
                name=filename,
                title=filename,
                length=length,
                user=self.bot_user_id,
                created=int(time.time()),
            )
            self._files[file.id] = file
            self._bump()
            return file

    def _store_upload(self, file_id: str, data: bytes) -> File | None:
        with self.lock:
            file = self._files.get(file_id)
            if file is None or file.completed:
                return None
            file = replace(file, content=data, length=len(data))
            self._files[file_id] = file
            self._bump()
            return file

    def _complete_file(self, file_id: str, *, title: str | None) -> File:
        with self.lock:
            file = self._files.get(file_id)
            if file is None or file.content is None or file.completed:
                raise FakeSlackError("file_not_found")
            file = replace(file, title=title or file.title, completed=True)
            self._files[file_id] = file
            self._bump()
            return file

    def _share_file(self, file_id: str, channel_id: str, message_ts: str) -> File:
        with self.lock:
            file = self._files[file_id]
            file = replace(file, shares=(*file.shares, (channel_id, message_ts)))
            self._files[file_id] = file
            self._bump()
            return file
