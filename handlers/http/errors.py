"""Every error the HTTP server answers is JSON, including the ones no endpoint chose.

A wrong path (404), a wrong method (405) and an unexpected failure (500, logged
with a reference the body repeats) get the same `{"error", "message"}` shape as
the API's own refusals; a store that does not answer is 503, never 500.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from handlers.http.prelude import error_response
from storage.database import store_unavailable

logger = logging.getLogger(__name__)

ERROR_NAMES = {404: "not_found", 405: "method_not_allowed"}


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    name = ERROR_NAMES.get(exc.status_code, "http_error")
    response = error_response(exc.status_code, name, str(exc.detail))
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def unexpected_error(request: Request, exc: Exception) -> Response:
    if store_unavailable(exc):
        return error_response(
            503, "database_unavailable", "The lead store is not answering; retry later."
        )
    reference = uuid.uuid4().hex[:8]
    logger.error(
        "unexpected error on %s %s (ref %s)",
        request.method,
        request.url.path,
        reference,
        exc_info=exc,
    )
    return error_response(
        500, "internal_error", f"Something went wrong on our side (ref {reference})."
    )


JSON_ERRORS: Mapping[Any, Callable[[Request, Exception], Awaitable[Response]]] = {
    HTTPException: http_error,
    Exception: unexpected_error,
}
