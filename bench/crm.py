"""MQL-to-card latency, pushed and pulled, and CRM writes per second under the fakes' limits.

    .venv/bin/python bench/crm.py [--provider hubspot|salesforce|both] [--pushed 30]
                                  [--pulled 12] [--poll-every 10s] [--writes 300]
                                  [--postgres URL]

The real bot against the fake Slack workspace and a fake CRM over real HTTP, in real
time (Slack's pacing of one card a second per channel included):

- pushed: an MQL is made in the fake CRM, its webhook (HubSpot) or Outbound Message
  (Salesforce) is sent, and the time until its card is in the channel is measured.
  One MQL at a time, so the channel is idle. Target: p99 within 2 s.
- pulled: an MQL is made at a random moment of the poll cycle and the card is timed
  from that moment; again one at a time. Target: p99 within poll_every + 2 s.
- writes: N leads are claimed at once; the time until every claim's owner and status
  are in the CRM gives writes per second. HubSpot's fake enforces a private app's
  100 requests per 10 s (Free/Starter), and then, as if another app used half of it,
  50 per 10 s while the bot still paces itself for 100 (so it meets 429s).
  Salesforce has no per-second limit (its API limit is per day).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.sandbox.fake_crm import (
    FakeHubSpot,
    FakeHubSpotServer,
    FakeSalesforce,
    FakeSalesforceServer,
    HubSpotWebhookSender,
    OutboundMessageSender,
)
from bot.sandbox.fake_slack import FakeSlackServer, FakeWorkspace
from bot.timekeeping.clock import ManualClock
from bot.timekeeping.durations import parse_duration
from storage.database import upgrade_database
from storage.transitions import claim_lead
from tests import store
from tests.conftest import BOT_TOKEN
from tests.crm_loop import (
    ANA,
    HUBSPOT_SECRET,
    HUBSPOT_TOKEN,
    SF_CLIENT_ID,
    SF_CLIENT_SECRET,
    CrmLoop,
    seed_hubspot_owners,
    seed_salesforce_users,
)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def report(label: str, latencies: list[float], target: float) -> None:
    if not latencies:
        return
    p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
    verdict = "meets" if p99 <= target else "MISSES"
    print(
        f"  {label:<28} n={len(latencies):<4} p50 {p50:5.2f}s  p99 {p99:5.2f}s  "
        f"max {max(latencies):5.2f}s  target p99 <= {target:.0f}s: {verdict}"
    )


class Fake:
    """One fake CRM behind one interface: make an MQL, push it, count writes."""

    def __init__(self, provider: str, stack: ExitStack) -> None:
        self.provider = provider
        if provider == "hubspot":
            self.portal = FakeHubSpot(token=HUBSPOT_TOKEN, client_secret=HUBSPOT_SECRET)
            seed_hubspot_owners(self.portal)
            self.url = stack.enter_context(FakeHubSpotServer(self.portal)).url
        else:
            self.org = FakeSalesforce(client_id=SF_CLIENT_ID, client_secret=SF_CLIENT_SECRET)
            seed_salesforce_users(self.org)
            self.url = stack.enter_context(FakeSalesforceServer(self.org)).url
        self._n = 0

    @property
    def push_name(self) -> str:
        return "webhook" if self.provider == "hubspot" else "outbound"

    def crm_settings(self) -> dict[str, Any]:
        if self.provider == "salesforce":
            return {"salesforce": {"organization_id": self.org.org_id}}
        return {}

    def make_mql(self) -> str:
        self._n += 1
        email = f"bench{self._n}-{uuid.uuid4().hex[:6]}@example.com"
        if self.provider == "hubspot":
            contact = self.portal.create_contact({"email": email, "lastname": f"Bench {self._n}"})
            self.portal.make_mql(contact["id"])
            return str(contact["id"])
        lead_id = self.org.create_lead({"Email": email, "LastName": f"Bench {self._n}"})
        self.org.make_mql(lead_id)
        return lead_id

    def pusher(self, bot_url: str) -> Callable[[str], None]:
        if self.provider == "hubspot":
            sender = HubSpotWebhookSender(self.portal, bot_url + "/api/crm/hubspot/webhook")
            return lambda _: sender.send(self.portal.take_events()).raise_for_status()
        outbound = OutboundMessageSender(self.org, bot_url + "/api/crm/salesforce/outbound")
        return lambda record_id: outbound.send([record_id]).raise_for_status()

    def writes_done(self, record_ids: list[str]) -> int:
        """How many of the records have had a write accepted."""
        if self.provider == "hubspot":
            calls, ok = self.portal.calls("contacts.update"), 200
        else:
            calls, ok = self.org.calls("sobject.update"), 204
        written = {c.path.rsplit("/", 1)[-1] for c in calls if c.status == ok}
        return sum(str(r) in written for r in record_ids)

    def accepted_writes(self) -> int:
        if self.provider == "hubspot":
            return sum(c.status == 200 for c in self.portal.calls("contacts.update"))
        return sum(c.status == 204 for c in self.org.calls("sobject.update"))

    def rate_limited(self) -> int:
        return (
            sum(c.status == 429 for c in self.portal.calls()) if self.provider == "hubspot" else 0
        )


def card_time(loop: CrmLoop, record_id: str, timeout: float = 60.0) -> float:
    """The moment (epoch seconds) the record's card was posted: its Slack ts."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [x for x in store.leads(loop.database_url) if x.external_id == record_id]
        if found and found[0].message_ts:
            return float(found[0].message_ts)
        time.sleep(0.01)
    raise TimeoutError(f"no card for {record_id}")


