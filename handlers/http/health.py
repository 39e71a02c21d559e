"""GET /healthz: ok, degraded or unavailable, and why (the rule is bot/runtime/health.py)."""

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse

from bot.runtime.health import health
from bot.runtime.services import Services


def make_health_endpoint(services: Services) -> Callable[[Request], Awaitable[JSONResponse]]:
    async def healthz(request: Request) -> JSONResponse:
        answer = await health(services)
        return JSONResponse(answer.body, status_code=answer.http_status)

    return healthz
