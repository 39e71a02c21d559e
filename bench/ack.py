"""The Claim click's ack latency next to a bare Bolt AsyncApp that only acks.

    PYTHONPATH=. .venv/bin/python bench/ack.py [--store sqlite|postgres|both]
                                               [--rounds 10] [--per-round 200]

Two servers, each its own process on 127.0.0.1: `python -m bot run` (Handoff), and a
bare slack_bolt AsyncApp behind Bolt's Starlette adapter whose only listener acks
every action, with the same signing secret and the same authorize shortcut (no Slack
call on the request path). Both get the same signed block_actions payloads: Claim
clicks on cards of open leads, one lead per click, sent by 20 concurrent clients.
Rounds alternate between the two servers in one run, so machine noise hits both
alike; Handoff's outbox is busy meanwhile, redrawing cards and posting the claims'
thread replies (paced to one a second in the channel) to the fake Slack workspace.

Printed per store: p50/p90/p99 of each server and Handoff's ratio to bare Bolt.
Target: p90 within 1.3x of bare Bolt.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.stores import fresh_postgres, fresh_sqlite
from bot.sandbox.fake_slack import FakeSlackServer, FakeWorkspace, InteractionSender
from bot.sandbox.outages import BotProcess
from bot.settings import TeamConfig
from messages.ids import ActionId
from messages.lead_card import lead_card
from storage.database import Database
from storage.models import Lead, LeadState
from tests.conftest import BOT_TOKEN, INTAKE_TOKEN, SIGNING_SECRET, TEAM

LEADS = "C0LEADS"
CLIENTS = 20
TARGET = 1.3


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- the bare Bolt app ------------------------------------------------------------------


def serve_bare(port: int) -> None:
    """A Bolt AsyncApp that only acks, served the way Handoff is (uvicorn, Starlette)."""
    import uvicorn
    from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
    from slack_bolt.async_app import AsyncApp
    from slack_bolt.authorization import AuthorizeResult
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    async def authorize(**_: Any) -> AuthorizeResult:
        return AuthorizeResult(enterprise_id=None, team_id=None, bot_token=BOT_TOKEN)

    app = AsyncApp(
        signing_secret=SIGNING_SECRET,
        authorize=authorize,
        process_before_response=False,
        raise_error_for_unhandled_request=False,
    )

    @app.action(re.compile(".*"))
    async def only_ack(ack: Any) -> None:
        await ack()

    handler = AsyncSlackRequestHandler(app)

    async def events(request: Request) -> Response:
        return await handler.handle(request)

    starlette = Starlette(routes=[Route("/slack/events", events, methods=["POST"])])
    uvicorn.run(starlette, host="127.0.0.1", port=port, log_level="info", log_config=None)


@contextlib.contextmanager
def bare_bolt(log: Path) -> Iterator[str]:
    port = free_port()
    with log.open("ab") as sink:
        process = subprocess.Popen(
            [sys.executable, __file__, "--serve-bare", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=sink,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120  # a loaded machine starts Python slowly
        while not _answers(url):
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"the bare Bolt app did not start; see {log}")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(10)


def _answers(url: str) -> bool:
    try:
        httpx.get(f"{url}/slack/events", timeout=1)
    except httpx.HTTPError:
        return False
    return True


# --- the cards to click -----------------------------------------------------------------


async def seed_cards(url: str, ws: FakeWorkspace, count: int) -> list[str]:
    """`count` open leads whose cards are in the fake channel; returns the cards' ts."""
    team = TeamConfig.model_validate(TEAM)
    now = datetime.now(UTC)
    db = Database(url)
    try:
        async with db.session() as session:
            leads = [
                Lead(
                    email=f"buyer{n}@example.com",
                    source="webinar",
                    company=f"Acme {n}",
                    state=LeadState.OPEN,
                    created_at=now,
                    posted_at=now,
                    channel_id=ws.resolve_channel(LEADS),
                )
                for n in range(count)
            ]
            session.add_all(leads)
            await session.flush()
            stamps = []
            for lead in leads:
                card = lead_card(lead, team, now)
                lead.message_ts = ws._post(lead.channel_id or "", **card.as_kwargs()).ts
                stamps.append(lead.message_ts)
    finally:
        await db.dispose()
    return stamps


# --- the clicks ----------------------------------------------------------------------------


async def round_of(url: str, bodies: list[bytes], sender: InteractionSender) -> list[float]:
    """Send `bodies` from CLIENTS concurrent clients; each request's time to its answer."""
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    latencies: list[float] = []

    async def client_loop(client: aiohttp.ClientSession) -> None:
        while not queue.empty():
            body = queue.get_nowait()
            headers = sender.sign(body)
            started = time.perf_counter()
            async with client.post(f"{url}/slack/events", data=body, headers=headers) as answer:
                await answer.read()
            latencies.append(time.perf_counter() - started)
            if answer.status != 200:
                raise RuntimeError(f"{url} answered {answer.status}")

    # aiohttp, as bench/intake.py: httpx's keep-alive requests stall on loopback here.
    connector = aiohttp.TCPConnector(limit=CLIENTS)
    async with aiohttp.ClientSession(connector=connector) as client:
        await asyncio.gather(*(client_loop(client) for _ in range(CLIENTS)))
    return latencies


