"""routing: and sla.tiers in app.yaml: claim by default, every bad reference named by its key."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from bot.settings import SettingsError, load_settings
from tests.conftest import BOT_TOKEN

ROOT = Path(__file__).resolve().parent.parent

GOOD = """
channels: {leads: C0LEADS, marketing: C0MKTG}
sla:
  business_hours: {start: "09:00", end: "17:00"}
  tiers:
    - {id: hand_raiser, respond_within: 5m, nudge_before: [2m]}
    - {id: standard, respond_within: 1h, nudge_before: [15m], business_hours: true}
routing:
  mode: assign
  regions: {emea: [DE, FR, GB]}
  pools:
    - id: emea
      members: {users: [U0REP1, U0REP2]}
      method: weighted
      weights: {U0REP1: 2}
      cap: {day: 10, week: 40}
      fallback: U0MGR
    - id: sdr
      members: {usergroup: S0REPS}
  rules:
    - {pool: sdr, tier: hand_raiser, reason: [demo, pricing]}
    - {pool: emea, tier: standard, region: [emea], employees: {min: 50}}
    - {pool: emea}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "app.yaml"
    path.write_text(text)
    return path


def problems(path: Path) -> dict[str, str]:
    with pytest.raises(SettingsError) as caught:
        load_settings({}, path)
    return {p.key: p.message for p in caught.value.problems}


def with_changes(**sections: object) -> str:
    raw = yaml.safe_load(GOOD)
    for dotted, value in sections.items():
        node = raw
        *path, last = dotted.split("__")
        for part in path:
            node = node[int(part)] if part.isdigit() else node[part]
        node[int(last) if last.isdigit() else last] = value
    return yaml.safe_dump(raw)


def test_claim_is_the_default_mode(tmp_path: Path) -> None:
    settings = load_settings({}, write(tmp_path, "channels: {leads: C01, marketing: C02}\n"))
    assert settings.team.routing.mode == "claim"
    assert settings.team.routing.pools == []
    assert settings.team.sla.tiers == []


def test_a_full_routing_section_loads(tmp_path: Path) -> None:
    team = load_settings({}, write(tmp_path, GOOD)).team
    assert team.routing.mode == "assign"
    assert team.routing.pool("emea").weights == {"U0REP1": 2}  # type: ignore[union-attr]
    assert team.sla.tier("hand_raiser").respond_within == timedelta(minutes=5)  # type: ignore[union-attr]
    assert team.routing.rules[-1].is_default


def test_a_rule_naming_a_missing_pool_names_the_key(tmp_path: Path) -> None:
    found = problems(write(tmp_path, with_changes(routing__rules__1__pool="apac")))
    assert found == {"routing.rules.1.pool": "names no pool 'apac' (pools: emea, sdr)"}


def test_an_unknown_tier_names_the_key(tmp_path: Path) -> None:
    found = problems(write(tmp_path, with_changes(routing__rules__0__tier="hot")))
    assert "routing.rules.0.tier" in found
    assert "hand_raiser, standard" in found["routing.rules.0.tier"]


def test_a_weight_of_zero_names_the_key(tmp_path: Path) -> None:
    found = problems(write(tmp_path, with_changes(routing__pools__0__weights={"U0REP1": 0})))
    assert list(found) == ["routing.pools.0.weights"]
    assert "U0REP1 must be at least 1" in found["routing.pools.0.weights"]


def test_a_cap_below_one_names_the_key(tmp_path: Path) -> None:
    found = problems(write(tmp_path, with_changes(routing__pools__0__cap={"day": 0})))
    assert found == {"routing.pools.0.cap.day": "must be at least 1 (leave it out for no cap)"}


def test_several_problems_are_reported_together(tmp_path: Path) -> None:
    text = with_changes(
        routing__rules=[{"pool": "nowhere", "tier": "warm", "score": {"min": 1}}, {"pool": "emea"}]
    )
    found = problems(write(tmp_path, text))
    assert set(found) == {"routing.rules.0.pool", "routing.rules.0.tier"}


def test_a_default_rule_before_others_is_refused(tmp_path: Path) -> None:
    text = with_changes(routing__rules=[{"pool": "emea"}, {"pool": "sdr", "reason": ["demo"]}])
    found = problems(write(tmp_path, text))
    assert "can never match" in found["routing.rules.0"]


def test_a_business_hours_tier_needs_business_hours(tmp_path: Path) -> None:
    raw = yaml.safe_load(GOOD)
    del raw["sla"]["business_hours"]
    found = problems(write(tmp_path, yaml.safe_dump(raw)))
    assert found == {"sla.tiers.1.business_hours": "needs sla.business_hours to be set"}


def test_other_bad_values_name_their_keys(tmp_path: Path) -> None:
    text = with_changes(
        routing__mode="round_robin",
        routing__pools__1__method="random",
        routing__max_reassignments=-1,
    )
    found = problems(write(tmp_path, text))
    assert set(found) == {
        "routing.mode",
        "routing.pools.1.method",
        "routing.max_reassignments",
    }


def test_handoff_check_prints_the_key(tmp_path: Path) -> None:
    path = write(tmp_path, with_changes(routing__rules__1__pool="apac"))
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(ROOT),
        "SLACK_BOT_TOKEN": "xoxb-1234-abcdef",
        "SLACK_SIGNING_SECRET": "0123456789abcdef",
        "HANDOFF_INTAKE_TOKEN": "intake-0123456789abcdef",
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot", "--config", str(path), "check"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert done.returncode == 2
    assert "routing.rules.1.pool" in done.stdout + done.stderr


def test_the_shipped_tiers_example_is_valid(tmp_path: Path) -> None:
    """app.yaml documents the tiers and an assign setup as comments; uncommented, they load."""
    text = (ROOT / "app.yaml").read_text()
    start = text.index("# routing-example-start")
    end = text.index("# routing-example-end")
    example = "\n".join(line.removeprefix("# ") for line in text[start:end].splitlines()[1:])
    base = yaml.safe_load(text)
    base.update(yaml.safe_load(example))
    team = load_settings({}, write(tmp_path, yaml.safe_dump(base))).team
    assert {t.id for t in team.sla.tiers} == {"hand_raiser", "standard", "low_intent"}
    assert team.routing.mode == "assign"


def test_check_online_names_an_unknown_user_group(tmp_path: Path, slack: object) -> None:
    """`handoff check --online` asks Slack for each routing user group and names the key."""
    text = with_changes(
        routing__pools__1__members={"usergroup": "S0NOPE"},
        routing__managers={"usergroup": "S0REPS"},
    )
    path = write(tmp_path, text)
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(ROOT),
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": "0123456789abcdef",
        "HANDOFF_INTAKE_TOKEN": "intake-0123456789abcdef",
        "SLACK_API_URL": slack.api_url,  # type: ignore[attr-defined]
        "DATABASE_URL": f"sqlite:///{tmp_path}/handoff.db",
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot", "--config", str(path), "check", "--online"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert done.returncode == 2
    output = " ".join((done.stdout + done.stderr).split())
    assert "routing.pools.1.members.usergroup: Slack knows no user group S0NOPE" in output
    assert "routing.managers.usergroup" not in output
