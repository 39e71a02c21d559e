"""`handoff demo --crm hubspot|salesforce`: the loop with a (fake) CRM beside the workspace.

The fake portal or org is mounted on the demo's own port (`/fake-hubspot`,
`/fake-salesforce`), and the bot reaches it over HTTP exactly as `handoff run` reaches
the real one (HUBSPOT_API_URL, SALESFORCE_INSTANCE_URL). The page's CRM panel
(static/crm.js) shows the fake CRM's records; **New MQL** makes one there and pushes
it the way the CRM would (a signed webhook, an Outbound Message), and every claim,
accept or reject on a card shows up in the panel as the record's owner and status.

    GET  /demo/crm/api/records     the panel: provider and the newest records
    POST /demo/crm/api/mql         a new MQL in the fake CRM, pushed to the bot
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass
from typing import Any

from pydantic import SecretStr
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from bot.sandbox.fake_crm import (
    FakeHubSpot,
    FakeSalesforce,
    HubSpotWebhookSender,
    OutboundMessageSender,
    create_fake_hubspot_app,
    create_fake_salesforce_app,
)
from bot.sandbox.fake_slack import FakeWorkspace, seed
from bot.settings import Settings
from bot.settings.crm import CrmConfig
from bot.timekeeping.clock import Clock

from .samples import load_samples

PROVIDERS = ("hubspot", "salesforce")
PANEL_RECORDS = 8
# Not secrets: the demo's bot and fake CRM share them on 127.0.0.1 only.
DEMO_HUBSPOT_TOKEN = "pat-demo-not-a-real-token"
DEMO_HUBSPOT_SECRET = "demo-hubspot-app-secret-not-a-secret"
DEMO_SF_CLIENT_ID = "3MVG9demo.not.a.real.client"
DEMO_SF_CLIENT_SECRET = "demo-salesforce-secret-not-a-secret"
# The reps of the seeded workspace, as CRM owners (matched by their Slack addresses).
REPS = ((seed.REP1, "ana", "Ana", "Rep"), (seed.REP2, "ben", "Ben", "Rep"))


@dataclass
class DemoCrm:
    provider: str
    url: str  # the fake CRM's base URL on the demo's port
    bot_url: str
    hubspot: FakeHubSpot | None = None
    salesforce: FakeSalesforce | None = None

    def __post_init__(self) -> None:
        self._samples = itertools.cycle(load_samples())
        self._round = itertools.count()

    def settings(self, settings: Settings) -> Settings:
        """The demo's settings with this CRM connected (and polled every ten seconds)."""
        crm: dict[str, Any] = {"provider": self.provider, "poll_every": "10s"}
        if self.salesforce is not None:
            crm["salesforce"] = {"organization_id": self.salesforce.org_id}
        team = settings.team.model_copy(update={"crm": CrmConfig.model_validate(crm)})
        if self.hubspot is not None:
            env: dict[str, Any] = {
                "hubspot_access_token": SecretStr(DEMO_HUBSPOT_TOKEN),
                "hubspot_client_secret": SecretStr(DEMO_HUBSPOT_SECRET),
                "hubspot_api_url": self.url,
            }
        else:
            env = {
                "salesforce_instance_url": self.url,
                "salesforce_client_id": DEMO_SF_CLIENT_ID,
                "salesforce_client_secret": SecretStr(DEMO_SF_CLIENT_SECRET),
            }
        return settings.model_copy(update={"team": team, **env})

    # ------------------------------------------------------------------ the panel

    def records(self) -> list[dict[str, Any]]:
        if self.hubspot is not None:
            return _hubspot_records(self.hubspot)
        assert self.salesforce is not None
        return _salesforce_records(self.salesforce)

    async def new_mql(self) -> dict[str, Any]:
        """Make the next sample an MQL in the CRM and push it to the bot, as the CRM would."""
        sample, n = next(self._samples), next(self._round)
        local, _, domain = sample["email"].partition("@")
        email = f"{local}+crm{n}@{domain}"
        if self.hubspot is not None:
            portal = self.hubspot
            contact = portal.create_contact(
                {
                    "email": email,
                    "firstname": sample.get("first_name"),
                    "lastname": sample.get("last_name"),
                    "company": sample.get("company"),
                    "jobtitle": sample.get("title"),
                    "industry": sample.get("industry"),
                    "country": sample.get("country"),
                }
            )
            portal.make_mql(contact["id"])
            sender = HubSpotWebhookSender(portal, f"{self.bot_url}/api/crm/hubspot/webhook")
            response = await sender.asend()
            return {"id": contact["id"], "email": email, "pushed": response.status_code}
        org = self.salesforce
        assert org is not None
        lead_id = org.create_lead(
            {
                "Email": email,
                "FirstName": sample.get("first_name"),
                "LastName": sample.get("last_name") or "Lead",
                "Company": sample.get("company") or "(none)",
                "Title": sample.get("title"),
                "LeadSource": sample.get("source"),
            }
        )
        org.make_mql(lead_id)
        outbound = OutboundMessageSender(org, f"{self.bot_url}/api/crm/salesforce/outbound")
        response = await outbound.asend([lead_id])
        return {"id": lead_id, "email": email, "pushed": response.status_code}


