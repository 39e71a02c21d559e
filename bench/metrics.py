"""How long the shared numbers take as history grows: stats/sources/reasons 90d, digest, export.

    .venv/bin/python bench/metrics.py                 # 10^4, 10^5, 10^6 leads, both stores
    .venv/bin/python bench/metrics.py --leads 100000 --skip-postgres

Builds a migrated store per size (SQLite file and/or a PostgreSQL database of its
own), fills it in bulk with leads spread over the past year (or, with --history rate,
over as many years as 100,000 leads a year make) the way a B2B funnel
looks (weekday office hours, a long tail of sources, most leads decided within
a day, outcomes for some accepted ones), then times the exact functions the bot
calls (bot/feedback/reports.py, FIGURES below): warm, the median of three calls
after a first; cold, one call in a fresh process after the OS page cache is
dropped (root), else on a fresh copy of the SQLite file.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
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
    count: int, now: datetime, seed: int = 7, years: float = 1.0
) -> Iterator[tuple[tuple[Any, ...], list[tuple[Any, ...]]]]:
    rng = random.Random(seed)
    names, weights, quality = sources(rng)
    history = timedelta(days=365 * years)
    outcome_id = 0
    for lead_id in range(1, count + 1):
        # Weekdays carry most leads, and office hours most of each day.
        while True:
            created = now - history * rng.random()
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


def fill_sqlite(path: Path, count: int, now: datetime, years: float = 1.0) -> None:
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=OFF")
    leads_sql = _insert_sql("leads", LEAD_COLUMNS)
    outcomes_sql = _insert_sql("lead_outcomes", OUTCOME_COLUMNS)
    for leads, outcomes in _chunks(generate(count, now, years=years)):
        connection.executemany(leads_sql, [tuple(_sqlite_value(v) for v in row) for row in leads])
        connection.executemany(
            outcomes_sql, [tuple(_sqlite_value(v) for v in row) for row in outcomes]
        )
        connection.commit()
    connection.execute("ANALYZE")
    connection.commit()
    connection.close()


async def fill_postgres(url: str, count: int, now: datetime, years: float = 1.0) -> None:
    connection = await asyncpg.connect(url.replace("postgresql://", "postgres://"))
    try:
        for leads, outcomes in _chunks(generate(count, now, years=years)):
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


# One row per figure: a name and the exact call the bot makes. A capability adds its
# own figure as one more entry (its own function beside these).
Figure = Callable[[Database, datetime], Awaitable[Any]]


def _days(days: int, now: datetime) -> Any:
    return parse_period(f"{days}d", now=now, zone=ZONE)


async def stats_90d(db: Database, now: datetime) -> Any:
    return await reports.stats_report(db, _days(90, now), now=now)


async def sources_90d(db: Database, now: datetime) -> Any:
    return await reports.sources_report(db, _days(90, now))


async def reasons_90d(db: Database, now: datetime) -> Any:
    return await reports.reasons_report(db, _days(90, now))


async def digest_week_figures(db: Database, now: datetime) -> Any:
    return await reports.digest_report(db, digest_week(now, ZONE), now=now, zone=ZONE)


async def export_90d(db: Database, now: datetime) -> Any:
    return await reports.export_csv(db, _days(90, now), now=now, zone=ZONE)


FIGURES: dict[str, Figure] = {
    "stats 90d": stats_90d,
    "sources 90d": sources_90d,
    "reasons 90d": reasons_90d,
    "digest (week)": digest_week_figures,
    "export 90d": export_90d,
}


async def warm(url: str, now: datetime, runs: int = 3) -> dict[str, float]:
    """Each figure's median of `runs` calls after a first one, in milliseconds."""
    db = Database(url)
    medians: dict[str, float] = {}
    try:
        for name, figure in FIGURES.items():
            await figure(db, now)
            times = []
            for _ in range(runs):
                started = time.perf_counter()
                await figure(db, now)
                times.append(time.perf_counter() - started)
            medians[name] = statistics.median(times) * 1000
    finally:
        await db.dispose()
    return medians


def drop_page_cache() -> bool:
    """Empty the OS page cache (root only); False where the machine does not allow it."""
    try:
        os.sync()
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
        return True
    except OSError:
        return False


def cold(url: str, now: datetime, name: str, workdir: Path) -> float:
    """One call of the figure in a fresh process, the page cache dropped first; in ms.

    Where the cache cannot be dropped, a SQLite store is read from a fresh copy of
    its file instead. (PostgreSQL's own shared buffers stay warm: the server is shared.)
    """
    if not drop_page_cache() and url.startswith("sqlite:///"):
        copy = workdir / "cold-copy.db"
        shutil.copy(url.removeprefix("sqlite:///"), copy)
        url = f"sqlite:///{copy}"
    answer = subprocess.run(
        [sys.executable, __file__, "--cold-one", name, "--url", url, "--now", now.isoformat()],
        check=True,
        capture_output=True,
        text=True,
    )
    return float(answer.stdout.strip().splitlines()[-1])


async def one_call(url: str, name: str, now: datetime) -> float:
    db = Database(url)
    try:
        started = time.perf_counter()
        await FIGURES[name](db, now)
        return (time.perf_counter() - started) * 1000
    finally:
        await db.dispose()


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
            if connection.dialect.name == "postgresql":
                # The two UPDATEs above left a dead version of every row and the visibility
                # map unset: until a VACUUM, every index-only scan visits the heap too (a
                # live store updates a lead a few times and autovacuum keeps up).
                autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
                await autocommit.execute(text("VACUUM ANALYZE leads"))
            else:
                await connection.execute(text("ANALYZE"))
                await connection.commit()
    finally:
        await db.dispose()


