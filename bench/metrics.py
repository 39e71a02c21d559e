"""How long the shared numbers take with a year of leads: stats, sources, the digest, quality.

    .venv/bin/python bench/metrics.py                 # 1,000,000 leads, SQLite and PostgreSQL
    .venv/bin/python bench/metrics.py --leads 100000 --skip-postgres

Builds a migrated store (SQLite file and/or a PostgreSQL database of its own),
fills it in bulk with leads spread over the past year the way a B2B funnel
looks (weekday office hours, a long tail of sources, most leads decided within
a day, outcomes for some accepted ones), then times the exact functions the
bot calls (bot/feedback/reports.py), each once cold and then best of three.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import random
import sqlite3
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import asyncpg
from sqlalchemy import text

from bot.feedback import reports
from bot.timekeeping.periods import digest_week, parse_period
from storage.database import Database, upgrade_database

ZONE = ZoneInfo("Europe/Berlin")
REASONS = ["not_icp", "no_budget", "no_intent", "competitor", "bad_contact", "existing", "other"]
COMMENTS = [
    "Student doing research for a thesis.",
    "Two-person shop, no budget this year.",
    "Works for a competitor.",
    "Phone number is fake, email bounced.",
    "Already a customer, talk to account management.",
    "Asked for pricing for a different product.",
]
REPS = [f"U0REP{i:02d}" for i in range(1, 25)]
LEAD_COLUMNS = (
    "id",
    "external_id",
    "email",
    "first_name",
    "last_name",
    "company",
    "source",
    "score",
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
    "rejection_reason",
    "rejection_comment",
)
OUTCOME_COLUMNS = (
    "id",
    "lead_id",
    "lead_created_at",
    "lead_source",
    "kind",
    "at",
    "amount_cents",
    "currency",
    "reason",
    "received_at",
)


def sources(rng: random.Random) -> tuple[list[str], list[float], dict[str, list[float]]]:
    """About 40 sources with a long tail, each with its own acceptance and reason mix."""
    kinds = ["webinar", "ebook", "ads-google", "ads-linkedin", "event", "partner", "seo", "demo"]
    names = [f"{kinds[i % len(kinds)]}-{i:02d}" for i in range(40)]
    weights = [1 / (rank + 1) ** 0.9 for rank in range(len(names))]
    quality = {name: [rng.uniform(0.25, 0.8), rng.uniform(0, 1)] for name in names}
    return names, weights, quality


def generate(
    count: int, now: datetime, seed: int = 7
) -> Iterator[tuple[tuple[Any, ...], list[tuple[Any, ...]]]]:
    rng = random.Random(seed)
    names, weights, quality = sources(rng)
    year = timedelta(days=365)
    outcome_id = 0
    for lead_id in range(1, count + 1):
        # Weekdays carry most leads, and office hours most of each day.
        while True:
            created = now - year * rng.random()
            local = created.astimezone(ZONE)
            weight = (0.25 if local.weekday() >= 5 else 1.0) * (
                0.3 if not 8 <= local.hour < 19 else 1.0
            )
            if rng.random() < weight:
                break
        source = rng.choices(names, weights)[0]
        accept_p, reason_bias = quality[source]
        posted = created + timedelta(seconds=rng.uniform(1, 20))
        due = posted + timedelta(hours=24)
        age = (now - posted).total_seconds()
        claim_after = rng.lognormvariate(math.log(3 * 3600), 1.1)
        decide_after = claim_after + rng.lognormvariate(math.log(8 * 3600), 1.0)
        state, owner, claimed, closed, reason, comment = "open", None, None, None, None, None
        roll = rng.random()
        if roll < 0.07 and decide_after < age:
            # Rejected straight from the card, without a claim.
            state, owner = "rejected", rng.choice(REPS)
            closed = posted + timedelta(seconds=claim_after)
        elif claim_after < age:
            owner, claimed = rng.choice(REPS), posted + timedelta(seconds=claim_after)
            state = "claimed"
            if decide_after < age and rng.random() < 0.97:
                closed = posted + timedelta(seconds=decide_after)
                state = "accepted" if rng.random() < accept_p else "rejected"
        if state == "rejected":
            reason = REASONS[min(int(rng.expovariate(1.2 + reason_bias)), len(REASONS) - 1)]
            if reason == "other" or rng.random() < 0.4:
                comment = rng.choice(COMMENTS)
        lead = (
            lead_id,
            f"crm-{lead_id}",
            f"lead{lead_id}@example{lead_id % 997}.com",
            "Lead",
            str(lead_id),
            f"Company {lead_id % 50021}",
            source,
            round(rng.uniform(40, 100), 1),
            "{}",
            state,
            owner,
            created,
            posted,
            due,
            claimed,
            closed,
            "C0LEADS",
            f"{posted.timestamp():.6f}",
            reason,
            comment,
        )
        happened: list[tuple[str, datetime, int | None, str | None]] = []
        # A quarter of accepted leads become opportunities; a third of those decided are won.
        if state == "accepted" and closed and rng.random() < 0.25:
            opportunity_at = closed + timedelta(days=rng.uniform(1, 20))
            if opportunity_at < now:
                cents = int(rng.lognormvariate(math.log(15000), 0.8)) * 100
                currency = "EUR" if rng.random() < 0.8 else "USD"
                happened.append(("opportunity_created", opportunity_at, cents, currency))
                decided_at = opportunity_at + timedelta(days=rng.uniform(5, 90))
                if decided_at < now and rng.random() < 0.7:
                    if rng.random() < 0.35:
                        happened.append(("won", decided_at, cents, currency))
                    else:
                        happened.append(("lost", decided_at, None, None))
        outcomes = []
        for kind, at, cents, currency in happened:
            outcome_id += 1
            reason = "Went with a competitor" if kind == "lost" else None
            outcomes.append(
                (outcome_id, lead_id, created, source, kind, at, cents, currency, reason, at)
            )
        yield lead, outcomes


def _naive(value: Any) -> Any:
    return value.astimezone(UTC).replace(tzinfo=None) if isinstance(value, datetime) else value


def _sqlite_value(value: Any) -> Any:
    return _naive(value).isoformat(" ") if isinstance(value, datetime) else value


def _insert_sql(table: str, columns: tuple[str, ...]) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"


def fill_sqlite(path: Path, count: int, now: datetime) -> None:
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=OFF")
    leads_sql = _insert_sql("leads", LEAD_COLUMNS)
    outcomes_sql = _insert_sql("lead_outcomes", OUTCOME_COLUMNS)
    for leads, outcomes in _chunks(generate(count, now)):
        connection.executemany(leads_sql, [tuple(_sqlite_value(v) for v in row) for row in leads])
        connection.executemany(
            outcomes_sql, [tuple(_sqlite_value(v) for v in row) for row in outcomes]
        )
        connection.commit()
    connection.execute("ANALYZE")
    connection.commit()
    connection.close()


async def fill_postgres(url: str, count: int, now: datetime) -> None:
    connection = await asyncpg.connect(url.replace("postgresql://", "postgres://"))
    try:
        for leads, outcomes in _chunks(generate(count, now)):
            await connection.copy_records_to_table(
                "leads",
                records=[tuple(_naive(v) for v in row) for row in leads],
                columns=LEAD_COLUMNS,
            )
            await connection.copy_records_to_table(
                "lead_outcomes",
                records=[tuple(_naive(v) for v in row) for row in outcomes],
                columns=OUTCOME_COLUMNS,
            )
        await connection.execute("SELECT setval('leads_id_seq', (SELECT max(id) FROM leads))")
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()


def _chunks(
    rows: Iterator[tuple[tuple[Any, ...], list[tuple[Any, ...]]]], size: int = 20000
) -> Iterator[tuple[list[Any], list[Any]]]:
    leads: list[Any] = []
    outcomes: list[Any] = []
    for lead, lead_outcomes in rows:
        leads.append(lead)
        outcomes.extend(lead_outcomes)
        if len(leads) >= size:
            yield leads, outcomes
            leads, outcomes = [], []
    if leads:
        yield leads, outcomes


async def timed(label: str, work: Callable[[], Awaitable[Any]], runs: int = 3) -> dict[str, Any]:
    started = time.perf_counter()
    await work()
    cold = time.perf_counter() - started
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        await work()
        times.append(time.perf_counter() - started)
    return {
        "what": label,
        "cold_ms": cold * 1000,
        "best_ms": min(times) * 1000,
        "median_ms": statistics.median(times) * 1000,
    }


async def measure(store: str, url: str, now: datetime) -> list[dict[str, Any]]:
    db = Database(url)
    period = parse_period("90d", now=now, zone=ZONE)
    week = digest_week(now, ZONE)
    try:
        results = [
            await timed("stats 90d", lambda: reports.stats_report(db, period, now=now)),
            await timed("sources 90d", lambda: reports.sources_report(db, period)),
            await timed("reasons 90d", lambda: reports.reasons_report(db, period)),
            await timed(
                "digest (week)", lambda: reports.digest_report(db, week, now=now, zone=ZONE)
            ),
        ]
    finally:
        await db.dispose()
    for result in results:
        result["store"] = store
    return results


# --- the MQL definition's figures (bot/feedback/metrics/quality.py) ----------------------------
#
# The generated leads carry no firmographics or fit; this grades them as intake would
# have, in SQL, with a three-criterion definition (size, DACH, score), once per store.

BENCH_TEAM = {
    "channels": {"leads": "C0LEADS", "marketing": "C0MKTG"},
    "timezone": "Europe/Berlin",
    "mql_definition": {
        "criteria": [
            {"id": "size", "label": "company size", "employees": {"at_least": 50}},
            {"id": "region", "label": "DACH", "country": ["DE", "AT", "CH"]},
            {"id": "engaged", "label": "score", "score": {"at_least": 60}},
        ]
    },
}
FIRMOGRAPHICS = (
    "UPDATE leads SET employees = (id * 37) % 5000 + 1, "
    "country = CASE id % 5 WHEN 0 THEN 'DE' WHEN 1 THEN 'AT' WHEN 2 THEN 'US' "
    "WHEN 3 THEN 'FR' ELSE 'CH' END, "
    "industry = CASE id % 4 WHEN 0 THEN 'Software' WHEN 1 THEN 'Retail' "
    "WHEN 2 THEN 'Logistics' ELSE 'Fintech' END"
)
FIT = (
    "UPDATE leads SET fit_version = '{version}', fit_missed = "
    "(CASE WHEN employees < 50 THEN 1 ELSE 0 END) "
    "+ (CASE WHEN country NOT IN ('DE', 'AT', 'CH') THEN 2 ELSE 0 END) "
    "+ (CASE WHEN score < 60 THEN 4 ELSE 0 END)"
)


def bench_team() -> Any:
    from bot.settings import TeamConfig

    return TeamConfig.model_validate(BENCH_TEAM)


async def grade_leads(url: str) -> None:
    """Firmographics and the stored fit for every lead, unless this store has them already."""
    team = bench_team()
    version = team.mql_definition.version
    db = Database(url)
    try:
        async with db.session() as session:
            ungraded = (
                await session.exec(text("SELECT count(*) FROM leads WHERE fit_version IS NULL"))  # type: ignore[call-overload]
            ).one()[0]
            if not ungraded:
                return
            await session.exec(text(FIRMOGRAPHICS))  # type: ignore[call-overload]
            await session.exec(text(FIT.format(version=version)))  # type: ignore[call-overload]
            await session.exec(text("DELETE FROM definition_criteria"))  # type: ignore[call-overload]
            for position, criterion in enumerate(team.mql_definition.criteria):
                await session.exec(
                    text(  # type: ignore[call-overload]
                        "INSERT INTO definition_criteria "
                        "(version, position, criterion_id, label, test, created_at) "
                        "VALUES (:v, :p, :c, :l, '{}', :t)"
                    ).bindparams(
                        v=version, p=position, c=criterion.id, l=criterion.label,
                        t=datetime.now(UTC),
                    )
                )  # fmt: skip
        async with db.engine.connect() as connection:
            await connection.execute(text("ANALYZE"))
            await connection.commit()
    finally:
        await db.dispose()


async def measure_quality(store: str, url: str, now: datetime) -> list[dict[str, Any]]:
    """`/leadfeedback quality 90d` and a what-if, as the bot computes them."""
    from bot.definition.quality import quality_report, what_if_report

    team = bench_team()
    db = Database(url)
    period = parse_period("90d", now=now, zone=ZONE)
    try:
        results = [
            await timed("quality 90d", lambda: quality_report(db, team, period, None)),
            await timed(
                "quality what-if",
                lambda: what_if_report(db, team, period, None, ["employees>=200"]),
            ),
        ]
    finally:
        await db.dispose()
    for result in results:
        result["store"] = store
    return results


async def count_leads(url: str) -> int:
    db = Database(url)
    try:
        async with db.session() as session:
            from storage.leads import count_leads as count

            return await count(session)
    finally:
        await db.dispose()


def prepare_postgres(admin_url: str, name: str, fresh: bool) -> str:
    async def create() -> bool:
        connection = await asyncpg.connect(admin_url.replace("postgresql://", "postgres://"))
        try:
            exists = await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
            if exists and fresh:
                await connection.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
                exists = None
            if not exists:
                await connection.execute(f'CREATE DATABASE "{name}"')
            return bool(exists)
        finally:
            await connection.close()

    asyncio.run(create())
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    upgrade_database(url)
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--sqlite", type=Path, default=Path("/tmp/handoff-bench.db"))
    parser.add_argument(
        "--postgres",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="server to create the bench database on",
    )
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument(
        "--fresh", action="store_true", help="rebuild the stores even if they hold --leads leads"
    )
    args = parser.parse_args()
    now = datetime.now(UTC).replace(microsecond=0)
    results: list[dict[str, Any]] = []

    if not args.skip_sqlite:
        url = f"sqlite:///{args.sqlite}"
        if args.fresh or not args.sqlite.exists() or asyncio.run(count_leads(url)) != args.leads:
            args.sqlite.unlink(missing_ok=True)
            upgrade_database(url)
            started = time.perf_counter()
            fill_sqlite(args.sqlite, args.leads, now)
            print(
                f"sqlite: stored {args.leads:,} leads in {time.perf_counter() - started:.0f}s",
                file=sys.stderr,
            )
        results += asyncio.run(measure("sqlite", url, now))
        asyncio.run(grade_leads(url))
        results += asyncio.run(measure_quality("sqlite", url, now))

    if not args.skip_postgres:
        url = prepare_postgres(args.postgres, f"handoff_bench_{args.leads}", args.fresh)
        if asyncio.run(count_leads(url)) != args.leads:
            url = prepare_postgres(args.postgres, f"handoff_bench_{args.leads}", True)
            started = time.perf_counter()
            asyncio.run(fill_postgres(url, args.leads, now))
            print(
                f"postgres: stored {args.leads:,} leads in {time.perf_counter() - started:.0f}s",
                file=sys.stderr,
            )
        results += asyncio.run(measure("postgres", url, now))
        asyncio.run(grade_leads(url))
        results += asyncio.run(measure_quality("postgres", url, now))

    print(f"{args.leads:,} leads over a year; times in milliseconds")
    print(f"{'store':<10}{'figure':<16}{'cold':>8}{'best':>8}{'median':>8}")
    for r in results:
        print(
            f"{r['store']:<10}{r['what']:<16}{r['cold_ms']:>8.0f}{r['best_ms']:>8.0f}{r['median_ms']:>8.0f}"
        )
    print(json.dumps(results), file=sys.stderr)


if __name__ == "__main__":
    main()
