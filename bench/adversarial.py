"""The adversarial runs, repeated: fuzzed requests, kill -9, a store outage, hostile text.

For each store it prints what the runs count, next to what must hold:

- fuzz: --requests requests of every shape to every endpoint (leads, outcomes,
  erasures, signed Slack bodies): answers by status; 5xx must be 0; every lead a
  201 reported is stored, and a refused batch stored nothing.
- kill -9: a real `handoff run` process killed with SIGKILL --kills times while
  batches arrive and cards are posted; after a last restart: leads a 201 reported
  but not stored (must be 0), cards posted twice (must be 0), leads without a card.
- outage (PostgreSQL): the store taken away --outages times for 3 s under load;
  the same counts, plus 503s (expected) and 5xx other than 503 (must be 0).
- hostile text: 1,000 hostile strings through every lead field: posts Slack
  refused (must be 0) and mentions or links a lead smuggled in (must be 0).

    .venv/bin/python bench/adversarial.py [--requests 3000] [--kills 5] [--outages 3]
        [--stores sqlite postgres]
"""

from __future__ import annotations

import argparse
import json
import random
import string
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import httpx
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.stores import fresh_postgres, fresh_sqlite
from bot.sandbox.fake_slack import FakeSlackServer, FakeWorkspace, InteractionSender
from bot.sandbox.outages import BotProcess, PgProxy
from tests.conftest import BOT_TOKEN, INTAKE_TOKEN, SIGNING_SECRET, TEAM, make_settings
from tests.harness import BotServer
from tests.store import leads as stored_leads
from tests.store import outbox as stored_outbox

LEADS = "C0LEADS"
AUTH = {"Authorization": f"Bearer {INTAKE_TOKEN}"}
HOSTILE = [
    "<!channel>",
    "<!here|here>",
    "<@U0REP1>",
    "<#C0MKTG>",
    "<https://evil.example|click>",
    "*bold* _it_ ~s~ `c`",
    "&lt;!channel&gt;",
    "\u202eevil",
    "\u200b" * 50,
    "😀" * 300,
    "a" * 5000,
    "</script><script>alert(1)</script>",
    "${jndi:ldap://x}",
    "\\u0000",
    "{{7*7}}",
    '"}]},{"type":"section"',
    "\n\n>quote",
    ":thinking_face:" * 40,
    "<mailto:a@b.c|a@b.c>",
]


def fuzz_value(rng: random.Random) -> Any:
    choices = [
        lambda: rng.choice(HOSTILE),
        lambda: "".join(rng.choice(string.printable) for _ in range(rng.randint(0, 40))),
        lambda: rng.randint(-(10**12), 10**12),
        lambda: rng.choice([1.5, 1e300, float("inf"), float("nan"), -0.0, 10**5000]),
        lambda: None,
        lambda: [fuzz_value(rng) for _ in range(rng.randint(0, 3))],
        lambda: {"k": fuzz_value(rng)},
        lambda: "x\x00y",
        lambda: True,
    ]
    return rng.choice(choices)()


def fuzz_lead(rng: random.Random, n: int) -> Any:
    lead: dict[str, Any] = {"email": f"fuzz{n}@example.com", "source": rng.choice(["ads", "web"])}
    for name in rng.sample(
        [
            "first_name",
            "company",
            "title",
            "employees",
            "score",
            "reason",
            "crm_url",
            "fields",
            "external_id",
            "country",
            "email",
            "bogus",
        ],
        rng.randint(0, 4),
    ):
        lead[name] = fuzz_value(rng)
    return lead


def post_json(url: str, data: Any) -> httpx.Response:
    """JSON as a careless client writes it: NaN, Infinity and 5,000-digit integers included."""
    body = json.dumps(data, allow_nan=True).encode()
    headers = {**AUTH, "Content-Type": "application/json"}
    return httpx.post(url, content=body, headers=headers, timeout=20)


