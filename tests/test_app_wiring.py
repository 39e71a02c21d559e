"""Every feature is wired into the app that `handoff run` and `handoff demo` build."""

from pathlib import Path

from bot.app import create_app
from tests.conftest import make_settings


def test_create_app_registers_every_feature(tmp_path: Path) -> None:
    handoff = create_app(make_settings(f"sqlite:///{tmp_path}/x.db"))
    services = handoff.services
    registry = services.registry
    assert set(registry.jobs.names) == {"sla_sweep", "weekly_digest", "survey"}
    names = {s.name for s in registry.subcommands.all()}
    assert names == {"stats", "reasons", "sources", "lead", "mine", "digest", "export", "survey"}
    assert len(registry.digest_sections) == 1, "survey highlights reach the digest"
    paths = {getattr(route, "path", None) for route in handoff.http.routes}
    assert {"/slack/events", "/api/leads", "/healthz"} <= paths
    assert any(p and p.endswith("/outcome") for p in paths)
