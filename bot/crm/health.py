"""The `crm` part of /healthz: the poll, the writes waiting, and reps without an owner."""

from __future__ import annotations

from typing import Any

from bot.crm.service import Crm
from storage.crm import cursor_of, pending_crm_work, unmatched_reps


async def crm_health(crm: Crm) -> dict[str, Any]:
    async with crm.db.session() as session:
        cursor = await cursor_of(session, crm.provider)
        pending, last_error = await pending_crm_work(session)
        reps = await unmatched_reps(session, crm.provider)
    mapped = crm.config.owners
    return {
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
