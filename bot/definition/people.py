"""Who may act on the definition's buttons: marketers review, named managers decide disputes."""

from __future__ import annotations

from bot.runtime.services import Services
from bot.settings import People


def managers(services: Services) -> People:
    return services.settings.team.dispute_managers


async def is_marketer(services: Services, user_id: str) -> bool:
    team = services.settings.team
    directory = services.directory
    return await directory.includes(team.marketers, user_id) or await directory.includes(
        team.admins, user_id
    )


async def is_manager(services: Services, user_id: str) -> bool:
    return await services.directory.includes(managers(services), user_id)
