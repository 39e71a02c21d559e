"""POST /api/leads: marketing automation hands over MQLs."""

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.exc import IntegrityError
from starlette.requests import Request
from starlette.responses import JSONResponse

from bot.definition.grading import grading_for
from bot.runtime.services import Services
from handlers.http.prelude import authorized_json, error_response, store_down
from storage.database import store_unavailable
from storage.lead_input import FieldError, LeadIn, parse_leads, unwrap_intake_body
from storage.leads import IngestOutcome, IngestStatus, ingest_leads

logger = logging.getLogger(__name__)
MAX_BODY_BYTES = 1024 * 1024


def make_intake_endpoint(services: Services) -> Callable[[Request], Awaitable[JSONResponse]]:
    async def intake(request: Request) -> JSONResponse:
        data = await authorized_json(
            request,
            services,
            noun="the leads",
            limit=MAX_BODY_BYTES,
            too_large="The body is over 1 MiB; send at most 500 leads per request.",
        )
        if isinstance(data, JSONResponse):
            return data
        unwrapped = unwrap_intake_body(data)
        if isinstance(unwrapped, FieldError):
            return error_response(422, "invalid_body", unwrapped.message, [unwrapped])
        items, is_batch = unwrapped
        leads, errors = parse_leads(items)
        if errors:
            services.telemetry.intake_invalid(len({error.index for error in errors}))
            if not is_batch:
                errors = [e.model_copy(update={"index": None}) for e in errors]
            return error_response(
                422, "invalid_leads", "Nothing was stored: fix the fields listed in errors.", errors
            )
        try:
            outcomes = await _store(services, leads)
        except Exception as exc:
            if not store_unavailable(exc):
                raise
            logger.warning("the store did not answer during intake: %r", exc)
            return store_down()
        services.outbox.wake()
        services.telemetry.intake_results([outcome.status for outcome in outcomes])
        created = sum(o.status is IngestStatus.CREATED for o in outcomes)
        status = 201 if created else 200
        if not is_batch:
            return JSONResponse(_answer(outcomes[0]), status_code=status)
        return JSONResponse(
            {
                "leads": [_answer(o) for o in outcomes],
                "created": created,
                "duplicates": len(outcomes) - created,
            },
            status_code=status,
        )

    return intake


def _answer(outcome: IngestOutcome) -> dict[str, Any]:
    answer: dict[str, Any] = {"id": outcome.id, "status": outcome.status}
    if outcome.fit is not None:
        # The lead's fit to the MQL definition (absent when app.yaml sets none).
        answer["fit"] = outcome.fit
    return answer


async def _store(services: Services, leads: list[LeadIn]) -> list[IngestOutcome]:
    settings = services.settings
    for attempt in range(2):
        try:
            async with services.db.session() as session:
                return await ingest_leads(
                    session,
                    leads,
                    now=services.clock.now(),
                    dedup_window=settings.team.intake.dedup_window,
                    grading=grading_for(settings.team),
                )
        except IntegrityError:
            # A concurrent request stored the same external_id first; the
            # second pass finds it and answers "duplicate".
            if attempt:
                raise
    raise AssertionError("unreachable")
