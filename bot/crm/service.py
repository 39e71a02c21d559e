"""One app's CRM: the connector for `crm.provider`, and what its jobs and deliveries share.

Built once per app by `bot/crm/wiring.py` (and by the `handoff crm` commands); None
when `crm.provider` is `none`, so nothing about the CRM exists in such an app.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.crm.connector import Connector
from bot.crm.hubspot.client import HubSpotClient
from bot.crm.hubspot.connector import HubSpotConnector
from bot.crm.salesforce.client import SalesforceClient
from bot.crm.salesforce.connector import SalesforceConnector
from bot.settings import Settings
from bot.settings.crm import CrmConfig
from bot.timekeeping.clock import Clock
from storage.database import Database

logger = logging.getLogger(__name__)

CRM_TIMEOUT_SECONDS = 10.0


@dataclass
class CrmStatus:
    """What the last poll saw, for /healthz (the cursor row has the rest)."""

    invalid_records: int = 0
    last_invalid: str | None = None
    last_poll_error: str | None = None
    last_poll_at: datetime | None = None


@dataclass
class Crm:
    settings: Settings
    connector: Connector
    db: Database
    clock: Clock
    # Deliver the outbox now (the app's worker); a CLI run has none.
    wake: Callable[[], None] = lambda: None
    status: CrmStatus = field(default_factory=CrmStatus)

    @property
    def provider(self) -> str:
        return self.connector.provider

    @property
    def config(self) -> CrmConfig:
        return self.settings.team.crm

    @property
    def poll_every(self) -> timedelta:
        return self.config.poll_every

    @property
    def notes_enabled(self) -> bool:
        if self.provider == "hubspot":
            return self.config.hubspot.write_back.note
        return self.config.salesforce.write_back.task

    def write_values(self, step: str) -> dict[str, str]:
        """The configured values for `claim`, `accept` or `reject`."""
        section = self.config.hubspot if self.provider == "hubspot" else self.config.salesforce
        return dict(getattr(section.write_back, step))


def build_connector(settings: Settings) -> Connector | None:
    """The connector for `crm.provider` (its credentials were checked when settings loaded)."""
    config = settings.team.crm
    if config.provider == "hubspot":
        assert settings.hubspot_access_token is not None
        client = HubSpotClient(
            settings.hubspot_api_url,
            settings.hubspot_access_token.get_secret_value(),
            timeout=CRM_TIMEOUT_SECONDS,
        )
        return HubSpotConnector(client, config.hubspot, default_currency=config.default_currency)
    if config.provider == "salesforce":
        assert settings.salesforce_instance_url and settings.salesforce_client_id
        assert settings.salesforce_client_secret is not None
        sf = SalesforceClient(
            settings.salesforce_instance_url,
            settings.salesforce_client_id,
            settings.salesforce_client_secret.get_secret_value(),
            api_version=config.salesforce.api_version,
            timeout=CRM_TIMEOUT_SECONDS,
        )
        return SalesforceConnector(
            sf,
            config.salesforce,
            instance_url=settings.salesforce_instance_url,
            default_currency=config.default_currency,
        )
    return None


def build_crm(
    settings: Settings, db: Database, clock: Clock, *, wake: Callable[[], None] | None = None
) -> Crm | None:
    connector = build_connector(settings)
    if connector is None:
        return None
    return Crm(settings, connector, db, clock, wake or (lambda: None))
