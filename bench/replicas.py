"""Three replicas on one PostgreSQL share Slack's per-channel rate: how close do they get?

    PYTHONPATH=. .venv/bin/python bench/replicas.py [--replicas 3] [--leads 120]
                                                    [--postgres URL]

Three `python -m bot run` processes on one fresh PostgreSQL database, behind a
round-robin client; the fake Slack workspace enforces Slack's limit on
chat.postMessage (one message a second per channel, bursts of three, 429 beyond).
All leads arrive at once, to one channel; meanwhile a clicker claims every third
card and rejects every fifth through the reject modal, each click sent to the next
replica in turn, so the channel also carries their thread replies.

Printed: the time until every card is posted against the ideal at Slack's rate (every
post the channel carried by then, one a second after the burst), the channel's posts
per second as a share of Slack's rate, the 429s met, and cards posted twice (must be 0).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import threading
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.stores import fresh_postgres
from bot.sandbox.fake_slack import FakeSlackServer, FakeWorkspace, InteractionSender, Message
from bot.sandbox.outages import BotProcess
from messages.ids import ActionId, BlockId
from storage.database import Database
from storage.models import OutboxMessage, OutboxState
from tests.conftest import BOT_TOKEN, INTAKE_TOKEN, SIGNING_SECRET, TEAM

LEADS = "C0LEADS"
CLAIMER, REJECTER = "U0REP1", "U0REP2"
BURST = 3


def lead(n: int) -> dict[str, Any]:
    return {"email": f"buyer{n}@example.com", "source": "webinar", "company": f"Acme {n}"}


class Clicker(threading.Thread):
    """Claims every third card and rejects every fifth, each click to the next replica."""

    def __init__(self, ws: FakeWorkspace, senders: list[InteractionSender], leads: int) -> None:
        super().__init__(daemon=True)
        self.ws, self.senders, self.leads = ws, senders, leads
        self.claims = self.rejections = 0
        self.stop = False
        self._turn = 0

    def sender(self) -> InteractionSender:
        self._turn += 1
        return self.senders[self._turn % len(self.senders)]

    def run(self) -> None:
        done: set[str] = set()
        while not self.stop and len(done) < self.leads:
            for index, card in enumerate(self.ws.messages(LEADS)):
                if card.ts in done:
                    continue
                done.add(card.ts)
                if index % 5 == 4:
                    self.reject(card)
                elif index % 3 == 2:
                    self.sender().click(
                        user=CLAIMER, channel=LEADS, ts=card.ts, action_id=ActionId.CLAIM
                    )
                    self.claims += 1
            time.sleep(0.05)

    def reject(self, card: Message) -> None:
        sender = self.sender()
        before = {v.id for v in self.ws.open_views(REJECTER)}
        sender.click(user=REJECTER, channel=LEADS, ts=card.ts, action_id=ActionId.REJECT)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            opened = [v for v in self.ws.open_views(REJECTER) if v.id not in before]
            if opened:
                values = {BlockId.REJECT_REASON: {ActionId.REJECT_REASON: "not_icp"}}
                sender.submit_view(user=REJECTER, view_id=opened[-1].id, values=values)
                self.rejections += 1
                return
            time.sleep(0.02)


async def pending_rows(url: str) -> int:
    from sqlalchemy import func
    from sqlmodel import select

    db = Database(url)
    try:
        async with db.session() as session:
            query = select(func.count()).where(OutboxMessage.state == OutboxState.PENDING)
            return (await session.exec(query)).one()
    finally:
        await db.dispose()


def run(url: str, replicas: int, leads: int, workdir: Path) -> dict[str, Any]:
    ws = FakeWorkspace.seeded(bot_token=BOT_TOKEN)
    limit = ws.limit_post_rate(per_second=1.0, burst=BURST)
    config = workdir / "app.yaml"
    config.write_text(yaml.safe_dump(TEAM))
    root = str(Path(__file__).resolve().parents[1])
    with ExitStack() as stack:
        slack = stack.enter_context(FakeSlackServer(ws))
        env = {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "HANDOFF_INTAKE_TOKEN": INTAKE_TOKEN,
            "DATABASE_URL": url,
            "SLACK_API_URL": slack.api_url,
            "PYTHONPATH": root,
        }
        bots = [
            stack.enter_context(
                BotProcess(env, config, log=workdir / f"bot{n}.log", start_within=120)
            )
            for n in range(replicas)
        ]
        senders = [
            InteractionSender(
                ws, bot_url=b.url, signing_secret=SIGNING_SECRET, response_base_url=slack.url
            )
            for b in bots
        ]
        clicker = Clicker(ws, senders, leads)
        headers = {"Authorization": f"Bearer {INTAKE_TOKEN}"}
        started = time.time()
        with httpx.Client(timeout=30) as client:
            for n in range(leads):
                response = client.post(
                    f"{bots[n % replicas].url}/api/leads", json=lead(n), headers=headers
                )
                response.raise_for_status()
        clicker.start()
        while len(ws.messages(LEADS)) < leads:
            if time.time() - started > leads * 4 + 60:
                raise RuntimeError(f"only {len(ws.messages(LEADS))} of {leads} cards posted")
            time.sleep(0.1)
        clicker.join(60)
        clicker.stop = True
        while asyncio.run(pending_rows(url)) > 0 and time.time() - started < leads * 6 + 120:
            time.sleep(0.5)
        finished = time.time()
    cards = ws.messages(LEADS)
    last_card = max(float(m.ts) for m in cards)
    posts = [c for c in ws.calls("chat.postMessage") if c.channel == ws.resolve_channel(LEADS)]
    ok_posts = [c for c in posts if c.ok]
    last_card_at = max(c.at for c in ok_posts if not c.args.get("thread_ts"))
    posts_until_last_card = sum(1 for c in ok_posts if c.at <= last_card_at)
    by_row = Counter(
        ((m.metadata or {}).get("event_payload") or {}).get("outbox_id") for m in cards
    )
    elapsed = last_card - started
    return {
        "replicas": replicas,
        "leads": leads,
        "claims": clicker.claims,
        "rejections": clicker.rejections,
        "elapsed_s": elapsed,
        "posts_until_last_card": posts_until_last_card,
        "ideal_s": max(0, posts_until_last_card - BURST) / 1.0,
        # What Slack allows in that time: the burst at once, then one a second.
        "rate_share": posts_until_last_card / (elapsed + BURST),
        "channel_posts": len(ok_posts),
        "all_done_s": finished - started,
        "refused_429": sum(1 for c in posts if c.http_status == 429),
        "refused_by_limit": limit.refused,
        "posted_twice": sum(count - 1 for count in by_row.values()) + max(0, len(cards) - leads),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", type=int, default=3)
    parser.add_argument("--leads", type=int, default=120)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, fresh_postgres(Path(tmp), args.postgres) as url:
        figures = run(url, args.replicas, args.leads, Path(tmp))
    print(
        f"{figures['replicas']} replicas on PostgreSQL, {figures['leads']} leads to one channel, "
        f"{figures['claims']} claims and {figures['rejections']} rejections meanwhile"
    )
    print(
        f"  every card posted after {figures['elapsed_s']:.1f} s; ideal at Slack's rate "
        f"{figures['ideal_s']:.0f} s ({figures['posts_until_last_card']} posts in the channel "
        f"by then: cards and thread replies, one a second after a burst of {BURST})"
    )
    print(f"  share of Slack's rate used: {figures['rate_share']:.1%}")
    print(f"  429s met: {figures['refused_429']}")
    print(f"  cards posted twice: {figures['posted_twice']} (must be 0)")
    print(
        f"  all work done (replies, notices, updates) after {figures['all_done_s']:.1f} s, "
        f"{figures['channel_posts']} posts in the channel"
    )


if __name__ == "__main__":
    main()
