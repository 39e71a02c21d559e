"""The SLA clock: its periodic sweep and its outbox deliveries.

The nudge DM's Accept (SQL) and Reject buttons carry a LeadRef like the card's,
so the card's own listeners (handlers/slack/lead_actions.py) handle them; nothing to
listen for here.
"""

from slack_bolt.async_app import AsyncApp

import bot.sla.deliveries  # noqa: F401  (registers the SLA deliveries with the outbox)
from bot.runtime.services import Services
from bot.sla.sweep import JOB_NAME, sla_sweep


def register(app: AsyncApp, services: Services) -> None:
    services.jobs.add(JOB_NAME, sla_sweep, every=services.settings.team.sla.sweep_every)
