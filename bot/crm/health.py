"""The `crm` part of /healthz: the poll, the writes waiting, and reps without an owner."""

from __future__ import annotations

from typing import Any

from bot.crm.service import Crm
from bot.runtime.registry import Section
from storage.crm import cursor_of, pending_crm_work, unmatched_reps


async def crm_health(crm: Crm) -> Section:
    """The CRM's section; a failing poll or a write a person must fix makes Handoff degraded."""
    async with crm.db.session() as session:
        cursor = await cursor_of(session, crm.provider)
        pending, last_error = await pending_crm_work(session)
        reps = await unmatched_reps(session, crm.provider)
    mapped = crm.config.owners
    problems = []
    if cursor and cursor.last_error:
        problems.append(f"the CRM poll fails: {cursor.last_error}")
    if last_error:
        problems.append(f"{pending} CRM writes are waiting: {last_error}")
    body: dict[str, Any] = {
        "provider": crm.provider,
        "poll": {
            "cursor": cursor.position.isoformat() if cursor and cursor.position else None,
            "last_poll_at": cursor.polled_at.isoformat() if cursor and cursor.polled_at else None,
            "error": cursor.last_error if cursor else None,
            "invalid_records": crm.status.invalid_records,
            "last_invalid": crm.status.last_invalid,
        },
        # Fetches, writes and notes the outbox still owes the CRM; a permanent error (a
        # missing property or permission) stays here, retried slowly, until it is fixed.
        "outbox": {"pending": pending, "last_error": last_error},
        # Each rep once, however many leads they claimed (see bot/crm/owners.py).
        "unmatched_reps": [
            {"user": rep.slack_user_id, "email": rep.email, "problem": rep.problem}
            for rep in reps
            if rep.slack_user_id not in mapped
        ],
    }
    return Section("crm", body, problems)