async def quality_90d(db: Database, now: datetime) -> Any:
    """`/leadfeedback quality 90d` as the bot computes it (bot/definition/quality.py)."""
    from bot.definition.quality import quality_report

    return await quality_report(db, bench_team(), _days(90, now), None)


async def quality_what_if_90d(db: Database, now: datetime) -> Any:
    """`/leadfeedback quality what-if employees>=200` over 90 days."""
    from bot.definition.quality import what_if_report

    return await what_if_report(db, bench_team(), _days(90, now), None, ["employees>=200"])


# The definition's rows: their own functions, added to the table of figures.
FIGURES["quality 90d"] = quality_90d
FIGURES["quality what-if"] = quality_what_if_90d


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


def sqlite_store(path: Path, count: int, now: datetime, fresh: bool, years: float) -> str:
    url = f"sqlite:///{path}"
    if path.exists() and not fresh:
        upgrade_database(url)  # a store kept from an earlier run gets today's indexes
    if fresh or not path.exists() or asyncio.run(count_leads(url)) != count:
        path.unlink(missing_ok=True)
        upgrade_database(url)
        started = time.perf_counter()
        fill_sqlite(path, count, now, years)
        print(
            f"sqlite: stored {count:,} leads in {time.perf_counter() - started:.0f}s",
            file=sys.stderr,
        )
    return url


def postgres_store(admin_url: str, count: int, now: datetime, fresh: bool, years: float) -> str:
    name = f"handoff_bench_{_label(count, years)}"
    url = prepare_postgres(admin_url, name, fresh)
    if asyncio.run(count_leads(url)) != count:
        url = prepare_postgres(admin_url, name, True)
        started = time.perf_counter()
        asyncio.run(fill_postgres(url, count, now, years))
        print(
            f"postgres: stored {count:,} leads in {time.perf_counter() - started:.0f}s",
            file=sys.stderr,
        )
    return url


def _label(count: int, years: float) -> str:
    return str(count) if years == 1 else f"{count}_{years:g}y"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leads", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--sqlite-dir", type=Path, default=Path("/tmp"))
    parser.add_argument(
        "--postgres",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="server to create the bench databases on",
    )
    parser.add_argument(
        "--history",
        choices=["year", "rate"],
        default="year",
        help="year: every size spread over one year (a period holds a tenth more per tenfold); "
        "rate: 100,000 leads a year, so more leads mean a longer history and the same periods",
    )
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-cold", action="store_true")
    parser.add_argument(
        "--fresh", action="store_true", help="rebuild the stores even if they hold --leads leads"
    )
    parser.add_argument("--fill-only", action="store_true", help="build the stores, time nothing")
    parser.add_argument(
        "--only", nargs="+", choices=sorted(FIGURES), metavar="FIGURE", help="time these figures"
    )
    parser.add_argument("--cold-one", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--now", help=argparse.SUPPRESS)
    args = parser.parse_args()
    for name in set(FIGURES) - set(args.only or FIGURES):
        del FIGURES[name]
    if args.cold_one:
        now = datetime.fromisoformat(args.now)
        print(f"{asyncio.run(one_call(args.url, args.cold_one, now)):.1f}")
        return
    now = datetime.now(UTC).replace(microsecond=0)
    rows: list[dict[str, Any]] = []
    stores = [s for s in ("sqlite", "postgres") if not getattr(args, f"skip_{s}")]
    for count in args.leads:
        years = 1.0 if args.history == "year" else max(1.0, count / 100_000)
        for store in stores:
            if store == "sqlite":
                path = args.sqlite_dir / f"handoff-bench-{_label(count, years)}.db"
                url = sqlite_store(path, count, now, args.fresh, years)
            else:
                url = postgres_store(args.postgres, count, now, args.fresh, years)
            # The definition's figures need graded leads (once per store).
            asyncio.run(grade_leads(url))
            if args.fill_only:
                continue
            medians = asyncio.run(warm(url, now))
            with tempfile.TemporaryDirectory() as tmp:
                for name, warm_ms in medians.items():
                    cold_ms = None if args.skip_cold else cold(url, now, name, Path(tmp))
                    rows.append(
                        {
                            "leads": count,
                            "store": store,
                            "what": name,
                            "warm_ms": warm_ms,
                            "cold_ms": cold_ms,
                        }
                    )
    report(rows)
    print(json.dumps(rows), file=sys.stderr)


def report(rows: list[dict[str, Any]]) -> None:
    """Warm medians and cold first calls, with the 10^5 -> 10^6 growth of each warm figure."""
    cache = "page cache dropped" if drop_page_cache() else "fresh file copy"
    print(f"ms; cold = a fresh process, {cache}")
    print("targets at 10^6: warm < 300, cold < 1000; growth = warm / warm at a tenth the leads")
    print(f"{'leads':>10} {'store':<9}{'figure':<15}{'warm':>8}{'cold':>8}{'growth':>9}")
    by_key = {(r["leads"], r["store"], r["what"]): r for r in rows}
    for r in rows:
        smaller = by_key.get((r["leads"] // 10, r["store"], r["what"]))
        growth = f"{r['warm_ms'] / smaller['warm_ms']:.1f}x" if smaller else ""
        cold_ms = f"{r['cold_ms']:.0f}" if r["cold_ms"] is not None else "-"
        figure = f"{r['leads']:>10,} {r['store']:<9}{r['what']:<15}"
        print(f"{figure}{r['warm_ms']:>8.0f}{cold_ms:>8}{growth:>9}")


if __name__ == "__main__":
    main()
