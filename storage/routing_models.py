"""What routing stores: each pool's rotation, each member's count, every decision, who is away."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from storage.models import _utc


class RoutingPool(SQLModel, table=True):
    """A pool's rotation: `version` moves by one per decision, so two deciders cannot both win."""

    __tablename__ = "routing_pools"

    pool_id: str = Field(primary_key=True, max_length=40)
    version: int = 0
    last_user_id: str | None = Field(default=None, max_length=40)


class RoutingMember(SQLModel, table=True):
    """A member's fairness count in a pool, and whether they took part in its last decision."""

    __tablename__ = "routing_members"

    pool_id: str = Field(primary_key=True, max_length=40)
    user_id: str = Field(primary_key=True, max_length=40)
    count: int = 0
    present: bool = False


class Assignment(SQLModel, table=True):
    """One routing decision and why: the rule, the pool, the candidates and each skip's reason."""

    __tablename__ = "routing_assignments"
    __table_args__ = (
        Index("ix_routing_assignments_lead", "lead_id", "id"),
        # Caps and /leadfeedback reps count a rep's assignments in a period.
        Index("ix_routing_assignments_assignee_at", "assignee_id", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    lead_id: int = Field(foreign_key="leads.id", nullable=False)
    at: datetime = _utc(nullable=False)
    # AssignmentKind: assigned, sticky, fallback, unrouted, handed_over, reassigned.
    kind: str = Field(max_length=20)
    assignee_id: str | None = Field(default=None, max_length=40)
    previous_id: str | None = Field(default=None, max_length=40)
    actor_id: str | None = Field(default=None, max_length=40)
    rule_index: int | None = None
    pool_id: str | None = Field(default=None, max_length=40)
    tier: str | None = Field(default=None, max_length=40)
    candidates: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # user id -> SkipReason
    skipped: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    note: str | None = Field(default=None, max_length=3000)


class RepAway(SQLModel, table=True):
    """A rep who said `/handoff away`; `until` NULL means until `/handoff back`."""

    __tablename__ = "rep_away"

    user_id: str = Field(primary_key=True, max_length=40)
    since: datetime = _utc(nullable=False)
    until: datetime | None = _utc()
