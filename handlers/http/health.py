"""GET /healthz: is the store answering, is Slack reachable, how much is waiting."""

from collections.abc import Awaitable, Callable

from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.responses import JSONResponse

from bot.runtime.services import Services
from storage.outbox import pending_summary


def make_health_endpoint(services: Services) -> Callable[[Request], Awaitable[JSONResponse]]:
    async def healthz(request: Request) -> JSONResponse:
        try:
            async with services.db.session() as session:
                summary = await pending_summary(session)
        except (SQLAlchemyError, OSError) as exc:
            return JSONResponse(
                {"status": "unavailable", "database": f"error: {type(exc).__name__}"},
                status_code=503,
            )
        oldest = summary["oldest_created_at"]
        age = (services.clock.now() - oldest).total_seconds() if oldest else None
        body: dict[str, object] = {
            "status": "ok",
            "database": "ok",
            "slack": services.slack.as_json(),
            "outbox": {
                "pending": summary["pending"],
                "oldest_pending_seconds": round(age, 1) if age is not None else None,
                "last_error": summary["last_error"],
            },
        }
        for name, section in services.registry.health.items():
            try:
                body[name] = await section()
            except (SQLAlchemyError, OSError) as exc:
                body[name] = {"error": type(exc).__name__}
        return JSONResponse(body)

    return healthz
