"""POST /api/leads/{ref}/outcome: the CRM reports what became of a lead.

Same bearer token and error shapes as the lead intake. `ref` is the lead's
external_id (the CRM's own id) or, failing that, Handoff's numeric id.
201 for a new outcome, 200 with the stored record when the same kind was
reported before (nothing else happens), 404 for an unknown lead, 409 for won
after lost (or the reverse), 422 for anything that does not validate.
"""

import logging
from collections.abc import Awaitable, Callable

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse

from bot.runtime.services import Services
from handlers.http.prelude import authorized_json, error_response, store_down
from storage.database import store_unavailable
from storage.feedback_models import LeadOutcome
from storage.lead_input import FieldError, field_errors
from storage.outcomes import (
    OutcomeIn,
    OutcomeRefused,
    OutcomeStatus,
    RecordedOutcome,
    find_lead,
    record_outcome,
)

logger = logging.getLogger(__name__)
MAX_BODY_BYTES = 16 * 1024
ROUTE = "/api/leads/{ref}/outcome"
# external_id is at most 200 characters; a longer reference can name no lead.
MAX_REF_LENGTH = 200


def outcome_json(outcome: LeadOutcome, status: OutcomeStatus) -> dict[str, object]:
    return {
        "id": outcome.id,
        "lead_id": outcome.lead_id,
        "type": outcome.kind,
        "status": status,
        "at": outcome.at.isoformat(),
        "amount": None if outcome.amount_cents is None else f"{outcome.amount_cents / 100:.2f}",
        "currency": outcome.currency,
        "reason": outcome.reason,
    }


def outcome_errors(exc: ValidationError) -> list[FieldError]:
    """The intake's per-field messages, worded for an outcome."""
    errors = field_errors(exc)
    return [
        error.model_copy(update={"message": "is not an outcome field"})
        if raw["type"] == "extra_forbidden"
        else error
        for error, raw in zip(errors, exc.errors(), strict=True)
    ]


def make_outcome_endpoint(services: Services) -> Callable[[Request], Awaitable[JSONResponse]]:
    async def outcome(request: Request) -> JSONResponse:
        raw = await authorized_json(
            request,
            services,
            noun="the outcome",
            limit=MAX_BODY_BYTES,
            too_large="An outcome is at most 16 KiB.",
        )
        if isinstance(raw, JSONResponse):
            return raw
        try:
            data = OutcomeIn.model_validate(raw)
        except ValidationError as exc:
            return error_response(
                422,
                "invalid_outcome",
                "Nothing was stored: fix the fields listed in errors.",
                outcome_errors(exc),
            )
        ref = request.path_params["ref"]
        if "\x00" in ref or len(ref) > MAX_REF_LENGTH:
            problem = FieldError(
                field="ref",
                message=f"must be an external_id or id of at most {MAX_REF_LENGTH} characters",
            )
            return error_response(422, "invalid_ref", problem.message, [problem])
        try:
            recorded = await _record(services, ref, data)
        except OutcomeRefused as exc:
            return error_response(exc.status, exc.error, str(exc))
        except Exception as exc:
            if not store_unavailable(exc):
                raise
            logger.warning("the store did not answer during outcome intake: %r", exc)
            return store_down()
        if recorded is None:
            return error_response(404, "not_found", f"No lead has the external_id or id {ref!r}.")
        if recorded.status is OutcomeStatus.CREATED:
            services.outbox.wake()
        return JSONResponse(
            outcome_json(recorded.outcome, recorded.status),
            status_code=201 if recorded.status is OutcomeStatus.CREATED else 200,
        )

    return outcome


async def _record(services: Services, ref: str, data: OutcomeIn) -> RecordedOutcome | None:
    async with services.db.session() as session:
        lead = await find_lead(session, ref)
        if lead is None:
            return None
        return await record_outcome(session, lead, data, now=services.clock.now())
