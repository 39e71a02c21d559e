"""The fake Salesforce org over HTTP: the OAuth token endpoint and the REST data API.

Pipeline per request: injected fault, then (for data calls) the bearer session, the
API request limit, and the endpoint under the org's lock; each call is recorded.
Answers follow the REST API Developer Guide; see `salesforce_schema.error` for the
error body.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.sandbox.servers import BackgroundServer

from . import salesforce_schema as schema
from .common import Call
from .salesforce_eval import Evaluator
from .salesforce_soql import SoqlError, parse
from .salesforce_store import FakeSalesforce

DATA = "/services/data/v{version}"
Handler = Callable[[FakeSalesforce, Request, Any], tuple[int, Any]]


class SalesforceError(Exception):
    def __init__(self, status: int, code: str, message: str, fields: list[str] | None = None):
        super().__init__(message)
        self.status = status
        self.body = schema.error(code, message, fields)


def create_fake_salesforce_app(org: FakeSalesforce) -> Starlette:
    def route(path: str, endpoint: str, method: str, handler: Handler) -> Route:
        async def serve(request: Request) -> Response:
            return await _serve(org, request, endpoint, handler)

        return Route(path, serve, methods=[method])

    sobjects = DATA + "/sobjects/{sobject}"
    return Starlette(
        routes=[
            Route("/services/oauth2/token", _token_endpoint(org), methods=["POST"]),
            route(DATA + "/query", "query", "GET", _query),
            route(DATA + "/query/{locator}", "query_more", "GET", _query_more),
            route(DATA + "/limits", "limits", "GET", _limits),
            route(sobjects + "/describe", "describe", "GET", _describe),
            route(sobjects, "sobject.create", "POST", _create),
            route(sobjects + "/{id}", "sobject.get", "GET", _get),
            route(sobjects + "/{id}", "sobject.update", "PATCH", _update),
        ]
    )


def _token_endpoint(org: FakeSalesforce) -> Callable[[Request], Awaitable[Response]]:
    async def token(request: Request) -> Response:
        form = dict(parse_qsl((await request.body()).decode(errors="replace")))
        fault = org.faults.take("token")
        if fault is not None and fault.delay:
            await asyncio.sleep(fault.delay)
        if fault is not None and fault.answers:
            status, body = fault.status or 500, fault.body or {"error": "server_error"}
        else:
            status, body = _grant(org, form)
        shown = {k: v for k, v in form.items() if k != "client_secret"}
        _record(org, request, "token", shown, status)
        return JSONResponse(body, status_code=status)

    return token


def _grant(org: FakeSalesforce, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
    if form.get("grant_type") != "client_credentials":
        return 400, {
            "error": "unsupported_grant_type",
            "error_description": "grant type not supported",
        }
    if form.get("client_id") != org.client_id or form.get("client_secret") != org.client_secret:
        return 400, {"error": "invalid_client", "error_description": "invalid client credentials"}
    if not org.client_credentials_enabled:
        return 400, {
            "error": "invalid_grant",
            "error_description": "no client credentials user enabled",
        }
    issued = str(int(time.time() * 1000))
    return 200, {
        "access_token": org.issue_token(),
        "signature": "ZmFrZS1zaWduYXR1cmU=",
        "scope": "api",
        "instance_url": org.instance_url,
        "id": f"{org.instance_url}/id/{org.org_id}/005000000000001AAA",
        "token_type": "Bearer",
        "issued_at": issued,
    }


async def _serve(
    org: FakeSalesforce, request: Request, endpoint: str, handler: Handler
) -> Response:
    raw = await request.body()
    try:
        body: Any = json.loads(raw) if raw else None
    except json.JSONDecodeError:
        error = SalesforceError(400, "JSON_PARSER_ERROR", "Unexpected character in JSON body")
        _record(org, request, endpoint, None, 400)
        return JSONResponse(error.body, status_code=400)
    fault = org.faults.take(endpoint)
    if fault is not None and fault.delay:
        await asyncio.sleep(fault.delay)
    if fault is not None and fault.answers:
        status = fault.status or 500
        answer = fault.body or schema.error("UNKNOWN_EXCEPTION", f"Injected fault: HTTP {status}")
        _record(org, request, endpoint, body, status)
        return JSONResponse(answer, status_code=status)
    try:
        with org.lock:
            _check_access(org, request)
            status, answer = handler(org, request, body)
    except SalesforceError as exc:
        status, answer = exc.status, exc.body
    if fault is not None and fault.after and fault.status is not None:
        # Carried out, but the answer is lost on the way back.
        status = fault.status
        answer = schema.error("UNKNOWN_EXCEPTION", f"Injected fault: HTTP {status}")
    _record(org, request, endpoint, body, status)
    if status == 204:
        return Response(status_code=204)
    return JSONResponse(answer, status_code=status)


def _record(org: FakeSalesforce, request: Request, endpoint: str, body: Any, status: int) -> None:
    query = dict(request.query_params)
    org.record_call(
        Call(endpoint, request.method, request.url.path, query, body, status, time.monotonic())
    )


def _check_access(org: FakeSalesforce, request: Request) -> None:
    auth = request.headers.get("authorization", "")
    token = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
    if token not in org.tokens:
        raise SalesforceError(401, "INVALID_SESSION_ID", "Session expired or invalid")
    if request.path_params.get("version") != org.api_version:
        raise SalesforceError(404, "NOT_FOUND", "The requested resource does not exist")
    if org.request_limit is not None and not org.request_limit.hit().allowed:
        raise SalesforceError(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")


def _sobject(org: FakeSalesforce, request: Request) -> str:
    name = request.path_params["sobject"]
    match = next((s for s in schema.KEY_PREFIXES if s.lower() == name.lower()), None)
    if match is None:
        raise SalesforceError(404, "NOT_FOUND", "The requested resource does not exist")
    return match


def run_query(org: FakeSalesforce, soql: str) -> tuple[int, list[dict[str, Any]]]:
    """(totalSize, rendered records) for a SOQL query; raises SoqlError like the API would."""
    with org.lock:
        query = parse(soql)
        sobject = next((s for s in schema.KEY_PREFIXES if s.lower() == query.sobject.lower()), None)
        if sobject is None:
            raise SoqlError("INVALID_TYPE", f"sObject type '{query.sobject}' is not supported.")
        query.sobject = sobject
        evaluator = Evaluator(query, org.field_types, org.lookup, org.clock.now(), org.api_version)
        evaluator.check()
        matched = [r for r in org.records[sobject].values() if evaluator.matches(r, query.where)]
        matched = evaluator.sort(matched)[query.offset :]
        if query.limit is not None:
            matched = matched[: query.limit]
        if query.count:
            return len(matched), []
        return len(matched), [evaluator.render(r, sobject, r["Id"]) for r in matched]


def _query(org: FakeSalesforce, request: Request, body: Any) -> tuple[int, Any]:
    try:
        total, rendered = run_query(org, request.query_params.get("q", ""))
    except SoqlError as exc:
        raise SalesforceError(400, exc.code, exc.message) from exc
    if not rendered:
        return 200, {"totalSize": total, "done": True, "records": []}
    return 200, _page(org, request, rendered, 0)


def _batch_size(org: FakeSalesforce, request: Request) -> int:
    options = request.headers.get("sforce-query-options", "")
    for part in options.split(","):
        name, _, value = part.strip().partition("=")
        if name == "batchSize" and value.isdigit():
            # Salesforce honours 200..2000; a test may shrink the org's default below that
            # to page through a handful of records.
            return min(max(200, min(2000, int(value))), org.default_batch_size)
    return org.default_batch_size


def _page(org: FakeSalesforce, request: Request, records: list[Any], offset: int) -> dict[str, Any]:
    size = _batch_size(org, request)
    batch = records[offset : offset + size]
    answer: dict[str, Any] = {"totalSize": len(records), "done": offset + size >= len(records)}
    if not answer["done"]:
        locator = f"01g{len(org.cursors) + 1:012d}AAA"
        org.cursors[locator] = records
        answer["nextRecordsUrl"] = (
            f"/services/data/v{org.api_version}/query/{locator}-{offset + size}"
        )
    answer["records"] = batch
    return answer


def _query_more(org: FakeSalesforce, request: Request, body: Any) -> tuple[int, Any]:
    locator, _, offset = request.path_params["locator"].rpartition("-")
    if locator not in org.cursors or not offset.isdigit():
        raise SalesforceError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
    return 200, _page(org, request, org.cursors[locator], int(offset))


def _describe(org: FakeSalesforce, request: Request, body: Any) -> tuple[int, Any]:
    sobject = _sobject(org, request)
    return 200, schema.describe(sobject, org.field_types(sobject))


def _limits(org: FakeSalesforce, request: Request, body: Any) -> tuple[int, Any]:
    limit = org.request_limit
    used = limit.used() if limit else len(org.calls())
    top = limit.limit if limit else 15_000
    return 200, {"DailyApiRequests": {"Max": top, "Remaining": max(top - used, 0)}}


def _record_of(org: FakeSalesforce, request: Request) -> tuple[str, dict[str, Any]]:
    sobject = _sobject(org, request)
    found = org.lookup(request.path_params["id"])
    if found is None or found[0] != sobject:
        raise SalesforceError(404, "NOT_FOUND", "The requested resource does not exist")
    return sobject, found[1]


def _get(org: FakeSalesforce, request: Request, body: Any) -> tuple[int, Any]:
    sobject, record = _record_of(org, request)
    wanted = [f for f in request.query_params.get("fields", "").split(",") if f]
    types = org.field_types(sobject)
    for name in wanted:
        if name not in types:
            raise SalesforceError(
                400, "INVALID_FIELD", f"No such column '{name}' on sobject of type {sobject}"
            )
    url = f"/services/data/v{org.api_version}/sobjects/{sobject}/{record['Id']}"
    shown = {k: v for k, v in record.items() if not wanted or k in wanted}
    return 200, {"attributes": {"type": sobject, "url": url}, **shown}


def _writable(org: FakeSalesforce, sobject: str, body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise SalesforceError(400, "JSON_PARSER_ERROR", "Expected a JSON object of fields")
    types = org.field_types(sobject)
    for name in body:
        if name not in types:
            raise SalesforceError(
                400, "INVALID_FIELD", f"No such column '{name}' on sobject of type {sobject}"
            )
        if not types[name][1]:
            message = (
                f"Unable to create/update fields: {name}. Please check the security settings "
                "of this field and verify that it is read/write for your profile or permission set."
            )
            raise SalesforceError(400, "INVALID_FIELD_FOR_INSERT_UPDATE", message, [name])
    return body


def _update(org: FakeSalesforce, request: Request, body: Any) -> tuple[int, Any]:
    sobject, record = _record_of(org, request)
    if sobject == "Lead" and record.get("IsConverted"):
        message = "cannot reference converted lead"
        raise SalesforceError(400, "CANNOT_UPDATE_CONVERTED_LEAD", message)
    org.change(sobject, record["Id"], _writable(org, sobject, body))
    return 204, None


def _create(org: FakeSalesforce, request: Request, body: Any) -> tuple[int, Any]:
    sobject = _sobject(org, request)
    fields = _writable(org, sobject, body)
    if sobject == "Lead" and not fields.get("LastName"):
        message = "Required fields are missing: [LastName]"
        raise SalesforceError(400, "REQUIRED_FIELD_MISSING", message, ["LastName"])
    record_id = org.insert(sobject, fields)
    return 201, {"id": record_id, "success": True, "errors": []}


class FakeSalesforceServer(BackgroundServer):
    """The fake org on http://127.0.0.1:PORT: both its My Domain and its instance URL."""

    def __init__(self, org: FakeSalesforce, *, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(create_fake_salesforce_app(org), host=host, port=port)
        self.org = org

    def start(self, timeout: float = 10.0) -> None:
        super().start(timeout)
        if self.org.instance_url is None:
            self.org.instance_url = self.url

    def __enter__(self) -> FakeSalesforceServer:
        self.start()
        return self

    async def __aenter__(self) -> FakeSalesforceServer:
        await asyncio.to_thread(self.start)
        return self


__all__ = [
    "FakeSalesforceServer",
    "SalesforceError",
    "create_fake_salesforce_app",
    "run_query",
]
