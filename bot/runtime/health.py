"""What /healthz answers: ok, degraded (still serving; a person should look) or unavailable.

`degraded` answers HTTP 200 so that a load balancer keeps the replica (it still
takes leads and clicks); `unavailable` answers 503 because the store does not
answer and nothing can be done. The body always says why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.runtime.registry import HealthCheck, Section
from bot.runtime.services import Services
from storage.database import store_unavailable
from storage.outbox import OutboxHealth, outbox_health

# A post waiting longer than this means delivery is stuck, not just paced or retrying.
OUTBOX_STALLED_AFTER = timedelta(minutes=5)


@dataclass(frozen=True)
class HealthAnswer:
    status: str
    http_status: int
    body: dict[str, Any]


async def health(services: Services) -> HealthAnswer:
    try:
        async with services.db.session() as session:
            outbox = await outbox_health(session)
    except Exception as exc:
        if not store_unavailable(exc):
            raise
        why = f"the store does not answer ({type(exc).__name__})"
        body = {"status": "unavailable", "database": f"error: {type(exc).__name__}", "why": [why]}
        return HealthAnswer("unavailable", 503, body)
    now = services.clock.now()
    problems = outbox_problems(outbox, now, set(services.registry.deliveries))
    if services.slack.auth_ok is False:
        problems.append(f"Slack refuses the bot token ({services.slack.error})")
    if (services.slack.socket or "").startswith("error"):
        problems.append(f"Socket Mode cannot connect: {services.slack.socket} (SLACK_APP_TOKEN)")
    sections = [await _section(check) for check in services.registry.health_checks]
    for section in sections:
        problems.extend(section.problems)
    body: dict[str, Any] = {
        "status": "degraded" if problems else "ok",
        "why": problems,
        "database": "ok",
        "slack": services.slack.as_json(),
        "outbox": outbox_json(outbox, now),
        **{section.name: section.body for section in sections},
    }
    return HealthAnswer(body["status"], 200, body)


async def _section(check: HealthCheck) -> Section:
    """A capability's section; one that cannot say (its own store query failed) says so."""
    try:
        return await check()
    except Exception as exc:
        if not store_unavailable(exc):
            raise
        name = getattr(getattr(check, "func", check), "__name__", "a capability")
        return Section(name, {"error": type(exc).__name__}, [f"{name} cannot say: {exc!r}"])


def outbox_problems(outbox: OutboxHealth, now: datetime, known_kinds: set[str]) -> list[str]:
    problems = []
    if outbox.oldest_created_at and now - outbox.oldest_created_at > OUTBOX_STALLED_AFTER:
        minutes = int((now - outbox.oldest_created_at).total_seconds() // 60)
        problems.append(f"the oldest of {outbox.pending} waiting posts has waited {minutes} min")
    if outbox.failing:
        problems.append(f"{outbox.failing} deliveries keep failing: {outbox.last_error}")
    unknown = [kind for kind in outbox.kinds if kind not in known_kinds]
    if unknown:
        problems.append(
            f"waiting work of kinds this process cannot deliver: {', '.join(unknown)} "
            "(a newer replica queued it, or a capability is not wired)"
        )
    return problems


def outbox_json(outbox: OutboxHealth, now: datetime) -> dict[str, Any]:
    oldest = outbox.oldest_created_at
    age = (now - oldest).total_seconds() if oldest else None
    return {
        "pending": outbox.pending,
        "oldest_pending_seconds": round(age, 1) if age is not None else None,
        "failing": outbox.failing,
        "last_error": outbox.last_error,
    }
