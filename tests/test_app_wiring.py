"""Every feature is wired into the app that `handoff run` and `handoff demo` build."""

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from bot.app import create_app
from storage.kinds import OutboxKind
from storage.models import OutboxMessage, OutboxState
from tests import store
from tests.conftest import make_settings
from tests.harness import BotServer


def test_create_app_registers_every_feature(tmp_path: Path) -> None:
    handoff = create_app(make_settings(f"sqlite:///{tmp_path}/x.db"))
    services = handoff.services
    registry = services.registry
    assert set(registry.jobs.names) == {
        *("sla_sweep", "weekly_digest", "survey", "retention"),
        "definition_review",
    }
    names = {s.name for s in registry.subcommands.all()}
    assert names == {
        *("stats", "reasons", "sources", "lead", "mine", "digest", "export", "survey"),
        "reps",
        "quality",
    }
    # Survey highlights and the MQL definition's guarantee reach the digest (routing's
    # fairness line only in assign mode).
    assert len(registry.digest_sections) == 2
    assert len(registry.stats_sections) == 1
    paths = {getattr(route, "path", None) for route in handoff.http.routes}
    assert {"/slack/events", "/api/leads", "/healthz"} <= paths
    assert any(p and p.endswith("/outcome") for p in paths)


def test_every_outbox_kind_has_a_delivery(tmp_path: Path) -> None:
    """With every capability on (a CRM connected), each kind of queued work can be delivered."""
    settings = make_settings(f"sqlite:///{tmp_path}/x.db", crm={"provider": "hubspot"})
    settings = settings.model_copy(update={"hubspot_access_token": SecretStr("pat-na1-wiring")})
    registry = create_app(settings).services.registry
    assert set(registry.deliveries) == set(OutboxKind)


def test_a_kind_this_process_cannot_deliver_stays_pending_and_shows_in_health(
    bot: BotServer, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A newer replica may queue a kind an older one does not know: nothing is dropped."""

    async def queue(session: Any) -> None:
        row = OutboxMessage(
            kind="from_a_newer_release",
            payload={"anything": 1},
            created_at=datetime.now(UTC),
            not_before=datetime.now(UTC),
        )
        session.add(row)

    store._run(database_url, queue)
    with caplog.at_level(logging.ERROR, logger="bot.runtime.outbox_worker"):
        bot.drain()
    [row] = store.outbox(database_url)
    assert row.state == OutboxState.PENDING and row.attempts == 0
    assert "no delivery for kind 'from_a_newer_release'" in (row.last_error or "")
    assert "cannot deliver" in caplog.text
    health = httpx.get(f"{bot.url}/healthz", timeout=10)
    assert health.status_code == 200
    assert health.json()["status"] == "degraded"
    assert any("from_a_newer_release" in why for why in health.json()["why"])
