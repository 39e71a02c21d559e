"""POST /api/leads: marketing automation hands over MQLs."""

import hmac
import json
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy.exc import IntegrityError, OperationalError
from starlette.requests import Request
from starlette.responses import JSONResponse

from bot.runtime.services import Services
from storage.lead_input import FieldError, LeadIn, parse_leads, unwrap_intake_body
from storage.leads import IngestOutcome, IngestStatus, ingest_leads

logger = logging.getLogger(__name__)
MAX_BODY_BYTES = 1024 * 1024


def error_response(
    status: int, error: str, message: str, errors: list[FieldError] | None = None
) -> JSONResponse:
    body: dict[str, object] = {"error": error, "message": message}
    if errors is not None:
        body["errors"] = [e.model_dump(exclude_none=True) for e in errors]
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, headers=headers)


def bearer_ok(request: Request, services: Services) -> bool:
    expected = services.settings.intake_token
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if expected is None or scheme.lower() != "bearer" or not token:
        return False
    return hmac.compare_digest(token.strip().encode(), expected.get_secret_value().encode())


async def read_limited(request: Request, limit: int) -> bytes | None:
    """The body, or None once it grows past `limit` (without reading the rest into memory)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def authorized_json(
    request: Request, services: Services, *, noun: str, limit: int, too_large: str
) -> object | JSONResponse:
    """The parsed JSON body of an API call, or the error response that refuses it.

    One place for what every endpoint of the API checks first: the bearer
    token (401), the media type (415), the size (413) and the JSON itself (422).
    """
    if not bearer_ok(request, services):
        return error_response(
            401, "unauthorized", "Send Authorization: Bearer <HANDOFF_INTAKE_TOKEN>."
        )
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        return error_response(415, "unsupported_media_type", f"Send {noun} as application/json.")
    body = await read_limited(request, limit)
    if body is None:
        return error_response(413, "payload_too_large", too_large)
    try:
        return json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return error_response(
            422,
            "invalid_json",
            "The body is not valid JSON.",
            [FieldError(field="(body)", message=str(exc))],
        )


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
            if not is_batch:
                errors = [e.model_copy(update={"index": None}) for e in errors]
            return error_response(
                422, "invalid_leads", "Nothing was stored: fix the fields listed in errors.", errors
            )
        try:
            outcomes = await _store(services, leads)
        except OperationalError:
            logger.exception("database unavailable during intake")
            return error_response(
                503, "database_unavailable", "The lead store is not answering; retry later."
            )
        services.outbox.wake()
        created = sum(o.status is IngestStatus.CREATED for o in outcomes)
        status = 201 if created else 200
        if not is_batch:
            return JSONResponse(
                {"id": outcomes[0].id, "status": outcomes[0].status}, status_code=status
            )
        return JSONResponse(
            {
                "leads": [{"id": o.id, "status": o.status} for o in outcomes],
                "created": created,
                "duplicates": len(outcomes) - created,
            },
            status_code=status,
        )

    return intake


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
                )
        except IntegrityError:
            # A concurrent request stored the same external_id first; the
            # second pass finds it and answers "duplicate".
            if attempt:
                raise
    raise AssertionError("unreachable")
