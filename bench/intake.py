"""Intake throughput: how fast the real bot accepts leads over HTTP, on SQLite and PostgreSQL.

Runs the real bot (real HTTP server, real database) with the fake Slack
workspace, posts single leads and 500-lead batches, and prints latency figures.
Card posting is not measured here: it is paced to Slack's ~1 message/second
per channel on purpose.

It also runs `handoff import` as a person would (a subprocess) on a generated
HubSpot-style CSV of --import-leads rows, and prints leads/s, seconds and the
process's peak RSS next to the 60 s target, after checking that every lead was
stored and owes exactly one queued card.

    .venv/bin/python bench/intake.py [--singles 300] [--batches 5]
                                     [--import-leads 10000 100000]
                                     [--postgres URL]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import asyncpg
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.sandbox.fake_slack import FakeSlackServer, FakeWorkspace
from storage.database import Database, upgrade_database
from tests.conftest import BOT_TOKEN, INTAKE_TOKEN, make_settings
from tests.harness import BotServer

ROOT = Path(__file__).resolve().parent.parent
IMPORT_TARGET_S = 60.0


def run(database_url: str, singles: int, batches: int) -> dict[str, float]:
    upgrade_database(database_url)
    workspace = FakeWorkspace.seeded(bot_token=BOT_TOKEN)
    with FakeSlackServer(workspace) as slack:
        settings = make_settings(database_url, slack.api_url)
        with BotServer(settings) as bot:
            single, batch = asyncio.run(_measure(bot.url, singles, batches))
    ordered = sorted(single)
    return {
        # One client, one lead at a time: the leads/s a sequential integration gets.
        "single_leads_per_s": len(single) / sum(single),
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


def write_export(path: Path, rows: int) -> None:
    """A HubSpot-style contacts export (UTF-8 with BOM, every value quoted)."""
    header = ["Record ID", "First Name", "Last Name", "Email", "Company Name", "Job Title"]
    header += ["Number of Employees", "Original Source", "HubSpot Score", "Create Date"]
    header += ["Lead Status", "Phone Number"]
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL)
        writer.writerow(header)
        for n in range(rows):
            writer.writerow(
                [
                    str(900_000 + n),
                    f"First{n}",
                    f"Last{n}",
                    f"lead{n}@bench{n % 997}.example",
                    f"Company {n % 5000}",
                    "Head of Marketing",
                    f"{(n % 40) * 25 + 1:,}",
                    ("Organic Search", "Paid Search", "Referrals")[n % 3],
                    str(n % 100),
                    f"2026-{1 + n % 10:02d}-{1 + n % 28:02d} {n % 24:02d}:{n % 60:02d}",
                    "New",
                    f"+49 30 {n:07d}",
                ]
            )


def run_import(database_url: str, csv_file: Path, rows: int) -> dict[str, float]:
    """`handoff import` in its own process: wall time and that process's peak RSS."""
    upgrade_database(database_url)  # migrations are not what this measures
    env = {**os.environ, "DATABASE_URL": database_url, "HANDOFF_CONFIG": str(ROOT / "app.yaml")}
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "import", str(csv_file)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    # VmHWM, sampled: the peak of this process since exec. (wait4's ru_maxrss would
    # count the parent's memory at fork, which Linux carries over.)
    peak_kib = 0
    while process.poll() is None:
        peak_kib = max(peak_kib, _vm_hwm_kib(process.pid))
        time.sleep(0.05)
    seconds = time.perf_counter() - started
    assert process.returncode == 0, f"handoff import exited {process.returncode}"
    stored, cards, leads_with_card = asyncio.run(_count_cards(database_url))
    assert stored == rows, f"{stored} leads stored of {rows}"
    assert cards == leads_with_card == rows, f"{cards} cards for {leads_with_card} of {rows} leads"
    return {"seconds": seconds, "leads_per_s": rows / seconds, "rss_mib": peak_kib / 1024}


