"""The retention sweep: leads older than `retention.personal_data` lose their personal data.

Off unless app.yaml sets it. Each run erases what has fallen due, in batches,
one transaction per lead (bot/leads/erasure.py), so a run cut short loses
nothing and a run twice or on two replicas erases each lead once.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.leads.erasure import forget
from bot.runtime.services import Services
from storage.erasure import leads_to_erase

logger = logging.getLogger(__name__)

SWEEP_EVERY = timedelta(hours=1)
BATCH = 200


async def retention_sweep(services: Services) -> None:
    keep_for = services.settings.team.retention.personal_data
    if keep_for is None:
        return
    now = services.clock.now()
    erased = 0
    while True:
        async with services.db.session() as session:
            due = await leads_to_erase(session, arrived_before=now - keep_for, limit=BATCH)
        for lead_id in due:
            async with services.db.session() as session:
                erased += bool(
                    await forget(session, lead_id, now=now, by="retention", why="retention period")
                )
        if len(due) < BATCH:
            break
    if erased:
        logger.info("retention: erased the personal data of %d leads", erased)
        services.outbox.wake()
