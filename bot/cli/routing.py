"""`handoff route --explain LEAD`: why a lead went to whom (the routing decisions recorded)."""

from __future__ import annotations

import asyncio

import click

from bot.cli.base import fail, load, out
from bot.cli.errors import store_errors
from bot.settings import Settings


@click.command("route")
@click.option("--explain", "lead_ref", required=True, metavar="LEAD", help="A lead's id or email.")
@click.pass_context
def route(ctx: click.Context, lead_ref: str) -> None:
    """Explain a lead's routing: each decision's rule, pool, tier, candidates and skips."""
    settings = load(ctx.obj["config"])
    with store_errors(settings.database_url):
        lines = asyncio.run(_explain(settings, lead_ref))
    if lines is None:
        fail([f"LEAD: no lead has the id or email {lead_ref!r}"], "Cannot explain:")
    for line in lines:
        out.print(line, markup=False, highlight=False, soft_wrap=True)


async def _explain(settings: Settings, lead_ref: str) -> list[str] | None:
    from sqlmodel import col, func, select

    from messages.routing import KIND_WORDS, SKIP_WORDS
    from storage.database import Database
    from storage.models import Lead
    from storage.outcomes import as_lead_id
    from storage.routing import lead_assignments

    team = settings.team
    ref = lead_ref.strip()
    lead_id = as_lead_id(ref)
    where = func.lower(col(Lead.email)) == ref.lower()
    if lead_id is not None:
        where = where | (col(Lead.id) == lead_id)
    db = Database(settings.database_url)
    try:
        async with db.session() as session:
            found = await session.exec(select(Lead).where(where).order_by(col(Lead.id).desc()))
            lead = found.first()
            if lead is None:
                return None
            records = await lead_assignments(session, lead.id or 0)
    finally:
        await db.dispose()
    lines = [f"Lead {lead.id} ({lead.display_name}): {lead.state}, owner {lead.owner_id or '-'}"]
    if not records:
        why = "its card is not posted yet"
        if team.routing.mode == "claim":
            why = "routing.mode is claim"
        lines.append(f"No routing decision recorded ({why}).")
        return lines
    for record in records:
        local = record.at.astimezone(team.zone)
        who = record.assignee_id or "nobody (Claim)"
        words = KIND_WORDS.get(record.kind, record.kind)
        lines.append(f"{local:%Y-%m-%d %H:%M %Z} {record.kind}: {who} — {words}")
        if record.rule_index is not None:
            rules = team.routing.rules
            rule = rules[record.rule_index] if record.rule_index < len(rules) else None
            shown = rule.model_dump(exclude_defaults=True) if rule else "(no longer in app.yaml)"
            lines.append(f"  rule {record.rule_index + 1}: {shown}")
        if record.pool_id or record.tier:
            lines.append(f"  pool {record.pool_id or '-'}, tier {record.tier or '-'}")
        if record.previous_id:
            by = f" by {record.actor_id}" if record.actor_id else ""
            lines.append(f"  from {record.previous_id}{by}")
        if record.candidates:
            lines.append(f"  candidates: {', '.join(record.candidates)}")
        for user, reason in record.skipped.items():
            lines.append(f"  skipped {user}: {SKIP_WORDS.get(str(reason), str(reason))}")
        if record.note:
            lines.append(f"  note: {record.note}")
    return lines