def _vm_hwm_kib(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    line = next((x for x in status.splitlines() if x.startswith("VmHWM:")), "VmHWM: 0 kB")
    return int(line.split()[1])


async def _count_cards(database_url: str) -> tuple[int, int, int]:
    """Leads stored, card rows queued, and leads that have a card queued."""
    db = Database(database_url)
    try:
        async with db.session() as session:
            leads = (await session.exec(text("SELECT count(*) FROM leads"))).one()[0]
            cards, with_card = (
                await session.exec(
                    text(
                        "SELECT count(*), count(DISTINCT lead_id) FROM outbox "
                        "WHERE kind = 'post_card'"
                    )
                )
            ).one()
    finally:
        await db.dispose()
    return leads, cards, with_card


async def drop_postgres(admin_url: str, url: str) -> None:
    connection = await asyncpg.connect(admin_url)
    await connection.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
    await connection.close()


async def fresh_postgres(url: str) -> str:
    name = f"handoff_bench_{time.time_ns()}"
    connection = await asyncpg.connect(url)
    await connection.execute(f'CREATE DATABASE "{name}"')
    await connection.close()
    return url.rsplit("/", 1)[0] + f"/{name}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--singles", type=int, default=300)
    parser.add_argument("--batches", type=int, default=5)
    parser.add_argument(
        "--import-leads",
        type=int,
        nargs="*",
        default=[10_000, 100_000],
        help="file sizes to import (several show whether peak memory stays flat); none skips it",
    )
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp())
    exports = {rows: workdir / f"hubspot-contacts-{rows}.csv" for rows in args.import_leads}
    for rows, export in exports.items():
        write_export(export, rows)
    for name in ("sqlite", "postgresql"):
        if (args.singles or args.batches) and (urls := _fresh(name, workdir, args.postgres)):
            try:
                _print_http(name, run(urls[0], args.singles, args.batches))
            finally:
                _drop(name, urls, args.postgres)
        for rows, export in exports.items():
            if (urls := _fresh(name, workdir, args.postgres)) is None:
                continue
            try:
                _print_import(name, rows, run_import(urls[1], export, rows))
            finally:
                _drop(name, urls, args.postgres)


def _drop(name: str, urls: tuple[str, str], admin_url: str) -> None:
    if name == "postgresql":
        for url in urls:
            asyncio.run(drop_postgres(admin_url, url))
    else:
        for url in urls:
            for suffix in ("", "-wal", "-shm"):
                Path(url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)


def _fresh(name: str, workdir: Path, admin_url: str) -> tuple[str, str] | None:
    """Two empty stores: one for the HTTP figures, one for the import."""
    if name == "sqlite":
        return f"sqlite:///{workdir}/bench.db", f"sqlite:///{workdir}/import.db"
    try:
        return asyncio.run(fresh_postgres(admin_url)), asyncio.run(fresh_postgres(admin_url))
    except (OSError, asyncpg.PostgresError) as exc:
        print(f"postgresql: skipped ({exc})")
        return None


def _print_http(name: str, figures: dict[str, float]) -> None:
    print(
        f"{name:10s} single leads {figures['single_leads_per_s']:.0f} leads/s, "
        f"p50 {figures['single_p50_ms']:.1f} ms, "
        f"p95 {figures['single_p95_ms']:.1f} ms; "
        f"500-lead batch {figures['batch500_median_ms']:.0f} ms "
        f"({figures['batch_leads_per_s']:.0f} leads/s)"
    )


def _print_import(name: str, rows: int, figures: dict[str, float]) -> None:
    verdict = "within" if figures["seconds"] <= IMPORT_TARGET_S else "OVER"
    print(
        f"{name:10s} handoff import of {rows:,} leads: {figures['leads_per_s']:.0f} leads/s, "
        f"{figures['seconds']:.1f} s ({verdict} the {IMPORT_TARGET_S:.0f} s target), "
        f"peak RSS {figures['rss_mib']:.0f} MiB"
    )


if __name__ == "__main__":
    main()
