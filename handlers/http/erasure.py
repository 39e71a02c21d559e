"""DELETE /api/leads/{ref}: erase a lead's personal data (same bearer token as intake).

200 `{"id", "status": "erased"}`, or `"already_erased"` when it was (idempotent: a
retried request changes nothing); 404 for an unknown lead; 401, 422 and 503 as
the rest of the API. The rule is bot/leads/erasure.py.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse

from bot.leads.erasure import forget
from bot.runtime.services import Services
from handlers.http.outcomes import MAX_REF_LENGTH
from handlers.http.prelude import bearer_ok, error_response, store_down
from storage.database import store_unavailable
from storage.lead_input import FieldError
from storage.outcomes import find_lead

logger = logging.getLogger(__name__)
ROUTE = "/api/leads/{ref}"


def make_erasure_endpoint(services: Services) -> Callable[[Request], Awaitable[JSONResponse]]:
    async def erase(request: Request) -> JSONResponse:
        if not bearer_ok(request, services):
            return error_response(
                401, "unauthorized", "Send Authorization: Bearer <HANDOFF_INTAKE_TOKEN>."
            )
        ref = request.path_params["ref"]
        if "\x00" in ref or len(ref) > MAX_REF_LENGTH:
            problem = FieldError(field="ref", message="must be an external_id or id")
            return error_response(422, "invalid_ref", problem.message, [problem])
        try:
            answer = await _erase(services, ref)
        except Exception as exc:
            if not store_unavailable(exc):
                raise
            logger.warning("the store did not answer during an erasure: %r", exc)
            return store_down()
        if answer is None:
            return error_response(404, "not_found", f"No lead has the external_id or id {ref!r}.")
        services.outbox.wake()
        return JSONResponse(answer)

    return erase


async def _erase(services: Services, ref: str) -> dict[str, object] | None:
    async with services.db.session() as session:
        lead = await find_lead(session, ref)
        if lead is None or lead.id is None:
            return None
        event = await forget(
            session, lead.id, now=services.clock.now(), by="api", why="DELETE /api/leads"
        )
    return {"id": lead.id, "status": "erased" if event is not None else "already_erased"}
