"""Sticky accounts: a lead whose company already has an open or recently accepted lead goes
to that lead's owner, so one account talks to one rep."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Lead, LeadState

# Addresses at these domains say nothing about the company.
FREEMAIL = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "hotmail.com",
        "outlook.com",
        "live.com",
        "icloud.com",
        "me.com",
        "aol.com",
        "gmx.de",
        "gmx.net",
        "web.de",
        "proton.me",
        "protonmail.com",
        "yandex.ru",
        "mail.ru",
        "qq.com",
    }
)


def company_domain(email: str | None) -> str | None:
    """The domain of a work address, lower-cased; None for free-mail and malformed addresses."""
    if not email or "@" not in email:
        return None
    domain = email.rsplit("@", 1)[1].strip().lower()
    if not domain or "." not in domain or domain in FREEMAIL:
        return None
    return domain


async def sticky_owner(session: AsyncSession, lead: Lead, *, since: datetime) -> str | None:
    """The owner of the newest other lead of the same company domain: open (claimed or
    assigned) now, or accepted since `since`."""
    domain = company_domain(lead.email)
    if domain is None:
        return None
    rows = await session.exec(
        select(Lead.owner_id)
        .where(
            col(Lead.id) != lead.id,
            func.lower(col(Lead.email)).endswith(f"@{domain}", autoescape=True),
            col(Lead.owner_id).is_not(None),
            col(Lead.erased_at).is_(None),
            or_(
                Lead.state == LeadState.CLAIMED,
                and_(Lead.state == LeadState.ACCEPTED, col(Lead.closed_at) >= since),
            ),
        )
        .order_by(col(Lead.id).desc())
        .limit(1)
    )
    return rows.first()