def fuzz_request(
    rng: random.Random, base: str, n: int, sender: InteractionSender
) -> httpx.Response:
    kind = rng.randrange(8)
    if kind == 0:
        return post_json(f"{base}/api/leads", fuzz_lead(rng, n))
    if kind == 1:
        batch = {"leads": [fuzz_lead(rng, n * 10 + i) for i in range(rng.randint(1, 5))]}
        return post_json(f"{base}/api/leads", batch)
    if kind == 2:
        body = rng.choice([b"{" * 1000, b"\xff\xfe", b"[]", b"9" * 5000, b'{"email": NaN}'])
        headers = {**AUTH, "Content-Type": rng.choice(["application/json", "text/plain"])}
        return httpx.post(f"{base}/api/leads", content=body, headers=headers, timeout=20)
    if kind == 3:
        ref = rng.choice(["1", "\u00b2", "\u0663", "2147483648", "x" * 300, "hs-1", "%00"])
        outcome = {
            "type": rng.choice(["won", "lost", "opportunity_created", "x"]),
            "amount": fuzz_value(rng),
            "currency": fuzz_value(rng),
            "reason": fuzz_value(rng),
        }
        return post_json(f"{base}/api/leads/{ref}/outcome", outcome)
    if kind == 4:
        ref = rng.choice(["1", "2", "\u00b2", "nope", "9" * 30])
        return httpx.delete(f"{base}/api/leads/{ref}", headers=AUTH, timeout=20)
    if kind == 5:
        payload = {
            "type": rng.choice(["block_actions", "view_submission", "x"]),
            "actions": fuzz_value(rng),
            "view": fuzz_value(rng),
            "user": fuzz_value(rng),
        }
        return sender.post(json_form(payload))
    if kind == 6:
        body = json.dumps({"type": "event_callback", "event": fuzz_value(rng)}).encode()
        return sender.post(body, {**sender.sign(body), "Content-Type": "application/json"})
    return httpx.request(rng.choice(["GET", "PUT", "PATCH"]), f"{base}/api/leads", timeout=20)


