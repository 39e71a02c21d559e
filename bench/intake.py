"""Intake throughput: how fast the real bot accepts leads over HTTP, on SQLite and PostgreSQL.

Runs the real bot (real HTTP server, real database) with the fake Slack
workspace, posts single leads and 500-lead batches, and prints latency figures.
Card posting is not measured here: it is paced to Slack's ~1 message/second
per channel on purpose.

    .venv/bin/python bench/intake.py [--singles 300] [--batches 5] [--postgres URL]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.sandbox.fake_slack import FakeSlackServer, FakeWorkspace
from storage.database import upgrade_database
from tests.conftest import BOT_TOKEN, INTAKE_TOKEN, make_settings
from tests.harness import BotServer


def run(database_url: str, singles: int, batches: int) -> dict[str, float]:
    upgrade_database(database_url)
    workspace = FakeWorkspace.seeded(bot_token=BOT_TOKEN)
    with FakeSlackServer(workspace) as slack:
        settings = make_settings(database_url, slack.api_url)
        with BotServer(settings) as bot:
            single, batch = asyncio.run(_measure(bot.url, singles, batches))
    ordered = sorted(single)
    return {
        "single_p50_ms": statistics.median(single) * 1000,
        "single_p95_ms": ordered[int(len(ordered) * 0.95) - 1] * 1000,
        "batch500_median_ms": statistics.median(batch) * 1000,
        "batch_leads_per_s": 500 / statistics.median(batch),
    }


async def _measure(url: str, singles: int, batches: int) -> tuple[list[float], list[float]]:
    # aiohttp, like the HTTP clients of marketing tools; httpx's keep-alive
    # requests stall ~40 ms each on loopback here, which would measure httpx.
    headers = {"Authorization": f"Bearer {INTAKE_TOKEN}"}
    async with aiohttp.ClientSession(base_url=url, headers=headers) as client:
        single = []
        for n in range(singles):
            lead = {"email": f"single{n}@example.com", "source": "bench", "company": f"Co {n}"}
            started = time.perf_counter()
            async with client.post("/api/leads", json=lead) as response:
                assert response.status == 201
            single.append(time.perf_counter() - started)
        batch = []
        for b in range(batches):
            leads = [{"email": f"b{b}-{n}@example.com", "source": "bench"} for n in range(500)]
            started = time.perf_counter()
            async with client.post("/api/leads", json={"leads": leads}) as response:
                assert response.status == 201
            batch.append(time.perf_counter() - started)
    return single, batch


async def drop_postgres(admin_url: str, url: str) -> None:
    connection = await asyncpg.connect(admin_url)
    await connection.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
    await connection.close()


async def fresh_postgres(url: str) -> str:
    name = f"handoff_bench_{int(time.time())}"
    connection = await asyncpg.connect(url)
    await connection.execute(f'CREATE DATABASE "{name}"')
    await connection.close()
    return url.rsplit("/", 1)[0] + f"/{name}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--singles", type=int, default=300)
    parser.add_argument("--batches", type=int, default=5)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    targets = {"sqlite": f"sqlite:///{tempfile.mkdtemp()}/bench.db"}
    try:
        targets["postgresql"] = asyncio.run(fresh_postgres(args.postgres))
    except (OSError, asyncpg.PostgresError) as exc:
        print(f"postgresql: skipped ({exc})")
    for name, url in targets.items():
        try:
            figures = run(url, args.singles, args.batches)
        finally:
            if name == "postgresql":
                asyncio.run(drop_postgres(args.postgres, url))
        print(
            f"{name:10s} single lead p50 {figures['single_p50_ms']:.1f} ms, "
            f"p95 {figures['single_p95_ms']:.1f} ms; "
            f"500-lead batch {figures['batch500_median_ms']:.0f} ms "
            f"({figures['batch_leads_per_s']:.0f} leads/s)"
        )


if __name__ == "__main__":
    main()
