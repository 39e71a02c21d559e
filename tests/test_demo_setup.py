"""The demo's pieces without a server, and the `handoff demo` command itself."""

from __future__ import annotations

import ast
import os
import re
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import yaml
from click.testing import CliRunner

from bot.cli import main
from bot.sandbox.demo.clock import DemoTime, landing, scheduled_moments
from bot.sandbox.demo.samples import load_samples, sample_variant
from bot.sandbox.demo.team import DEMO_TEAM, demo_team
from bot.sandbox.fake_slack import FakeWorkspace
from bot.timekeeping.clock import ManualClock
from storage.lead_input import LeadIn
from tests.demo_harness import BERLIN
from tests.harness import wait_for

ROOT = Path(__file__).resolve().parent.parent


def test_the_samples_are_valid_varied_and_include_one_hostile_lead() -> None:
    samples = load_samples()
    assert len(samples) >= 30
    for sample in samples:
        LeadIn.model_validate(sample)
    assert len({s["email"] for s in samples}) == len(samples)
    assert len({s.get("source") for s in samples}) >= 6
    hostile = [s for s in samples if "<script>" in s.get("first_name", "")]
    assert len(hostile) == 1 and "<!channel>" in hostile[0]["last_name"]


def test_a_sample_sent_again_gets_a_new_address_and_id() -> None:
    sample = load_samples()[0]
    assert sample_variant(sample, 0) == sample
    again = sample_variant(sample, 2)
    local, domain = sample["email"].split("@")
    assert again["email"] == f"{local}+2@{domain}"
    assert again["external_id"] == f"{sample['external_id']}-2"
    LeadIn.model_validate(again)


def test_the_repositorys_app_yaml_fits_the_demo_workspace() -> None:
    chosen = demo_team(ROOT / "app.yaml", FakeWorkspace.seeded())
    assert chosen.source.endswith("app.yaml")
    assert chosen.team.channels.leads == "C0LEADS"


def test_a_real_teams_app_yaml_falls_back_to_the_demo_team(tmp_path: Path) -> None:
    config = yaml.safe_load((ROOT / "app.yaml").read_text())
    config["channels"]["leads"] = "C0REALSALES"
    config["admins"] = {"users": ["U0REALBOSS"]}
    path = tmp_path / "app.yaml"
    path.write_text(yaml.safe_dump(config))
    chosen = demo_team(path, FakeWorkspace.seeded())
    assert chosen.team == DEMO_TEAM
    assert "C0REALSALES" in chosen.source and "U0REALBOSS" in chosen.source


def test_a_broken_or_missing_app_yaml_falls_back_to_the_demo_team(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("channels: {leads: nope}\n")
    assert demo_team(broken, FakeWorkspace.seeded()).team == DEMO_TEAM
    missing = demo_team(tmp_path / "missing.yaml", FakeWorkspace.seeded())
    assert missing.team == DEMO_TEAM and "not found" in missing.source


def test_demo_time_maps_real_moments_to_the_bots_time() -> None:
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    demo_time = DemoTime(ManualClock(start, running=True))
    before = time.time()
    first = demo_time.at(before)
    assert first == pytest.approx(start.timestamp(), abs=1)  # the clock's own start
    assert demo_time.offset == 0 and demo_time.version == 0  # not the visitor's doing
    moved = demo_time.fast_forward(timedelta(days=1))
    assert moved.timestamp() == pytest.approx((start + timedelta(days=1)).timestamp(), abs=1)
    demo_time.fast_forward(timedelta(hours=1))
    later = time.time() + 1
    assert demo_time.at(later) - first == pytest.approx(later - before + 90000)
    assert demo_time.at(before) == first  # earlier messages keep the time they had
    assert demo_time.version == 2 and demo_time.offset == 90000
    demo_time.move_to(start)  # the past: nothing moves
    assert demo_time.version == 2
    target = demo_time.now() + timedelta(hours=2)
    assert demo_time.move_to(target) >= target and demo_time.version == 3


def berlin(day: int, hour: int, month: int = 2) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=BERLIN).astimezone(UTC)


def test_a_jump_of_whole_days_lands_no_earlier_than_the_days_posts() -> None:
    sunday_7 = berlin(1, 7)  # Sunday 1 February 2026; the digest is due Mondays 09:00,
    # the survey on the first business day at 10:00.
    assert landing(DEMO_TEAM, sunday_7, timedelta(days=1)) == berlin(2, 10)
    assert landing(DEMO_TEAM, sunday_7, timedelta(days=2)) == berlin(3, 10)
    assert landing(DEMO_TEAM, berlin(1, 15), timedelta(days=1)) == berlin(2, 15)
    assert landing(DEMO_TEAM, sunday_7, timedelta(hours=1)) == berlin(1, 8)
    quiet = DEMO_TEAM.model_copy(
        update={
            "digest": DEMO_TEAM.digest.model_copy(update={"enabled": False}),
            "survey": DEMO_TEAM.survey.model_copy(update={"enabled": False}),
        }
    )
    assert landing(quiet, sunday_7, timedelta(days=1)) == berlin(2, 7)