def _hubspot_records(portal: FakeHubSpot) -> list[dict[str, Any]]:
    with portal.lock:
        contacts = sorted(portal.objects["contacts"].values(), key=lambda c: -int(c["id"]))
        owners = {
            o["id"]: f"{o['firstName']} {o['lastName']}".strip() for o in portal.owners.values()
        }
        return [
            {
                "id": c["id"],
                "name": " ".join(
                    p
                    for p in (c["properties"].get("firstname"), c["properties"].get("lastname"))
                    if p
                ),
                "email": c["properties"].get("email"),
                "owner": owners.get(c["properties"].get("hubspot_owner_id") or ""),
                "status": c["properties"].get("hs_lead_status") or "—",
                "stage": c["properties"].get("lifecyclestage") or "—",
                "notes": sum(1 for contact in portal.note_contacts.values() if contact == c["id"]),
            }
            for c in contacts[:PANEL_RECORDS]
        ]


def _salesforce_records(org: FakeSalesforce) -> list[dict[str, Any]]:
    with org.lock:
        leads = sorted(org.records["Lead"].values(), key=lambda r: r["Id"], reverse=True)
        users = {u["Id"]: u.get("Name") for u in org.records["User"].values()}
        tasks = [t["WhoId"] for t in org.records["Task"].values()]
        return [
            {
                "id": lead["Id"],
                "name": lead.get("Name"),
                "email": lead.get("Email"),
                "owner": users.get(lead.get("OwnerId") or ""),
                "status": lead.get("Status") or "—",
                "stage": "converted" if lead.get("IsConverted") else "lead",
                "notes": tasks.count(lead["Id"]),
            }
            for lead in leads[:PANEL_RECORDS]
        ]


def build_demo_crm(
    provider: str, *, base_url: str, clock: Clock, workspace: FakeWorkspace
) -> tuple[DemoCrm, list[BaseRoute]]:
    """The fake CRM for `provider`, its mount, and the panel's routes."""
    if provider not in PROVIDERS:
        raise ValueError(f"--crm must be one of {', '.join(PROVIDERS)}")
    prefix = f"/fake-{provider}"
    url = base_url + prefix
    emails = [(u, f"{name}@{workspace.team_domain}.example", f, last) for u, name, f, last in REPS]
    if provider == "hubspot":
        portal = FakeHubSpot(
            token=DEMO_HUBSPOT_TOKEN, client_secret=DEMO_HUBSPOT_SECRET, clock=clock
        )
        for _, email, first, last in emails:
            portal.add_owner(email, first, last)
        demo_crm = DemoCrm(provider, url, base_url, hubspot=portal)
        app = create_fake_hubspot_app(portal)
    else:
        org = FakeSalesforce(
            client_id=DEMO_SF_CLIENT_ID, client_secret=DEMO_SF_CLIENT_SECRET, clock=clock
        )
        org.instance_url = url
        for _, email, first, last in emails:
            org.add_user(email, first, last)
        demo_crm = DemoCrm(provider, url, base_url, salesforce=org)
        app = create_fake_salesforce_app(org)

    async def records(request: Request) -> Response:
        return JSONResponse(
            {"provider": provider, "records": await asyncio.to_thread(demo_crm.records)}
        )

    async def mql(request: Request) -> Response:
        return JSONResponse(await demo_crm.new_mql())

    routes: list[BaseRoute] = [
        Mount(prefix, app=app),
        Route("/demo/crm/api/records", records, methods=["GET"]),
        Route("/demo/crm/api/mql", mql, methods=["POST"]),
    ]
    return demo_crm, routes
