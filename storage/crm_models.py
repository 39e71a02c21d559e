"""What the CRM connector stores: poll cursors, lead ↔ record links, reps matched to owners.

And the index behind time to first touch (bot/feedback/metrics.py), defined beside
the expression it indexes so the two cannot drift apart.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index, UniqueConstraint, and_, text
from sqlmodel import Field, SQLModel

from storage.aggregates import seconds_between
from storage.models import Lead
from storage.types import UTCDateTime


def _utc(**kwargs: Any) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), **kwargs))


class CrmCursor(SQLModel, table=True):
    """How far the poller has read one stream of one CRM (e.g. hubspot / mql).

    `position` is a CRM timestamp (the MQL date, SystemModstamp) up to which every
    record is stored; it moves in the transaction that stores the leads. The lease
    lets one replica poll at a time, so replicas do not spend the CRM's rate limit
    twice (the dedup on external_id would keep the cards single anyway).
    """

    __tablename__ = "crm_cursors"

    provider: str = Field(primary_key=True, max_length=20)
    stream: str = Field(primary_key=True, max_length=20)
    position: datetime | None = _utc()
    lease_until: datetime | None = _utc()
    polled_at: datetime | None = _utc()
    last_error: str | None = Field(default=None, max_length=500)
    updated_at: datetime = _utc(nullable=False)


class CrmLink(SQLModel, table=True):
    """A lead that came from a CRM record: whose CRM writes, outcomes and touches to follow.

    `next_check_at` is when the activity sweep next reads the record's deals and
    activity (NULL once there is nothing left to learn), under a partial index like
    the SLA clock's.
    """

    __tablename__ = "crm_links"
    __table_args__ = (
        UniqueConstraint("provider", "record_id", name="uq_crm_links_record"),
        Index(
            "ix_crm_links_next_check",
            "next_check_at",
            sqlite_where=text("next_check_at IS NOT NULL"),
            postgresql_where=text("next_check_at IS NOT NULL"),
        ),
    )

    lead_id: int = Field(primary_key=True, foreign_key="leads.id")
    provider: str = Field(max_length=20)
    record_id: str = Field(max_length=40)
    created_at: datetime = _utc(nullable=False)
    next_check_at: datetime | None = _utc()
    checked_at: datetime | None = _utc()


class CrmRep(SQLModel, table=True):
    """A Slack user matched (or not) to a CRM owner; the unmatched ones are in /healthz.

    Cached so a claim costs no users.info and owner lookup each time; an unmatched rep
    is looked up again after a while (someone may have added the owner), and said
    once in the log, not once per lead.
    """

    __tablename__ = "crm_reps"

    provider: str = Field(primary_key=True, max_length=20)
    slack_user_id: str = Field(primary_key=True, max_length=40)
    email: str | None = Field(default=None, max_length=320)
    owner_id: str | None = Field(default=None, max_length=40)
    problem: str | None = Field(default=None, max_length=300)
    checked_at: datetime = _utc(nullable=False)


# --- time to first touch ----------------------------------------------------------------

_leads = Lead.__table__  # type: ignore[attr-defined]

FIRST_TOUCH_SECONDS = seconds_between(_leads.c.posted_at, _leads.c.first_touch_at)
HAS_FIRST_TOUCH = and_(_leads.c.posted_at.is_not(None), _leads.c.first_touch_at.is_not(None))
FIRST_TOUCH_INDEX = Index(
    "ix_leads_first_touch_time",
    FIRST_TOUCH_SECONDS,
    _leads.c.created_at,
    _leads.c.source,
    sqlite_where=HAS_FIRST_TOUCH,
    postgresql_where=HAS_FIRST_TOUCH,
    postgresql_include=["posted_at", "first_touch_at"],
)
# How many of a period's leads were touched (migration 0012), without reading their rows.
FIRST_TOUCH_COHORT_INDEX = Index(
    "ix_leads_first_touch_cohort",
    _leads.c.created_at,
    _leads.c.source,
    _leads.c.posted_at,
    _leads.c.first_touch_at,
    sqlite_where=HAS_FIRST_TOUCH,
    postgresql_where=HAS_FIRST_TOUCH,
)
