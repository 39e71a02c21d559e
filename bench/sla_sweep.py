"""How long the SLA sweep takes to find what is due, with a million leads stored.

Builds a database with the real migrations (so the real indexes), bulk-loads
`--leads` leads of which `--open` are still open (half of them claimed) and
`--due` have an SLA step due now, then times the sweep's query, the one
`storage.sla.due_query` builds, through the app's own Database and session:
the median of `--runs` runs. Then it runs one real sweep that takes the due
steps, and one more that finds nothing, and prints both.

    .venv/bin/python bench/sla_sweep.py                  # SQLite file and PostgreSQL
    .venv/bin/python bench/sla_sweep.py --leads 100000   # smaller, quicker
    .venv/bin/python bench/sla_sweep.py --no-postgres

PostgreSQL: a scratch database is created next to --postgres (default
HANDOFF_BENCH_POSTGRES_URL or postgresql://postgres@127.0.0.1:5432/test)
and dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sqlite3
import statistics
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import asyncpg
from pydantic import SecretStr
from sqlalchemy import text

from bot.settings import Settings, TeamConfig
from bot.sla.sweep import BATCH, sla_sweep
from bot.timekeeping.clock import ManualClock
from storage.database import Database, upgrade_database
from storage.sla import due_leads

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
COLUMNS = (
    "id",
    "email",
    "fields",
    "state",
    "owner_id",
    "created_at",
    "posted_at",
    "due_at",
    "claimed_at",
    "closed_at",
    "channel_id",
    "message_ts",
    "sla_next_at",
)
TEAM = TeamConfig.model_validate(
    {
        "channels": {"leads": "C0LEADS", "marketing": "C0MKTG"},
        "sla": {"on_duty": {"usergroup": "S0REPS"}, "escalate_to": "U0MGR"},
    }
)
EXPLAIN_SQL = (
    "SELECT id, sla_next_at FROM leads WHERE sla_next_at <= '{now}' "
    "AND state IN ('open', 'claimed') ORDER BY sla_next_at LIMIT {limit}"
)


def naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def rows(leads: int, open_leads: int, due: int, seed: int = 7) -> Iterator[tuple[Any, ...]]:
    """Closed leads first (the history), then the open ones, as the database stores them."""
    rng = random.Random(seed)
    closed = leads - open_leads
    for n in range(1, leads + 1):
        index = n - closed
        if n <= closed:
            posted = NOW - timedelta(days=rng.uniform(2, 720))
            state, owner = rng.choice((("accepted", "U0REP1"), ("rejected", "U0REP2")))
            closed_at, claimed, next_at = posted + timedelta(hours=rng.uniform(1, 30)), None, None
        else:
            state, owner = ("claimed", "U0REP1") if index % 2 else ("open", None)
            if index <= due:
                # Its 4h nudge (24h SLA) fell due in the last minute; due-soon was taken before.
                posted = NOW - timedelta(hours=20, seconds=rng.uniform(1, 50))
                next_at = posted + timedelta(hours=20)
            else:
                # Posted in the last 17 hours: next comes its due-soon step, 18h after posting.
                posted = NOW - timedelta(seconds=rng.uniform(60, 17 * 3600))
                next_at = posted + timedelta(hours=18)
            claimed, closed_at = (posted + timedelta(minutes=5) if owner else None), None
        due_at = posted + timedelta(hours=24)
        yield (
            n,
            f"lead{n}@example.com",
            "{}",
            state,
            owner,
            naive(posted),
            naive(posted),
            naive(due_at),
            naive(claimed) if claimed else None,
            naive(closed_at) if closed_at else None,
            "C0LEADS",
            f"{1700000000 + n}.000100",
            naive(next_at) if next_at else None,
        )


def build_sqlite(path: Path, args: argparse.Namespace) -> None:
    path.unlink(missing_ok=True)
    upgrade_database(f"sqlite:///{path}")
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA synchronous=OFF")
    stamp = "%Y-%m-%d %H:%M:%S.%f"  # SQLAlchemy's SQLite DATETIME text

    def as_text(row: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(v.strftime(stamp) if isinstance(v, datetime) else v for v in row)

    placeholders = ", ".join("?" for _ in COLUMNS)
    with connection:
        connection.executemany(
            f"INSERT INTO leads ({', '.join(COLUMNS)}) VALUES ({placeholders})",
            (as_text(row) for row in rows(args.leads, args.open, args.due)),
        )
    connection.execute("ANALYZE")
    connection.close()


async def load_postgres(url: str, args: argparse.Namespace) -> None:
    connection = await asyncpg.connect(url.replace("postgresql://", "postgres://"))
    try:
        await connection.copy_records_to_table(
            "leads", records=rows(args.leads, args.open, args.due), columns=list(COLUMNS)
        )
        await connection.execute("ANALYZE leads")
    finally:
        await connection.close()


def settings_for(database_url: str) -> Settings:
    return Settings(
        team=TEAM,
        config_path=Path("app.yaml"),
        slack_bot_token=SecretStr("xoxb-bench"),
        database_url=database_url,
    )


async def measure(database_url: str, args: argparse.Namespace) -> dict[str, Any]:
    db = Database(database_url)
    try:
        found: list[tuple[int, datetime]] = []
        times = []
        for _ in range(args.runs + 2):
            start = time.perf_counter()
            async with db.session() as session:
                found = await due_leads(session, now=NOW, limit=BATCH)
            times.append((time.perf_counter() - start) * 1000)
        times = times[2:]  # the first runs warm the pool and the page cache
        async with db.engine.connect() as connection:
            sql = EXPLAIN_SQL.format(now=naive(NOW), limit=BATCH)
            if db.is_sqlite:
                plan = (await connection.execute(text("EXPLAIN QUERY PLAN " + sql))).all()
                plan_text = "; ".join(str(row[-1]) for row in plan)
            else:
                plan = (await connection.execute(text("EXPLAIN ANALYZE " + sql))).all()
                plan_text = "\n      ".join(str(row[0]) for row in plan)
        # One real sweep takes the due steps (nudges and breaches into the outbox) ...
        services = SimpleNamespace(
            settings=settings_for(database_url),
            db=db,
            clock=ManualClock(NOW),
            outbox=SimpleNamespace(wake=lambda: None),
        )
        start = time.perf_counter()
        await sla_sweep(services)  # type: ignore[arg-type]
        taking = (time.perf_counter() - start) * 1000
        # ... and the next one finds nothing left to do.
        start = time.perf_counter()
        await sla_sweep(services)  # type: ignore[arg-type]
        idle = (time.perf_counter() - start) * 1000
        async with db.session() as session:
            queued = (await session.exec(text("SELECT count(*) FROM outbox"))).one()[0]
        return {
            "median": statistics.median(times),
            "p90": sorted(times)[int(len(times) * 0.9)],
            "found": len(found),
            "plan": plan_text,
            "taking": taking,
            "idle": idle,
            "queued": queued,
        }
    finally:
        await db.dispose()


def report(
    store: str, build_seconds: float, figures: dict[str, Any], args: argparse.Namespace
) -> None:
    print(f"{store}: built in {build_seconds:.1f} s")
    print(
        f"  due query: median {figures['median']:.2f} ms, p90 {figures['p90']:.2f} ms "
        f"over {args.runs} runs, {figures['found']} due leads found"
    )
    print(
        f"  sweep taking {figures['found']} due leads: {figures['taking']:.0f} ms "
        f"({figures['queued']} outbox messages queued); next sweep, nothing due: "
        f"{figures['idle']:.2f} ms"
    )
    print(f"  plan: {figures['plan']}")


async def postgres_scratch(base_url: str, action: str, name: str) -> None:
    connection = await asyncpg.connect(base_url.replace("postgresql://", "postgres://"))
    try:
        if action == "create":
            await connection.execute(f'CREATE DATABASE "{name}"')
        else:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--open", type=int, default=10_000)
    parser.add_argument("--due", type=int, default=100, help="open leads with a step due now")
    parser.add_argument("--runs", type=int, default=25)
    parser.add_argument("--sqlite", type=Path, default=Path("/tmp/handoff-sla-bench.db"))
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "HANDOFF_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
        ),
    )
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    if not 0 <= args.due <= args.open <= args.leads:
        parser.error("need 0 <= --due <= --open <= --leads")
    print(
        f"SLA sweep: {args.leads:,} leads stored, {args.open:,} open, {args.due:,} with a step due"
    )
    if not args.no_sqlite:
        start = time.perf_counter()
        build_sqlite(args.sqlite, args)
        built = time.perf_counter() - start
        report("SQLite", built, asyncio.run(measure(f"sqlite:///{args.sqlite}", args)), args)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{args.sqlite}{suffix}").unlink(missing_ok=True)
    if not args.no_postgres:
        name = f"handoff_sla_bench_{uuid.uuid4().hex[:6]}"
        url = args.postgres.rsplit("/", 1)[0] + f"/{name}"
        asyncio.run(postgres_scratch(args.postgres, "create", name))
        try:
            start = time.perf_counter()
            upgrade_database(url)
            asyncio.run(load_postgres(url, args))
            built = time.perf_counter() - start
            report("PostgreSQL", built, asyncio.run(measure(url, args)), args)
        finally:
            asyncio.run(postgres_scratch(args.postgres, "drop", name))


if __name__ == "__main__":
    main()
