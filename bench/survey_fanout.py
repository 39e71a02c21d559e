"""How long the monthly survey takes to reach N reps, through the fake Slack over real HTTP.

    .venv/bin/python bench/survey_fanout.py [--reps 200] [--rate-limit] [--postgres URL]

Prints the time to look the reps up (users.info each) and open the survey, the
time until every rep has their DM, and Slack calls made. With --rate-limit one
DM in the middle answers 429 (Retry-After: 1). With --postgres the bench runs on
a fresh database created on that server (and dropped afterwards).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.sandbox.fake_slack import FakeSlackServer, FakeWorkspace
from bot.timekeeping.clock import ManualClock
from storage.database import upgrade_database
from tests.conftest import BOT_TOKEN
from tests.harness import BotServer
from tests.survey_support import OPENS, dms, survey_settings, sweep


def run(database_url: str, reps: int, rate_limit: bool) -> None:
    upgrade_database(database_url)
    users = [f"U0R{n:05d}" for n in range(reps)]
    workspace = FakeWorkspace.seeded(bot_token=BOT_TOKEN)
    for user_id in users:
        workspace.add_user(id=user_id, name=user_id.lower())
    workspace.add_usergroup(id="S0BENCH", handle="bench", users=users)
    if rate_limit:
        workspace.faults.inject(
            "chat.postMessage", status=429, retry_after=1, channel=users[reps // 2]
        )
    with FakeSlackServer(workspace) as slack:
        settings = survey_settings(database_url, slack.api_url, reps={"usergroup": "S0BENCH"})
        # Start before the scheduled time so that the start-up sweep has nothing to do.
        clock = ManualClock(OPENS - timedelta(minutes=1), running=True)
        with BotServer(settings, clock=clock) as bot:
            sweep(bot)
            clock.set(OPENS)
            start = time.monotonic()
            sweep(bot)
            opened = time.monotonic()
            while not all(workspace.dm_channel(u) and dms(workspace, u) for u in users):
                time.sleep(0.25)
            done = time.monotonic()
    posts = workspace.calls("chat.postMessage")
    one_each = all(len(dms(workspace, u)) == 1 for u in users)
    print(
        f"{database_url.split(':')[0]:>10} reps={reps}: open+lookup {opened - start:5.2f}s, "
        f"all DMs {done - start:5.2f}s ({reps / (done - opened):5.1f} DMs/s), "
        f"users.info {len(workspace.calls('users.info'))}, chat.postMessage {len(posts)} "
        f"({sum(c.http_status == 429 for c in posts)}x429), exactly one DM each: {one_each}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--rate-limit", action="store_true")
    parser.add_argument("--postgres", help="e.g. postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        run(f"sqlite:///{folder}/bench.db", args.reps, args.rate_limit)
    if args.postgres:
        name = f"handoff_bench_{uuid.uuid4().hex[:8]}"

        async def admin(sql: str) -> None:
            connection = await asyncpg.connect(args.postgres)
            try:
                await connection.execute(sql)
            finally:
                await connection.close()

        asyncio.run(admin(f'CREATE DATABASE "{name}"'))
        try:
            run(args.postgres.rsplit("/", 1)[0] + f"/{name}", args.reps, args.rate_limit)
        finally:
            asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
