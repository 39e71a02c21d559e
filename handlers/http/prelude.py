"""What every endpoint of the JSON API checks first, in one place.

The bearer token (401), the media type (415), the size (413) and the JSON
itself (422); and the shape of every error answer.
"""

import hmac
import json

from starlette.requests import Request
from starlette.responses import JSONResponse

from bot.runtime.services import Services
from storage.lead_input import FieldError


def error_response(
    status: int, error: str, message: str, errors: list[FieldError] | None = None
) -> JSONResponse:
    body: dict[str, object] = {"error": error, "message": message}
    if errors is not None:
        body["errors"] = [e.model_dump(exclude_none=True) for e in errors]
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, headers=headers)


def store_down() -> JSONResponse:
    """The answer whenever the store does not answer (storage.database.store_unavailable)."""
    return error_response(
        503, "database_unavailable", "The lead store is not answering; retry later."
    )


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
    except RecursionError:
        problem = "nests too deeply"
    except ValueError as exc:
        # JSONDecodeError, a non-UTF-8 body, an integer past Python's 4,300 digits.
        problem = str(exc)
    return error_response(
        422,
        "invalid_json",
        "The body is not valid JSON.",
        [FieldError(field="(body)", message=problem)],
    )
