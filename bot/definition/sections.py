"""The definition's lines in `/leadfeedback stats` and in the weekly digest."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.feedback.metrics.quality import guarantee_counts
from bot.runtime.services import Services
from messages.definition import guarantee_blocks


async def guarantee_section(
    services: Services, start: datetime, end: datetime, source: str | None = None
) -> list[dict[str, Any]]:
    """Credited-back leads, leads returned below the definition, disputes and their outcomes."""
    team = services.settings.team
    if not team.mql_definition.enabled:
        return []
    reasons = [r.id for r in team.rejection_reasons if r.definition_miss]
    async with services.db.session() as session:
        counts = await guarantee_counts(session, start, end, reasons, source)
    return guarantee_blocks(counts)
