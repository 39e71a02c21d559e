"""What the capabilities wire into one app: jobs, subcommands, digest sections, deliveries.

One Registry per app built by `create_app`, filled by each capability's
`register(...)`; nothing is registered by importing a module.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.runtime.deliveries import Delivery
from bot.runtime.jobs import Jobs
from bot.runtime.subcommands import Subcommands
from storage.kinds import OutboxKind

# A capability's part of the weekly digest: given the week [start, end), the
# blocks to add (an empty list when it has nothing to say that week).
DigestSection = Callable[[datetime, datetime], Awaitable[list[dict[str, Any]]]]
# A capability's part of /healthz: a named section and the problems it sees.
HealthCheck = Callable[[], Awaitable["Section"]]


@dataclass
class Section:
    """One part of the health answer, from a capability (see Registry.health_checks)."""

    name: str
    body: dict[str, Any]
    problems: list[str] = field(default_factory=list)


@dataclass
class Registry:
    jobs: Jobs = field(default_factory=Jobs)
    subcommands: Subcommands = field(default_factory=Subcommands)
    digest_sections: list[DigestSection] = field(default_factory=list)
    deliveries: dict[OutboxKind, Delivery] = field(default_factory=dict)
    health_checks: list[HealthCheck] = field(default_factory=list)

    def deliver(self, kind: OutboxKind, delivery: Delivery) -> None:
        """How outbox rows of `kind` reach Slack (or the CRM); one delivery per kind."""
        if kind in self.deliveries:
            raise ValueError(f"outbox kind {kind!r} has a delivery already")
        self.deliveries[kind] = delivery
