"""POST /api/crm/hubspot/webhook and POST /api/crm/salesforce/outbound: the CRM pushes.

Both only check the request and store what must be fetched (bot/crm/push.py reads the
records off the request path), so they answer in milliseconds and a vendor's retry
of the same event stores nothing new. Never a 5xx for bad input: a bad signature or
another org is 401 with nothing stored, a malformed body 400, a body too large 413;
only a database that does not answer is 503, which makes the vendor retry later.
The webhook answers JSON like the rest of the API; the Outbound Message endpoint
answers SOAP (an Ack, or a Fault), as Salesforce expects.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from sqlalchemy.exc import OperationalError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.crm.hubspot.webhooks import (
    WebhookBodyError,
    parse_webhook_events,
    verify_webhook_signature,
)
from bot.crm.salesforce.outbound import (
    MAX_BODY_BYTES as OUTBOUND_MAX_BYTES,
)
from bot.crm.salesforce.outbound import (
    OutboundMessageError,
    outbound_ack,
    outbound_fault,
    parse_outbound_message,
    same_organization,
)
from bot.crm.service import Crm
from bot.runtime.services import Services
from handlers.http.prelude import error_response, read_limited
from storage.crm import queue_fetches

logger = logging.getLogger(__name__)

HUBSPOT_ROUTE = "/api/crm/hubspot/webhook"
SALESFORCE_ROUTE = "/api/crm/salesforce/outbound"
WEBHOOK_MAX_BYTES = 1024 * 1024  # HubSpot sends at most 100 small events at once
# The contact events worth a look; deals, companies and the rest are acknowledged only.
CONTACT_EVENTS = frozenset(
    {
        "contact.creation",
        "contact.propertyChange",
        "contact.merge",
        "contact.restore",
        "contact.deletion",
        "contact.privacyDeletion",
    }
)
DB_DOWN = "The lead store is not answering; retry later."


def routes(services: Services) -> list[BaseRoute]:
    """The push endpoint of the configured CRM (none without one)."""
    crm = services.crm
    if crm is None:
        return []
    if crm.provider == "hubspot" and services.settings.hubspot_client_secret is not None:
        return [Route(HUBSPOT_ROUTE, hubspot_webhook(services, crm), methods=["POST"])]
    if crm.provider == "salesforce":
        return [Route(SALESFORCE_ROUTE, salesforce_outbound(services, crm), methods=["POST"])]
    return []


async def _queue(services: Services, crm: Crm, pushed: list[tuple[str, str]]) -> int:
    async with services.db.session() as session:
        queued = await queue_fetches(session, crm.provider, pushed, now=services.clock.now())
    services.outbox.wake()
    return queued


def hubspot_webhook(services: Services, crm: Crm) -> Callable[[Request], Awaitable[Response]]:
    secret = services.settings.hubspot_client_secret
    assert secret is not None
    public_url = crm.config.hubspot.webhook_url
    # An app's secret signs the events of every portal it is installed in; with the
    # portal configured, events from any other are acknowledged and ignored.
    portal_id = crm.config.hubspot.portal_id

    async def webhook(request: Request) -> Response:
        body = await read_limited(request, WEBHOOK_MAX_BYTES)
        if body is None:
            return error_response(413, "payload_too_large", "A webhook batch is at most 1 MiB.")
        uri = public_url or str(request.url)
        problem = verify_webhook_signature(
            secret.get_secret_value(),
            request.method,
            uri,
            body,
            request.headers.get("x-hubspot-request-timestamp"),
            request.headers.get("x-hubspot-signature-v3"),
            datetime.fromtimestamp(time.time(), UTC),  # HubSpot's clock, not the bot's
        )
        if problem:
            logger.warning("HubSpot webhook refused: %s", problem)
            return error_response(401, "invalid_signature", problem)
        try:
            events = parse_webhook_events(body)
        except WebhookBodyError as exc:
            return error_response(400, "invalid_body", str(exc))
        # eventId alone is not promised unique; with the object and the moment it is.
        pushed = [
            (
                f"{event.event_id}:{event.object_id}:{event.occurred_at}",
                str(event.primary_object_id or event.object_id),
            )
            for event in events
            if event.subscription_type in CONTACT_EVENTS
            and (portal_id is None or event.portal_id == portal_id)
        ]
        try:
            queued = await _queue(services, crm, pushed) if pushed else 0
        except OperationalError:
            logger.exception("database unavailable during a HubSpot webhook")
            return error_response(503, "database_unavailable", DB_DOWN)
        return JSONResponse({"received": len(events), "queued": queued})

    return webhook


def _soap(text: str, status: int = 200) -> Response:
    return Response(text, status_code=status, media_type="text/xml; charset=utf-8")


def salesforce_outbound(services: Services, crm: Crm) -> Callable[[Request], Awaitable[Response]]:
    organization_id = crm.config.salesforce.organization_id

    async def outbound(request: Request) -> Response:
        body = await read_limited(request, OUTBOUND_MAX_BYTES)
        if body is None:
            return _soap(outbound_fault("the message is too large"), 413)
        if organization_id is None:
            message = "crm.salesforce.organization_id is not set; Handoff accepts no org's messages"
            return _soap(outbound_fault(message), 401)
        try:
            message_in = parse_outbound_message(body)
        except OutboundMessageError as exc:
            return _soap(outbound_fault(str(exc)), 400)
        if not same_organization(message_in.organization_id, organization_id):
            logger.warning("Outbound Message from org %s refused", message_in.organization_id)
            text = f"messages from organization {message_in.organization_id} are not accepted"
            return _soap(outbound_fault(text), 401)
        pushed = [
            (n.id, n.record_id)
            for n in message_in.notifications
            if n.sobject_type == "Lead" and n.record_id
        ]
        try:
            if pushed:
                await _queue(services, crm, pushed)
        except OperationalError:
            logger.exception("database unavailable during a Salesforce Outbound Message")
            return _soap(outbound_fault(DB_DOWN, sender_at_fault=False), 503)
        return _soap(outbound_ack())

    return outbound