def test_the_scheduled_moments_on_the_way_are_the_digests_and_the_surveys() -> None:
    assert scheduled_moments(DEMO_TEAM, berlin(1, 7), berlin(2, 10)) == [
        berlin(2, 9),
        berlin(2, 10),
    ]
    assert scheduled_moments(DEMO_TEAM, berlin(2, 9), berlin(2, 10)) == [berlin(2, 10)]
    month = scheduled_moments(DEMO_TEAM, berlin(1, 7), berlin(1, 7) + timedelta(days=31))
    mondays = [berlin(day, 9) for day in (2, 9, 16, 23)] + [berlin(2, 9, month=3)]
    openings = [berlin(2, 10), berlin(2, 10, month=3)]  # 2 March is a Monday too
    assert month == sorted(mondays + openings)


# The demo's modules, lowest first: each may import only those before it.
DEMO_LAYERS = (
    "samples",
    "team",
    "crm",
    "clock",
    "context",
    "state",
    "fastforward",
    "routes",
    "server",
    "__init__",
)


def _demo_imports(source: str) -> set[str]:
    """The demo modules a module imports, at any depth (TYPE_CHECKING blocks included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level == 0 and not module.startswith("bot.sandbox.demo"):
                continue
            inside = module.removeprefix("bot.sandbox.demo").lstrip(".")
            if inside:
                found.add(inside.split(".")[0])
            else:
                found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("bot.sandbox.demo."):
                    found.add(alias.name.split(".")[3])
    return found


def test_the_demos_imports_point_one_way() -> None:
    package = ROOT / "bot" / "sandbox" / "demo"
    assert {path.stem for path in package.glob("*.py")} == set(DEMO_LAYERS)
    for rank, name in enumerate(DEMO_LAYERS):
        imported = _demo_imports((package / f"{name}.py").read_text())
        assert imported <= set(DEMO_LAYERS[:rank]), f"{name}.py imports {imported}"


SHORTCODE = re.compile(r":([a-z][a-z0-9_+-]*):")


def _sent_text(path: Path) -> str:
    """What of a file can reach Slack: a template whole, a module's string literals but
    not its docstrings (which may well say `hh:mm:ss`)."""
    if path.suffix == ".j2":
        return path.read_text()
    tree = ast.parse(path.read_text())
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return "\n".join(
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    )


def test_the_page_draws_every_emoji_the_bot_writes() -> None:
    """A shortcode missing from render.js's table shows as text (":thread:" did)."""
    script = (ROOT / "bot" / "sandbox" / "demo" / "static" / "render.js").read_text()
    table = script[script.index("export const EMOJI = {") :]
    drawn = set(re.findall(r'"?([a-z0-9_+-]+)"?:\s*"', table[: table.index("};")]))
    sources = [
        *(ROOT / "messages").rglob("*.j2"),
        *(ROOT / "messages").rglob("*.py"),
        *(ROOT / "bot").rglob("*.py"),
        *(ROOT / "handlers").rglob("*.py"),
    ]
    used = {
        name
        for path in sources
        if "sandbox" not in path.parts
        for name in SHORTCODE.findall(_sent_text(path))
    }
    assert {"thread", "rotating_light", "white_check_mark"} <= used  # the scan finds them
    assert used - drawn == set()


def test_demo_refuses_a_port_in_use() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = CliRunner().invoke(main, ["demo", "--port", str(port)])
    assert result.exit_code == 2
    assert "Cannot start the demo" in result.output and f"--port {port}" in result.output


def test_handoff_demo_serves_the_page_and_feeds_sample_leads(tmp_path: Path) -> None:
    """The README's first command, as a person runs it: one process, one URL, Ctrl-C."""
    db = tmp_path / "demo.db"
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "demo", "--port", "0", "--leads", "2", "--db", str(db)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    try:
        assert process.stdout is not None
        lines: list[str] = []
        url = None
        deadline = time.monotonic() + 30
        while url is None and time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line and process.poll() is not None:
                break
            lines.append(line)
            found = re.search(r"Handoff demo: (http://127\.0\.0\.1:\d+)/", line)
            url = found.group(1) if found else None
        assert url, "".join(lines)
        assert "<title>Handoff demo</title>" in httpx.get(url + "/").text

        def cards() -> list[dict[str, object]] | None:
            state = httpx.get(f"{url}/demo/api/state", params={"as": "U0REP1"}).json()
            return state["messages"]["C0LEADS"] if len(state["messages"]["C0LEADS"]) == 2 else None

        wait_for(cards, what="the two sample leads' cards")
        assert db.exists()
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
            pytest.fail("handoff demo did not stop on Ctrl-C")
    assert process.returncode == 0


def test_the_page_script_never_parses_data_as_html() -> None:
    """The renderer's safety rests on building the DOM with textContent; keep it that way."""
    static = ROOT / "bot" / "sandbox" / "demo" / "static"
    assert {"app.js", "render.js"} <= {p.name for p in static.glob("*.js")}
    forbidden = re.compile(
        r"\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write|\beval\(|new Function\("
        r"|createContextualFragment|DOMParser"
    )
    for script in static.glob("*.js"):
        hits = [
            f"{script.name}:{number}: {line.strip()}"
            for number, line in enumerate(script.read_text().splitlines(), 1)
            if forbidden.search(line)
        ]
        assert hits == []
