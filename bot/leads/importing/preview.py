"""Leads as plain text lines: what --dry-run shows of the cards an import would queue."""

from __future__ import annotations

from datetime import datetime, tzinfo

from bot.leads.importing.run import ParsedLead

LABELS = {
    "company": "",
    "title": "",
    "industry": "",
    "employees": "employees ",
    "country": "",
    "source": "source ",
    "score": "score ",
    "email": "",
}


def preview_line(parsed: ParsedLead, card_fields: list[str], zone: tzinfo, now: datetime) -> str:
    """'line 2: Priya Raman <priya@…> · Acme GmbH · VP Marketing · source Webinar · arrived …'.

    The card's fields in the team's order (app.yaml's card.fields), as the
    card would show them, and when the lead arrived.
    """
    lead = parsed.lead
    name = " ".join(part for part in (lead.first_name, lead.last_name) if part)
    parts = [f"{name} <{lead.email}>" if name else lead.email]
    for field_name in card_fields:
        value = getattr(lead, field_name, None)
        if value is None or value == "" or field_name == "email":
            continue
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        parts.append(f"{LABELS.get(field_name, '')}{value}")
    arrived = (parsed.arrived_at or now).astimezone(zone)
    parts.append(f"arrived {arrived:%Y-%m-%d %H:%M %Z}")
    return f"line {parsed.line}: " + " · ".join(parts)
