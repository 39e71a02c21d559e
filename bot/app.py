"""The app factory: one Bolt app, one HTTP app, the outbox worker, built fresh per call."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Route

from bot.crm import wiring as crm
from bot.definition import wiring as definition
from bot.feedback import wiring as feedback
from bot.leads import wiring as leads
from bot.routing import wiring as routing
from bot.runtime.deliveries import DeliveryContext
from bot.runtime.jobs import Jobs
from bot.runtime.outbox_worker import OutboxWorker
from bot.runtime.pacing import ChannelPacer
from bot.runtime.registry import Registry
from bot.runtime.services import Services
from bot.runtime.telemetry import Telemetry
from bot.settings import Settings
from bot.sla import wiring as sla
from bot.slack.client import CountingClient, OnCall
from bot.slack.directory import Directory
from bot.slack.errors import slack_error
from bot.slack.inflight import ListenersInFlight
from bot.slack.socket import SocketMode
from bot.survey import wiring as survey
from bot.timekeeping.clock import Clock, SystemClock
from handlers.http import crm_push
from handlers.http.erasure import ROUTE as ERASURE_ROUTE
from handlers.http.erasure import make_erasure_endpoint
from handlers.http.errors import JSON_ERRORS
from handlers.http.health import make_health_endpoint
from handlers.http.intake import make_intake_endpoint
from handlers.http.metrics import make_metrics_endpoint
from handlers.http.openapi import OPENAPI_PATH, make_openapi_endpoint
from handlers.http.outcomes import ROUTE as OUTCOME_ROUTE
from handlers.http.outcomes import make_outcome_endpoint
from handlers.http.request_ids import RequestIds
from handlers.http.slack_events import make_slack_endpoint
from handlers.slack import (
    app_events,
    direct_messages,
    errors,
    lead_actions,
    leadfeedback,
    observe,
    reject_modal,
)
from handlers.slack import definition as definition_listeners
from handlers.slack import routing as routing_listeners
from handlers.slack import survey as survey_listeners
from storage.database import Database

logger = logging.getLogger(__name__)

SLACK_TIMEOUT_SECONDS = 10
AUTH_RETRY_SECONDS = 60.0
# An acked click waits at most 3 s for its card's record, then makes a Slack call or two.
ACKED_GRACE_SECONDS = 10.0

Listeners = Callable[[AsyncApp, Services], None]
Routes = Callable[[Services], list[BaseRoute]]


@dataclass(frozen=True)
class Capability:
    """One capability: what it wires into the registry, and the Slack listeners it hears with.

    The listeners live in handlers/ (which only this factory and the CLI import), so
    they are named here beside the capability's own `register`.
    """

    name: str
    register: Callable[[Registry, Services], None]
    listeners: tuple[Listeners, ...] = ()
    # HTTP endpoints of its own (handlers/http/), built after `register`.
    routes: Routes | None = None


CAPABILITIES: tuple[Capability, ...] = (
    Capability("leads", leads.register, (lead_actions.register, reject_modal.register)),
    Capability("sla", sla.register),
    Capability("feedback", feedback.register, (leadfeedback.register, direct_messages.register)),
    Capability("survey", survey.register, (survey_listeners.register,)),
    # After leads (it assigns a lead before its card is posted), before crm (whose
    # check of withdrawn CRM leads then runs first).
    Capability("routing", routing.register, (routing_listeners.register,)),
    Capability("definition", definition.register, (definition_listeners.register,)),
    # Last: it checks CRM leads before the leads capability's card delivery.
    Capability("crm", crm.register, routes=crm_push.routes),
)


@dataclass
class HandoffApp:
    services: Services
    bolt: AsyncApp
    http: Starlette
    background: list[asyncio.Task[Any]] = field(default_factory=list)
    socket: SocketMode | None = None  # Slack over Socket Mode (SLACK_APP_TOKEN set)
    listeners: ListenersInFlight = field(default_factory=ListenersInFlight)


def slack_client(settings: Settings, on_call: OnCall | None = None) -> AsyncWebClient:
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    return CountingClient(
        token=token, base_url=settings.slack_api_url, timeout=SLACK_TIMEOUT_SECONDS, on_call=on_call
    )


def create_app(
    settings: Settings,
    *,
    db: Database | None = None,
    clock: Clock | None = None,
    client: AsyncWebClient | None = None,
    extra_routes: list[BaseRoute] | None = None,
) -> HandoffApp:
    if settings.slack_bot_token is None:
        raise ValueError("create_app needs SLACK_BOT_TOKEN")
    if not settings.socket_mode and settings.slack_signing_secret is None:
        raise ValueError("create_app needs SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN)")
    telemetry = Telemetry()
    services = _services(
        settings,
        db or Database(settings.database_url),
        clock or SystemClock(),
        client or slack_client(settings, telemetry.slack_call),
        telemetry,
    )
    bolt = _bolt(settings, services)
    errors.register(bolt, services)
    observe.register(bolt, services)
    app_events.register(bolt)
    for capability in CAPABILITIES:
        capability.register(services.registry, services)
        for listeners in capability.listeners:
            listeners(bolt, services)
    routes = [
        *_routes(settings, services, bolt),
        *(route for c in CAPABILITIES if c.routes for route in c.routes(services)),
        *(extra_routes or []),
    ]
    http = Starlette(
        routes=routes, exception_handlers=JSON_ERRORS, middleware=[Middleware(RequestIds)]
    )
    handoff = HandoffApp(services=services, bolt=bolt, http=http)
    handoff.listeners.install(bolt)
    handoff.socket = _socket_mode(bolt, services)

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        await start_background(handoff)
        try:
            yield
        finally:
            await stop_background(handoff)

    handoff.http.router.lifespan_context = lifespan
    return handoff


def _services(
    settings: Settings, db: Database, clock: Clock, client: AsyncWebClient, telemetry: Telemetry
) -> Services:
    registry = Registry(jobs=Jobs(observe=telemetry.sweep))
    worker = OutboxWorker(
        DeliveryContext(
            settings=settings, db=db, client=client, clock=clock, pacer=ChannelPacer(db)
        ),
        telemetry.counted(registry.deliveries),
    )
    return Services(
        settings=settings,
        db=db,
        clock=clock,
        client=client,
        outbox=worker,
        directory=Directory(client),
        registry=registry,
        telemetry=telemetry,
    )


def _bolt(settings: Settings, services: Services) -> AsyncApp:
    assert settings.slack_bot_token is not None
    token = settings.slack_bot_token.get_secret_value()
    secret = settings.slack_signing_secret

    async def authorize(**_: Any) -> AuthorizeResult:
        # Single workspace: no Slack call on the request path (Bolt's default
        # calls auth.test there, which a 429 would stall past the 3-second ack).
        return AuthorizeResult(
            enterprise_id=None,
            team_id=None,
            bot_token=token,
            bot_user_id=services.slack.bot_user_id,
        )

    return AsyncApp(
        # Bolt gives each request a client with the token from `authorize`; its
        # own client carries none (it warns when both are set).
        client=CountingClient(
            base_url=settings.slack_api_url,
            timeout=SLACK_TIMEOUT_SECONDS,
            on_call=services.telemetry.slack_call,
        ),
        signing_secret=secret.get_secret_value() if secret is not None else None,
        authorize=authorize,
        process_before_response=False,
        # Over Socket Mode Slack authenticates the WebSocket; there is nothing to sign.
        request_verification_enabled=not settings.socket_mode,
        raise_error_for_unhandled_request=False,
    )


def _routes(settings: Settings, services: Services, bolt: AsyncApp) -> list[BaseRoute]:
    routes: list[BaseRoute] = []
    # Over Socket Mode Slack sends everything over the socket: no /slack/events.
    if not settings.socket_mode and settings.slack_signing_secret is not None:
        secret = settings.slack_signing_secret.get_secret_value()
        routes.append(Route("/slack/events", make_slack_endpoint(bolt, secret), methods=["POST"]))
    return [
        *routes,
        Route("/api/leads", make_intake_endpoint(services), methods=["POST"]),
        Route(OUTCOME_ROUTE, make_outcome_endpoint(services), methods=["POST"]),
        Route(ERASURE_ROUTE, make_erasure_endpoint(services), methods=["DELETE"]),
        Route("/healthz", make_health_endpoint(services), methods=["GET"]),
        Route("/metrics", make_metrics_endpoint(services), methods=["GET"]),
        Route(OPENAPI_PATH, make_openapi_endpoint(), methods=["GET"]),
    ]


def _socket_mode(bolt: AsyncApp, services: Services) -> SocketMode | None:
    """Slack over Socket Mode when an app-level token is set; /healthz reports its state."""
    settings = services.settings
    if settings.slack_app_token is None:
        return None

    def report(state: str) -> None:
        services.slack.socket = str(state)

    token = settings.slack_app_token.get_secret_value()
    return SocketMode(bolt, token, settings.slack_api_url, report=report)


async def check_slack_auth(services: Services) -> None:
    """auth.test until it answers; /healthz reports the result."""
    while True:
        try:
            response = await services.client.auth_test()
            services.slack.auth_ok = True
            services.slack.team = response.get("team")
            services.slack.bot_user_id = response.get("user_id")
            services.slack.error = None
            return
        except SlackApiError as exc:
            services.slack.auth_ok = False
            services.slack.error = slack_error(exc) or f"HTTP {exc.response.status_code}"
        except Exception as exc:  # network errors of every kind: keep trying, report it
            services.slack.auth_ok = False
            services.slack.error = type(exc).__name__
        logger.warning("Slack auth.test failed (%s); retrying", services.slack.error)
        await asyncio.sleep(AUTH_RETRY_SECONDS)


async def start_background(handoff: HandoffApp) -> None:
    services = handoff.services
    handoff.background = [
        asyncio.create_task(services.outbox.run(), name="outbox"),
        asyncio.create_task(check_slack_auth(services), name="slack-auth"),
    ]
    services.registry.jobs.start()
    if handoff.socket is not None:
        await handoff.socket.start()


async def stop_background(handoff: HandoffApp) -> None:
    if handoff.socket is not None:
        # First: no new clicks arrive while the jobs and the outbox wind down.
        await handoff.socket.stop()
    # Then the clicks already acked (bot/slack/inflight.py) finish while the store is open.
    await handoff.listeners.settle(ACKED_GRACE_SECONDS)
    await handoff.services.registry.jobs.stop()
    handoff.services.outbox.stop()
    for task in handoff.background:
        if task.get_name() != "outbox":
            task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.wait_for(asyncio.gather(*handoff.background, return_exceptions=True), 15)
    handoff.background = []
    for close in handoff.services.registry.closers:
        await close()
