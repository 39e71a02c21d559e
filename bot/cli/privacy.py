"""`handoff forget EMAIL|ID`: erase a lead's personal data (the same rule as the API)."""

from __future__ import annotations

import asyncio

import click

from bot.cli.base import fail, load, out
from bot.cli.errors import store_errors
from bot.settings import Settings
from bot.timekeeping.clock import SystemClock


@click.command()
@click.argument("who")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--why", default="asked by a person (handoff forget)", help="Recorded with it.")
@click.pass_context
def forget(ctx: click.Context, who: str, yes: bool, why: str) -> None:
    """Erase the personal data of the lead(s) with this email, or of the lead with this id.

    Counts stay in every number; the cards and messages in Slack are rewritten by the
    running bot. Irreversible.
    """
    settings = load(ctx.find_root().obj["config"])
    with store_errors(settings.database_url):
        found = asyncio.run(_find(settings, who))
    if not found:
        fail([f"{who}: no lead has this email or id"], "Nothing to erase:")
    noun = "lead" if len(found) == 1 else "leads"
    if not yes and not click.confirm(
        f"Erase the personal data of {len(found)} {noun} ({', '.join(map(str, found))})?"
    ):
        raise SystemExit(1)
    with store_errors(settings.database_url):
        erased = asyncio.run(_erase(settings, found, why))
    out.print(
        f"Erased {erased} {noun if erased == len(found) else 'leads'}; "
        f"{len(found) - erased} had been erased already. The running bot rewrites their "
        "Slack messages.",
        highlight=False,
    )


async def _find(settings: Settings, who: str) -> list[int]:
    from storage.database import Database
    from storage.erasure import leads_by_email
    from storage.outcomes import as_lead_id

    db = Database(settings.database_url)
    try:
        async with db.session() as session:
            if "@" in who:
                return await leads_by_email(session, who)
            lead_id = as_lead_id(who)
            return [lead_id] if lead_id is not None and await _exists(session, lead_id) else []
    finally:
        await db.dispose()


async def _exists(session: object, lead_id: int) -> bool:
    from storage.models import Lead

    return await session.get(Lead, lead_id) is not None  # type: ignore[attr-defined]


async def _erase(settings: Settings, lead_ids: list[int], why: str) -> int:
    from bot.leads.erasure import forget as erase
    from storage.database import Database

    db = Database(settings.database_url)
    erased = 0
    try:
        for lead_id in lead_ids:
            async with db.session() as session:
                erased += bool(
                    await erase(session, lead_id, now=SystemClock().now(), by="cli", why=why)
                )
    finally:
        await db.dispose()
    return erased