def run_fuzz(database_url: str, requests: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    workspace = FakeWorkspace.seeded(bot_token=BOT_TOKEN)
    with (
        FakeSlackServer(workspace) as slack,
        BotServer(make_settings(database_url, slack.api_url)) as bot,
    ):
        sender = InteractionSender(
            workspace, bot_url=bot.url, signing_secret=SIGNING_SECRET, response_base_url=slack.url
        )
        statuses: Counter[int] = Counter()
        created = 0
        for n in range(requests):
            response = fuzz_request(rng, bot.url, n, sender)
            statuses[response.status_code] += 1
            if response.status_code == 201 and "/outcome" not in str(response.url):
                body = response.json()
                created += body.get("created", 1 if body.get("status") == "created" else 0)
        bot.drain()
    errors = sum(count for status, count in statuses.items() if status >= 500)
    return {
        "answers": dict(sorted(statuses.items())),
        "5xx": errors,
        "leads reported created": created,
        "leads stored": len(stored_leads(database_url)),
    }


def cards_per_lead(workspace: FakeWorkspace) -> Counter[str]:
    """How often each lead's card was posted, read off the posts' Slack metadata."""
    counts: Counter[str] = Counter()
    for message in workspace.messages(LEADS):
        counts[message.text] += 1
    return counts


def lead_batches(base: str, stop: threading.Event, answered: list[dict[str, Any]]) -> None:
    n = 0
    while not stop.is_set():
        batch = {
            "leads": [
                {"email": f"k{n}-{i}@example.com", "first_name": f"K{n}x{i}", "source": "load"}
                for i in range(20)
            ]
        }
        try:
            response = httpx.post(f"{base}/api/leads", json=batch, headers=AUTH, timeout=5)
            if response.status_code == 201:
                answered.append(response.json())
        except httpx.HTTPError:
            pass  # the process was killed mid-request: the batch is all or nothing
        n += 1
        time.sleep(0.2)


def run_kills(database_url: str, kills: int, seed: int, workdir: Path) -> dict[str, Any]:
    rng = random.Random(seed)
    workspace = FakeWorkspace.seeded(bot_token=BOT_TOKEN)
    config = workdir / "app.yaml"
    config.write_text(yaml.safe_dump(TEAM))
    answered: list[dict[str, Any]] = []
    with FakeSlackServer(workspace) as slack:
        env = {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "HANDOFF_INTAKE_TOKEN": INTAKE_TOKEN,
            "DATABASE_URL": database_url,
            "SLACK_API_URL": slack.api_url,
        }
        for _ in range(kills):
            with BotProcess(env, config) as bot:
                stop = threading.Event()
                client = threading.Thread(target=lead_batches, args=(bot.url, stop, answered))
                client.start()
                time.sleep(rng.uniform(1.0, 4.0))
                bot.kill()
                stop.set()
                client.join()
        with BotProcess(env, config):
            deadline = time.monotonic() + 900
            while time.monotonic() < deadline and any(
                m.state == "pending" and m.kind == "post_card" for m in stored_outbox(database_url)
            ):
                time.sleep(1)  # Slack's pace: a card a second
    reported = {lead["id"] for batch in answered for lead in batch["leads"]}
    stored = {lead.id for lead in stored_leads(database_url)}
    posted = cards_per_lead(workspace)
    return {
        "batches answered 201": len(answered),
        "leads reported but not stored": len(reported - stored),
        "leads stored": len(stored),
        "cards posted twice": sum(1 for count in posted.values() if count > 1),
        "leads without a card": len(stored) - len(posted),
    }


def run_outages(postgres_url: str, outages: int) -> dict[str, Any]:
    workspace = FakeWorkspace.seeded(bot_token=BOT_TOKEN)
    statuses: Counter[int] = Counter()
    answered: list[dict[str, Any]] = []
    with (
        PgProxy() as proxy,
        FakeSlackServer(workspace) as slack,
        BotServer(make_settings(proxy.url_for(postgres_url), slack.api_url)) as bot,
    ):
        for cycle in range(outages):
            for n in range(20):
                if n == 5:
                    proxy.down()
                if n == 15:
                    proxy.up()
                batch = {
                    "leads": [
                        {"email": f"o{cycle}-{n}-{i}@example.com", "source": "o"} for i in range(5)
                    ]
                }
                response = httpx.post(f"{bot.url}/api/leads", json=batch, headers=AUTH, timeout=20)
                statuses[response.status_code] += 1
                if response.status_code == 201:
                    answered.append(response.json())
                time.sleep(0.3)
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline and any(
            m.state == "pending" and m.kind == "post_card" for m in stored_outbox(postgres_url)
        ):
            time.sleep(1)
    reported = {lead["id"] for batch in answered for lead in batch["leads"]}
    stored = {lead.id for lead in stored_leads(postgres_url)}
    posted = cards_per_lead(workspace)
    return {
        "answers": dict(sorted(statuses.items())),
        "5xx other than 503": sum(c for s, c in statuses.items() if s >= 500 and s != 503),
        "leads reported but not stored": len(reported - stored),
        "cards posted twice": sum(1 for count in posted.values() if count > 1),
        "leads without a card": len(stored) - len(posted),
    }


def run_hostile(database_url: str) -> dict[str, Any]:
    rng = random.Random(7)
    workspace = FakeWorkspace.seeded(bot_token=BOT_TOKEN)
    # 1,000 hostile strings, ten per lead (Slack's pace of a card a second sets the lead count).
    strings = [rng.choice(HOSTILE) + str(i) + rng.choice(HOSTILE)[:50] for i in range(1000)]
    with (
        FakeSlackServer(workspace) as slack,
        BotServer(make_settings(database_url, slack.api_url)) as bot,
    ):
        for start in range(0, len(strings), 50):
            batch = [
                {
                    "email": f"h{start + i}@example.com",
                    "first_name": text[:200],
                    "company": text[:300],
                    "title": text[:300],
                    "reason": text[:1000],
                    "fields": {"note": text},
                    "source": "hostile",
                }
                for i, text in enumerate(strings[start : start + 50])
            ]
            httpx.post(f"{bot.url}/api/leads", json={"leads": batch}, headers=AUTH, timeout=30)
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline and len(workspace.messages(LEADS)) < len(strings):
            bot.drain()
    cards = workspace.messages(LEADS)
    refused = [c for c in workspace.calls("chat.postMessage") if not c.ok]
    smuggled = 0
    for card in cards:
        text = card.text + json.dumps(card.blocks)
        smuggled += any(
            token in text
            for token in ("<!channel>", "<!here", "<@U0REP1>", "<#C0MKTG>", "<https://evil.example")
        )
    return {
        "cards": len(cards),
        "posts Slack refused": len(refused),
        "cards with a smuggled mention or link": smuggled,
    }


def json_form(payload: Any) -> bytes:
    from urllib.parse import urlencode

    return urlencode({"payload": json.dumps(payload, allow_nan=True)}).encode()


def main() -> None:
    sys.set_int_max_str_digits(0)  # the fuzzer writes integers Python would not parse
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--outages", type=int, default=3)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument(
        "--stores", nargs="+", choices=["sqlite", "postgres"], default=["sqlite", "postgres"]
    )
    args = parser.parse_args()
    stores = [
        (name, make)
        for key, name, make in (
            ("sqlite", "SQLite", fresh_sqlite),
            ("postgres", "PostgreSQL", fresh_postgres),
        )
        if key in args.stores
    ]
    with TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for store, make in stores:
            with make(workdir, args.postgres) as url:
                print(f"{store}, fuzz:", run_fuzz(url, args.requests, seed=1), flush=True)
            with make(workdir, args.postgres) as url:
                print(
                    f"{store}, kill -9:",
                    run_kills(url, args.kills, seed=2, workdir=workdir),
                    flush=True,
                )
            with make(workdir, args.postgres) as url:
                print(f"{store}, hostile text:", run_hostile(url), flush=True)
        if "postgres" in args.stores:
            with fresh_postgres(workdir, args.postgres) as url:
                print("PostgreSQL, outage under load:", run_outages(url, args.outages), flush=True)
    print(
        "Must hold: 5xx 0 (503 only while the store is away); not stored 0; twice 0; "
        "refused 0; smuggled 0."
    )


if __name__ == "__main__":
    main()
