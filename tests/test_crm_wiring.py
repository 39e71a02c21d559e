"""The CRM capability in the app factory: present with a CRM, absent (but for a safety net)
without one."""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr

from bot.app import create_app
from tests.conftest import make_settings


def paths(handoff: object) -> set[str]:
    return {getattr(route, "path", "") for route in handoff.http.routes}  # type: ignore[attr-defined]


def test_with_hubspot_the_jobs_route_checks_and_health_are_wired(tmp_path: Path) -> None:
    settings = make_settings(f"sqlite:///{tmp_path}/x.db", crm={"provider": "hubspot"})
    settings = settings.model_copy(
        update={
            "hubspot_access_token": SecretStr("pat-na1-wiring-test"),
            "hubspot_client_secret": SecretStr("wiring-test-client-secret"),
        }
    )
    handoff = create_app(settings)
    registry = handoff.services.registry
    assert {"crm_poll", "crm_activity"} <= set(registry.jobs.names)
    assert {"crm_fetch", "crm_write", "crm_note"} <= set(registry.deliveries)
    assert len(registry.health_checks) == 1 and handoff.services.crm is not None
    assert "/api/crm/hubspot/webhook" in paths(handoff)
    assert "/api/crm/salesforce/outbound" not in paths(handoff)


def test_without_a_crm_nothing_of_it_runs(tmp_path: Path) -> None:
    handoff = create_app(make_settings(f"sqlite:///{tmp_path}/x.db"))
    registry = handoff.services.registry
    assert handoff.services.crm is None
    assert not {"crm_poll", "crm_activity"} & set(registry.jobs.names)
    assert registry.health_checks == [] and registry.closers == []
    assert not any(path.startswith("/api/crm/") for path in paths(handoff))
    # Rows a CRM switched off left behind are dropped with the reason, not left waiting.
    assert {"crm_fetch", "crm_write", "crm_note"} <= set(registry.deliveries)