def percentiles(values: list[float]) -> tuple[float, float, float]:
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[49] * 1000, cuts[89] * 1000, cuts[98] * 1000


def run(store: str, url: str, rounds: int, per_round: int, workdir: Path) -> dict[str, Any]:
    ws = FakeWorkspace.seeded(bot_token=BOT_TOKEN)
    config = workdir / "app.yaml"
    config.write_text(yaml.safe_dump(TEAM))
    warm = 2 * CLIENTS
    stamps = asyncio.run(seed_cards(url, ws, rounds * per_round + warm))
    with FakeSlackServer(ws) as slack:
        sender = InteractionSender(
            ws, bot_url="http://unused", signing_secret=SIGNING_SECRET, response_base_url=slack.url
        )
        bodies = [
            sender.encode_payload(
                sender.block_actions_payload(
                    user="U0REP1", channel=LEADS, ts=ts, action_id=ActionId.CLAIM
                )
            )
            for ts in stamps
        ]
        env = {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "HANDOFF_INTAKE_TOKEN": INTAKE_TOKEN,
            "DATABASE_URL": url,
            "SLACK_API_URL": slack.api_url,
            "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
        }
        handoff = BotProcess(env, config, log=workdir / "handoff.log", start_within=120)
        with handoff, bare_bolt(workdir / "bare.log") as bare:
            asyncio.run(round_of(handoff.url, bodies[:warm], sender))
            asyncio.run(round_of(bare, bodies[:warm], sender))
            ours: list[float] = []
            theirs: list[float] = []
            for r in range(rounds):
                chunk = bodies[warm + r * per_round : warm + (r + 1) * per_round]
                # Alternate which goes first, so neither always follows the other's load.
                if r % 2 == 0:
                    ours += asyncio.run(round_of(handoff.url, chunk, sender))
                    theirs += asyncio.run(round_of(bare, chunk, sender))
                else:
                    theirs += asyncio.run(round_of(bare, chunk, sender))
                    ours += asyncio.run(round_of(handoff.url, chunk, sender))
            busy = sum(1 for c in ws.calls() if c.method in ("chat.update", "chat.postMessage"))
    claimed, outbox_rows = asyncio.run(count_claimed(url))
    return {
        "store": store,
        "handoff": percentiles(ours),
        "bare": percentiles(theirs),
        "clicks": len(ours),
        "claimed": claimed,
        "slack_calls_meanwhile": busy,
        "outbox": outbox_rows,
    }


async def count_claimed(url: str) -> tuple[int, dict[str, int]]:
    """Leads claimed, and the outbox's rows by state."""
    from sqlalchemy import func
    from sqlmodel import select

    from storage.models import OutboxMessage

    db = Database(url)
    try:
        async with db.session() as session:
            query = select(func.count()).where(Lead.state == LeadState.CLAIMED)
            claimed = (await session.exec(query)).one()
            rows = select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)
            return claimed, dict((await session.exec(rows)).all())
    finally:
        await db.dispose()


def report(figures: dict[str, Any]) -> None:
    ours, theirs = figures["handoff"], figures["bare"]
    print(
        f"{figures['store']}: {figures['clicks']} Claim clicks per server, {CLIENTS} clients; "
        f"{figures['claimed']} leads claimed, {figures['slack_calls_meanwhile']} Slack calls "
        f"by the outbox meanwhile; outbox rows {figures['outbox']}"
    )
    for name, p in (("Handoff", ours), ("bare Bolt", theirs)):
        print(f"  {name:10} p50 {p[0]:6.1f} ms  p90 {p[1]:6.1f} ms  p99 {p[2]:6.1f} ms")
    ratios = [o / t for o, t in zip(ours, theirs, strict=True)]
    verdict = "met" if ratios[1] <= TARGET else "MISSED"
    print(
        f"  ratio      p50 {ratios[0]:.2f}x    p90 {ratios[1]:.2f}x    p99 {ratios[2]:.2f}x"
        f"   (target p90 <= {TARGET}x: {verdict})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--per-round", type=int, default=200)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--serve-bare", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare:
        serve_bare(args.serve_bare)
        return
    stores = ["sqlite", "postgres"] if args.store == "both" else [args.store]
    for store in stores:
        fresh = fresh_sqlite if store == "sqlite" else fresh_postgres
        # ACK_BENCH_LOGS=dir keeps the servers' logs there.
        logs = os.environ.get("ACK_BENCH_LOGS")
        with tempfile.TemporaryDirectory() as tmp, fresh(Path(tmp), args.postgres) as url:
            report(run(store, url, args.rounds, args.per_round, Path(logs or tmp)))


if __name__ == "__main__":
    main()
