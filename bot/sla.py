"""When a lead's response is due."""

from datetime import datetime

from bot.settings import SlaConfig


def sla_deadline(posted_at: datetime, sla: SlaConfig) -> datetime:
    """The response deadline of a lead whose card was posted at `posted_at`."""
    return posted_at + sla.respond_within
