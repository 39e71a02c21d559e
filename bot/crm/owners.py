"""From a Slack user to a CRM owner: `crm.owners` first, else the user's e-mail in the CRM.

The answer is cached in `crm_reps`. A rep with no owner is written to the log
once and listed in /healthz and `handoff crm check`; their leads still get their
status written, just not their owner, and nothing is retried per lead for it.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.crm.service import Crm
from bot.slack.errors import slack_error
from storage.crm import rep_of, save_rep

logger = logging.getLogger(__name__)

# Someone may add the missing owner (or a rep may change address): look again after this.
MATCHED_FOR = timedelta(hours=24)
UNMATCHED_FOR = timedelta(minutes=15)
# Slack errors that mean "this user has no address we can use", not "try again".
NO_EMAIL_ERRORS = {"user_not_found", "user_not_visible", "account_inactive"}


async def slack_email(client: AsyncWebClient, user_id: str) -> tuple[str | None, str | None]:
    """The user's e-mail address from users.info (needs users:read.email), or why not."""
    try:
        response = await client.users_info(user=user_id)
    except SlackApiError as exc:
        if slack_error(exc) in NO_EMAIL_ERRORS:
            return None, f"Slack has no user {user_id} ({slack_error(exc)})"
        raise  # a 429 or an outage: the outbox retries the write
    profile = (response.get("user") or {}).get("profile") or {}
    email = profile.get("email")
    if not email:
        return None, "Slack shows no e-mail address (the app needs the users:read.email scope)"
    return str(email).lower(), None


async def crm_owner(crm: Crm, client: AsyncWebClient, user_id: str) -> str | None:
    """The CRM owner (or user) id of a Slack user, or None if there is none to be found."""
    manual = crm.config.owners.get(user_id)
    if manual:
        return manual
    now = crm.clock.now()
    async with crm.db.session() as session:
        cached = await rep_of(session, crm.provider, user_id)
    if cached is not None:
        fresh_for = MATCHED_FOR if cached.owner_id else UNMATCHED_FOR
        if now - cached.checked_at < fresh_for:
            return cached.owner_id
    email, problem = await slack_email(client, user_id)
    owner = await crm.connector.owner_for_email(email) if email else None
    if email and owner is None:
        problem = f"no {crm.provider} owner has the address {email}"
    async with crm.db.session() as session:
        newly_unmatched = await save_rep(
            session, crm.provider, user_id, email=email, owner_id=owner, problem=problem, now=now
        )
    if newly_unmatched:
        logger.warning(
            "rep %s has no %s owner: %s; their leads keep the CRM's owner (see /healthz, "
            "`handoff crm check`; map them in crm.owners)",
            user_id,
            crm.provider,
            problem,
        )
    return owner