def latency_run(database_url: str, provider: str, pushed: int, pulled: int, every: str) -> None:
    upgrade_database(database_url)
    poll_every = parse_duration(every).total_seconds()
    with ExitStack() as stack:
        fake = Fake(provider, stack)
        slack = stack.enter_context(FakeSlackServer(FakeWorkspace.seeded(bot_token=BOT_TOKEN)))
        clock = ManualClock(running=True)
        loop = CrmLoop(stack, database_url, slack, slack.workspace, clock, fake.url, provider)
        settings = loop.settings(poll_every=every, **fake.crm_settings())
        bot = loop.start(settings)
        bot.handoff.services.outbox.ctx.pacer.interval = 1.0  # Slack's pace  # type: ignore[union-attr]
        push = fake.pusher(bot.url)
        times = []
        for _ in range(pushed):
            record_id = fake.make_mql()
            started = time.time()
            push(record_id)
            times.append(card_time(loop, record_id) - started)
            time.sleep(1.1)  # the channel is idle again (one card a second)
        report(f"{provider} pushed ({fake.push_name}->card)", times, 2.0)
        times = []
        for _ in range(pulled):
            time.sleep(random.uniform(0, poll_every))  # a random moment of the poll cycle
            record_id = fake.make_mql()
            made = time.time()
            times.append(card_time(loop, record_id, timeout=poll_every * 3) - made)
        report(f"{provider} pulled (MQL->card, {every})", times, poll_every + 2.0)


def write_run(database_url: str, provider: str, writes: int, limit: int | None, label: str) -> None:
    upgrade_database(database_url)
    with ExitStack() as stack:
        fake = Fake(provider, stack)
        slack = stack.enter_context(FakeSlackServer(FakeWorkspace.seeded(bot_token=BOT_TOKEN)))
        clock = ManualClock(running=True)
        loop = CrmLoop(stack, database_url, slack, slack.workspace, clock, fake.url, provider)
        bot = loop.start(loop.settings(**fake.crm_settings()))
        services = bot.handoff.services  # type: ignore[union-attr]
        services.outbox.ctx.pacer.interval = 0.0  # this run times the CRM, not Slack
        loop.poll()
        records = [fake.make_mql() for _ in range(writes)]
        loop.poll()
        while sum(1 for x in store.leads(database_url) if x.message_ts) < writes:
            time.sleep(0.1)
        if limit is not None:
            fake.portal.set_rate_limit("TEN_SECONDLY_ROLLING", limit, window_seconds=10.0)
            fake.portal.retry_after_header = True
        ids = [x.id for x in store.leads(database_url)]

        async def claim_all() -> None:
            for lead_id in ids:
                async with services.db.session() as session:
                    await claim_lead(session, lead_id=lead_id or 0, user_id=ANA, now=clock.now())
            services.outbox.wake()

        started = time.monotonic()
        bot.call(claim_all)
        while fake.writes_done(records) < writes:
            time.sleep(0.05)
        elapsed = time.monotonic() - started
        print(
            f"  {label:<40} {writes} writes in {elapsed:6.1f}s = {writes / elapsed:5.1f}/s, "
            f"429 answers {fake.rate_limited()}, writes accepted {fake.accepted_writes()}"
        )


def run(fresh: Callable[[], Iterator[str]], args: argparse.Namespace) -> None:
    """Each measurement on a database of its own (`fresh` makes one and cleans it up)."""
    providers = ["hubspot", "salesforce"] if args.provider == "both" else [args.provider]
    for provider in providers:
        with contextmanager(fresh)() as url:
            print(f"{provider} on {url.split(':')[0]}:")
            if args.pushed or args.pulled:
                latency_run(url, provider, args.pushed, args.pulled, args.poll_every)
        if not args.writes:
            continue
        runs = (
            [(100, "limit 100/10s, ours 100/10s"), (50, "limit 50/10s, ours 100/10s")]
            if provider == "hubspot"
            else [(None, "no per-second limit")]
        )
        for limit, label in runs:
            with contextmanager(fresh)() as url:
                write_run(url, provider, args.writes, limit, f"{provider} writes, {label}")


def sqlite_databases() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as folder:
        yield f"sqlite:///{folder}/bench.db"


def postgres_databases(server: str) -> Callable[[], Iterator[str]]:
    async def admin(sql: str) -> None:
        connection = await asyncpg.connect(server)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    def fresh() -> Iterator[str]:
        name = f"handoff_bench_{uuid.uuid4().hex[:8]}"
        asyncio.run(admin(f'CREATE DATABASE "{name}"'))
        try:
            yield server.rsplit("/", 1)[0] + f"/{name}"
        finally:
            asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    return fresh


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--provider", choices=["hubspot", "salesforce", "both"], default="both")
    parser.add_argument("--pushed", type=int, default=30)
    parser.add_argument("--pulled", type=int, default=12)
    parser.add_argument("--poll-every", default="10s")
    parser.add_argument("--writes", type=int, default=300)
    parser.add_argument("--postgres", help="e.g. postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    run(postgres_databases(args.postgres) if args.postgres else sqlite_databases, args)


if __name__ == "__main__":
    main()
