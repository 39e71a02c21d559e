"""Who belongs to a group of people named in app.yaml (user ids and/or a Slack user group)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.settings import People

GROUP_CACHE_SECONDS = 300.0
# Time zone, status, deactivation: routing reads them per decision (bot/routing/).
PERSON_CACHE_SECONDS = 120.0
NAME_LOOKUPS_AT_ONCE = 5


async def display_names(client: AsyncWebClient, user_ids: list[str]) -> dict[str, str]:
    """Each user's Slack display name (else real name, else handle), one users.info per id.

    The caller asks once per export, so that is the cache. A lookup that fails (an
    unknown or deleted user, a 429, Slack down) keeps the id: an export never fails
    for want of a name.
    """
    gate = asyncio.Semaphore(NAME_LOOKUPS_AT_ONCE)

    async def one(user_id: str) -> str:
        async with gate:
            try:
                user = (await client.users_info(user=user_id)).get("user") or {}
            except (SlackApiError, OSError, TimeoutError):
                return user_id
        profile = user.get("profile") or {}
        return profile.get("display_name") or user.get("real_name") or user.get("name") or user_id

    names = await asyncio.gather(*(one(user_id) for user_id in user_ids))
    return dict(zip(user_ids, names, strict=True))


class Directory:
    """Resolves user groups through Slack, cached briefly so a command costs no extra call."""

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client
        self._groups: dict[str, tuple[float, frozenset[str]]] = {}
        self._people: dict[str, tuple[float, dict[str, Any]]] = {}

    async def person(self, user_id: str) -> dict[str, Any] | None:
        """users.info's user object, cached briefly; None when Slack knows no such user.

        Any other failure (a 429, Slack down) answers {} so that routing carries on
        without the details rather than stops.
        """
        cached = self._people.get(user_id)
        if cached and time.monotonic() - cached[0] < PERSON_CACHE_SECONDS:
            return cached[1] or None
        try:
            user = (await self.client.users_info(user=user_id)).get("user") or {}
        except SlackApiError as exc:
            if exc.response.get("error") in ("user_not_found", "user_not_visible"):
                self._people[user_id] = (time.monotonic(), {})
                return None
            return cached[1] if cached else {}
        except (OSError, TimeoutError):
            return cached[1] if cached else {}
        self._people[user_id] = (time.monotonic(), dict(user))
        return dict(user)

    def forget_person(self, user_id: str) -> None:
        self._people.pop(user_id, None)

    async def group_members(self, usergroup_id: str) -> frozenset[str]:
        cached = self._groups.get(usergroup_id)
        if cached and time.monotonic() - cached[0] < GROUP_CACHE_SECONDS:
            return cached[1]
        try:
            response = await self.client.usergroups_users_list(usergroup=usergroup_id)
            members = frozenset(response.get("users") or [])
        except SlackApiError:
            # Fail closed, but keep the last answer we had.
            return cached[1] if cached else frozenset()
        self._groups[usergroup_id] = (time.monotonic(), members)
        return members

    async def members(self, people: People) -> frozenset[str]:
        found = set(people.users)
        if people.usergroup:
            found |= await self.group_members(people.usergroup)
        return frozenset(found)

    async def includes(self, people: People, user_id: str) -> bool:
        if user_id in people.users:
            return True
        return bool(people.usergroup) and user_id in await self.group_members(
            people.usergroup or ""
        )
