"""What the page shows one person: their channels, messages with blocks, threads, their
ephemerals and their open modal, read from the fake workspace in one consistent snapshot.

Blocks go to the page exactly as the bot sent them; the page renders them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.sandbox.fake_slack import Channel, Ephemeral, FakeWorkspace, Message, View, seed

from .context import Demo

# Images the page may show inline from the demo's own origin; anything else is a download.
INLINE_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


@dataclass(frozen=True)
class Person:
    id: str
    role: str


# The seeded people a visitor can act as, in the switcher's order.
PEOPLE = (
    Person(seed.REP1, "Sales rep"),
    Person(seed.REP2, "Sales rep"),
    Person(seed.MANAGER, "Sales manager"),
    Person(seed.MARKETER, "Marketer"),
)
PERSON_IDS = frozenset(p.id for p in PEOPLE)


def page_state(demo: Demo, user_id: str) -> dict[str, Any]:
    ws = demo.workspace
    team = demo.services.settings.team
    with ws.lock:
        version = demo.version
        purposes = {
            team.channels.leads: "New MQLs arrive here as cards: claim, accept or reject them.",
            team.channels.marketing: "Rejections come back to marketing here, with reasons.",
        }
        if team.channels.alignment:
            purposes[team.channels.alignment] = "The weekly digest and shared numbers."
        channels, messages = [], {}
        for channel in _sidebar_order(ws.channels, list(purposes), user_id):
            mine = not channel.is_im or channel.user == user_id
            channels.append(_channel(channel, ws, user_id, purposes.get(channel.id)))
            messages[channel.id] = _conversation(demo, channel, user_id if mine else None)
        views = ws.open_views(user_id)
        users = {
            user.id: {
                "name": user.display_name or user.name,
                "real_name": user.real_name,
                "is_bot": user.is_bot,
                "deleted": user.deleted,
                "tz": user.tz,
            }
            for user in ws.users
        }
        usergroups = {g.id: {"handle": g.handle, "name": g.name} for g in ws.usergroups}
    now = demo.time.now()
    return {
        "version": version,
        "me": user_id,
        "now": now.timestamp(),
        "offset": demo.time.offset,
        "timezone": team.timezone,
        "team": {"name": ws.team_name, "config": demo.team_source},
        "bot_user_id": ws.bot_user_id,
        "people": [{"id": p.id, "role": p.role, "name": users[p.id]["real_name"]} for p in PEOPLE],
        "users": users,
        "usergroups": usergroups,
        "channels": channels,
        "messages": messages,
        "view": _view(views[-1], len(views)) if views else None,
        "jobs": demo.services.registry.jobs.names,
    }


def _sidebar_order(
    channels: list[Channel], team_channels: list[str], user_id: str
) -> list[Channel]:
    """The team's channels in app.yaml order, then the DMs with the bot, yours first."""
    order = {channel_id: index for index, channel_id in enumerate(team_channels)}
    people = [p.id for p in PEOPLE]

    def key(channel: Channel) -> tuple[int, int, str]:
        if not channel.is_im:
            return (0, order.get(channel.id, len(order)), channel.name)
        if channel.user == user_id:
            return (1, 0, "")
        rank = people.index(channel.user) if channel.user in people else len(people)
        return (2, rank, channel.id)

    visible = [c for c in channels if c.is_im or user_id in c.members]
    return sorted(visible, key=key)


def _channel(
    channel: Channel, ws: FakeWorkspace, user_id: str, purpose: str | None
) -> dict[str, Any]:
    if channel.is_im:
        other = ws.user(channel.user) if channel.user else None
        return {
            "id": channel.id,
            "kind": "dm",
            "name": other.real_name if other else channel.id,
            "user": channel.user,
            "mine": channel.user == user_id,
            "purpose": "Direct messages between this person and the Handoff app.",
        }
    return {
        "id": channel.id,
        "kind": "channel",
        "name": channel.name,
        "private": channel.is_private,
        "mine": True,
        "purpose": purpose or "",
    }


def _conversation(demo: Demo, channel: Channel, viewer: str | None) -> list[dict[str, Any]]:
    """Top-level messages and the viewer's ephemerals, oldest first, with their threads."""
    ws = demo.workspace
    ephemerals = ws.ephemerals(channel=channel.id, user=viewer) if viewer else []
    messages = ws.messages(channel.id)
    parents = {m.ts for m in messages}
    entries = []
    for message in messages:
        entry = _message(demo, message)
        thread = [_message(demo, reply) for reply in ws.replies(channel.id, message.ts)]
        thread += [_ephemeral(demo, e) for e in ephemerals if e.thread_ts == message.ts]
        entry["replies"] = sorted(thread, key=lambda item: _ts_key(item["ts"]))
        entries.append(entry)
    # An ephemeral in a thread the page can't show (none, or gone) is shown in the channel.
    entries += [_ephemeral(demo, e) for e in ephemerals if e.thread_ts not in parents]
    return sorted(entries, key=lambda item: _ts_key(item["ts"]))


def _message(demo: Demo, message: Message) -> dict[str, Any]:
    return {
        "ts": message.ts,
        "user": message.user,
        "bot": message.bot_id is not None,
        "text": message.text,
        "blocks": message.blocks,
        "files": [_file(f) for f in message.files],
        "time": demo.time.at(float(message.ts)),
        "edited": message.edit_count > 0,
        "ephemeral": False,
        "thread_ts": message.thread_ts,
        "broadcast": message.reply_broadcast,
        "reply_count": message.reply_count,
        "replies": [],
    }


def _ephemeral(demo: Demo, ephemeral: Ephemeral) -> dict[str, Any]:
    return {
        "ts": ephemeral.message_ts,
        "user": demo.workspace.bot_user_id,
        "bot": True,
        "text": ephemeral.text,
        "blocks": ephemeral.blocks,
        "files": [],
        "time": demo.time.at(float(ephemeral.message_ts)),
        "edited": ephemeral.edit_count > 0,
        "ephemeral": True,
        "thread_ts": ephemeral.thread_ts,
        "broadcast": False,
        "reply_count": 0,
        "replies": [],
    }


def _file(file: dict[str, Any]) -> dict[str, Any]:
    mimetype = str(file.get("mimetype") or "application/octet-stream")
    return {
        "id": file.get("id"),
        "name": file.get("name"),
        "title": file.get("title") or file.get("name"),
        "mimetype": mimetype,
        "size": file.get("size"),
        "url": f"/demo/api/files/{file.get('id')}",
        "is_image": mimetype in INLINE_IMAGE_TYPES,
    }


def _view(view: View, depth: int) -> dict[str, Any]:
    return {
        "id": view.id,
        "hash": view.hash,
        "callback_id": view.callback_id,
        "title": view.title,
        "submit": view.submit,
        "close": view.close,
        "blocks": view.blocks,
        "errors": view.errors or {},
        "depth": depth,
    }


def _ts_key(ts: str) -> tuple[int, int]:
    seconds, _, micros = ts.partition(".")
    return int(seconds), int(micros or 0)
