"""The fake HubSpot over HTTP: a Starlette app with HubSpot's paths, and its server.

Every request goes through one pipeline: injected fault (delay, then maybe an error
answer), bearer token, rate limits, scope, then the endpoint itself under the store's
lock; the call is recorded with the status it got.
"""

from __future__ import annotations

import asyncio
import copy
import json
import time
import uuid
from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.sandbox.servers import BackgroundServer

from . import hubspot_schema as schema
from . import hubspot_search as searching
from .common import Call
from .hubspot_store import FakeHubSpot, HubSpotError

Handler = Callable[[FakeHubSpot, Request, Any], tuple[int, Any]]


def create_fake_hubspot_app(store: FakeHubSpot) -> Starlette:
    """Routes under HubSpot's own paths, so a client only swaps its base URL."""

    def route(path: str, endpoint: str | Callable[[Request], str], method: str, handler: Handler):
        async def serve(request: Request) -> Response:
            name = endpoint(request) if callable(endpoint) else endpoint
            return await _serve(store, request, name, handler)

        return Route(path, serve, methods=[method])

    return Starlette(
        routes=[
            route(
                "/crm/v3/objects/contacts/search", "contacts.search", "POST", _search("contacts")
            ),
            route("/crm/v3/objects/deals/search", "deals.search", "POST", _search("deals")),
            route(
                "/crm/v3/objects/contacts/batch/read",
                "contacts.batch_read",
                "POST",
                _batch("contacts"),
            ),
            route("/crm/v3/objects/notes/batch/read", "notes.batch_read", "POST", _batch("notes")),
            route("/crm/v3/objects/contacts/{id}", "contacts.get", "GET", _get_contact),
            route("/crm/v3/objects/contacts/{id}", "contacts.update", "PATCH", _update_contact),
            route("/crm/v3/objects/notes", "notes.create", "POST", _create_note),
            route("/crm/v3/owners", "owners.list", "GET", _owners),
            route(
                "/crm/v3/properties/{object_type}",
                lambda r: f"properties.{r.path_params['object_type']}",
                "GET",
                _properties,
            ),
            route(
                "/oauth/v2/private-apps/get/access-token-info", "token_info", "POST", _token_info
            ),
        ]
    )


async def _serve(store: FakeHubSpot, request: Request, endpoint: str, handler: Handler) -> Response:
    raw = await request.body()
    try:
        body: Any = json.loads(raw) if raw else None
    except json.JSONDecodeError:
        body = None
        status, answer = 400, schema.error_body(400, "Invalid input JSON on line 1")
        return _finish(store, request, endpoint, body, status, answer, {})
    fault = store.faults.take(endpoint)
    if fault is not None and fault.delay:
        await asyncio.sleep(fault.delay)
    headers: dict[str, str] = {}
    if fault is not None and fault.answers:
        assert fault.status is not None
        answer = fault.body if fault.body is not None else _fault_body(fault.status)
        if fault.retry_after is not None:
            headers["Retry-After"] = str(fault.retry_after)
        return _finish(store, request, endpoint, body, fault.status, answer, headers)
    try:
        with store.lock:
            _check_access(store, request, endpoint, body, headers)
            status, answer = handler(store, request, body)
    except HubSpotError as exc:
        status, answer = exc.status, exc.body
    if fault is not None and fault.after and fault.status is not None:
        status, answer = fault.status, _fault_body(fault.status)  # done, but the answer is lost
    return _finish(store, request, endpoint, body, status, answer, headers)


def _finish(
    store: FakeHubSpot,
    request: Request,
    endpoint: str,
    body: Any,
    status: int,
    answer: Any,
    headers: dict[str, str],
) -> Response:
    call = Call(
        endpoint=endpoint,
        method=request.method,
        path=request.url.path,
        query=dict(request.query_params),
        json=body,
        status=status,
        at=time.monotonic(),
    )
    store.record_call(call)
    correlation = answer.get("correlationId") if isinstance(answer, dict) else None
    headers["X-HubSpot-Correlation-Id"] = correlation or str(uuid.uuid4())
    if status == 204:
        return Response(status_code=204, headers=headers)
    return JSONResponse(answer, status_code=status, headers=headers)


def _fault_body(status: int) -> dict[str, Any]:
    if status == 429:
        return schema.rate_limit_body("TEN_SECONDLY_ROLLING")
    if status == 401:
        return schema.error_body(401, schema.AUTH_MESSAGE)
    return schema.error_body(status, f"Injected fault: HTTP {status}")


def _check_access(
    store: FakeHubSpot, request: Request, endpoint: str, body: Any, headers: dict[str, str]
) -> None:
    auth = request.headers.get("authorization", "")
    token = auth[7:].strip() if auth.lower().startswith("bearer ") else None
    if endpoint == "token_info":
        # This endpoint authenticates by the token in its body; the header is optional.
        token = (body or {}).get("tokenKey") if isinstance(body, dict) else None
    if token not in store.tokens:
        raise HubSpotError(401, schema.error_body(401, schema.AUTH_MESSAGE))
    for policy, window in store.limits.items():
        if policy == "SECONDLY" and not endpoint.endswith(".search"):
            continue
        verdict = window.hit()
        headers["X-HubSpot-RateLimit-Max"] = str(verdict.limit)
        headers["X-HubSpot-RateLimit-Remaining"] = str(verdict.remaining)
        headers["X-HubSpot-RateLimit-Interval-Milliseconds"] = str(
            int(window.window_seconds * 1000)
        )
        if not verdict.allowed:
            if store.retry_after_header:
                headers["Retry-After"] = str(max(1, round(verdict.retry_after)))
            raise HubSpotError(429, schema.rate_limit_body(policy))
    scope = schema.ENDPOINT_SCOPES.get(endpoint, "crm.objects.contacts.read")
    if scope is not None and scope not in store.tokens[token]:
        raise HubSpotError(403, schema.missing_scope_body(scope))


def _not_found(what: str) -> HubSpotError:
    return HubSpotError(404, schema.error_body(404, f"{what} not found", "OBJECT_NOT_FOUND"))


def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise searching.bad_request("Invalid input JSON: expected an object")
    return body


def _search(object_type: str) -> Handler:
    def handle(store: FakeHubSpot, request: Request, body: Any) -> tuple[int, Any]:
        return 200, searching.search(store, object_type, _object(body or {}))

    return handle


def _get_contact(store: FakeHubSpot, request: Request, body: Any) -> tuple[int, Any]:
    record = store.resolve_contact(request.path_params["id"])
    if record is None:
        raise _not_found("resource")
    names = _csv(request.query_params.get("properties")) or schema.DEFAULT_PROPERTIES["contacts"]
    result = searching.render(record, names)
    wanted = _csv(request.query_params.get("associations"))
    if wanted:
        result["associations"] = {}
        if "deals" in wanted:
            deals = [d for d, cs in store.deal_contacts.items() if record["id"] in cs]
            results = [{"id": d, "type": "contact_to_deal"} for d in deals]
            result["associations"]["deals"] = {"results": results}
        if "notes" in wanted:
            notes = [n for n, c in store.note_contacts.items() if c == record["id"]]
            result["associations"]["notes"] = {
                "results": [{"id": n, "type": "contact_to_note"} for n in notes]
            }
    return 200, result


def _batch(object_type: str) -> Handler:
    def handle(store: FakeHubSpot, request: Request, body: Any) -> tuple[int, Any]:
        return _batch_read(store, object_type, _object(body))

    return handle


def _batch_read(store: FakeHubSpot, object_type: str, body: dict[str, Any]) -> tuple[int, Any]:
    inputs = body.get("inputs") or []
    if len(inputs) > 100:
        raise searching.bad_request("Batch read accepts at most 100 inputs")
    names = body.get("properties") or schema.DEFAULT_PROPERTIES[object_type]
    found, missing = [], []
    for item in inputs:
        if object_type == "contacts":
            record = store.resolve_contact(str(item.get("id")))
        else:
            record = store.objects[object_type].get(str(item.get("id")))
        if record is None:
            missing.append(str(item.get("id")))
        else:
            found.append(searching.render(record, names))
    now = store.now()
    answer: dict[str, Any] = {"status": "COMPLETE", "results": found}
    answer |= {"startedAt": now, "completedAt": now}
    if not missing:
        return 200, answer
    noun = object_type.upper().removesuffix("S")
    error = {
        "status": "error",
        "category": "OBJECT_NOT_FOUND",
        "message": f"Could not get some {noun} objects, they may be deleted or not exist.",
        "context": {"ids": missing},
    }
    return 207, {**answer, "numErrors": 1, "errors": [error]}


def _update_contact(store: FakeHubSpot, request: Request, body: Any) -> tuple[int, Any]:
    properties = _object(body).get("properties")
    if not isinstance(properties, dict):
        raise searching.bad_request("Invalid input JSON: properties is required")
    record = store.resolve_contact(request.path_params["id"])
    if record is None:
        raise _not_found("resource")
    problems = []
    for name in properties:
        definition = next((d for d in store.properties["contacts"] if d["name"] == name), None)
        if definition is None:
            problems.append(_invalid(store, name, "PROPERTY_DOESNT_EXIST", "does not exist"))
        elif definition["modificationMetadata"]["readOnlyValue"]:
            problems.append(_invalid(store, name, "READ_ONLY_VALUE", "is a read only property"))
    if problems:
        message = f"Property values were not valid: {json.dumps(problems)}"
        raise HubSpotError(400, schema.error_body(400, message, "VALIDATION_ERROR"))
    store.update_contact(record["id"], properties)
    names = sorted({*schema.DEFAULT_PROPERTIES["contacts"], *properties})
    return 200, searching.render(store.objects["contacts"][record["id"]], names)


def _invalid(store: FakeHubSpot, name: str, error: str, text: str) -> dict[str, Any]:
    message = f'Property "{name}" {text}'
    return {"isValid": False, "message": message, "error": error, "name": name}


def _create_note(store: FakeHubSpot, request: Request, body: Any) -> tuple[int, Any]:
    body = _object(body)
    properties = body.get("properties") or {}
    if not properties.get("hs_timestamp"):
        raise searching.bad_request('Property "hs_timestamp" is required for notes')
    contact_ids = []
    for association in body.get("associations") or []:
        types = association.get("types") or []
        if not any(t.get("associationTypeId") == 202 for t in types):
            raise searching.bad_request("notes are associated with contacts by type 202")
        record = store.resolve_contact(str((association.get("to") or {}).get("id")))
        if record is None:
            raise searching.bad_request("association target contact does not exist")
        contact_ids.append(record["id"])
    note = store._new("notes", None)
    store._set(note, "notes", properties)
    for cid in contact_ids:
        store.note_contacts[note["id"]] = cid
        store._set(store.objects["contacts"][cid], "contacts", {"notes_last_updated": store.now()})
    return 201, searching.render(note, sorted({*schema.DEFAULT_PROPERTIES["notes"], *properties}))


def _owners(store: FakeHubSpot, request: Request, body: Any) -> tuple[int, Any]:
    query = request.query_params
    limit = min(max(int(query.get("limit", 100)), 1), 500)
    after = int(query.get("after", 0))
    archived = query.get("archived") == "true"
    owners = [o for o in store.owners.values() if o["archived"] == archived]
    if query.get("email"):
        owners = [o for o in owners if o["email"].lower() == query["email"].lower()]
    page = [copy.deepcopy(o) for o in owners[after : after + limit]]
    answer: dict[str, Any] = {"results": page}
    if after + limit < len(owners):
        answer["paging"] = {"next": {"after": str(after + limit)}}
    return 200, answer


def _properties(store: FakeHubSpot, request: Request, body: Any) -> tuple[int, Any]:
    object_type = request.path_params["object_type"]
    if object_type not in store.properties:
        raise HubSpotError(
            400, schema.error_body(400, f"Unable to infer object type from: {object_type}")
        )
    return 200, {"results": copy.deepcopy(store.properties[object_type])}


def _token_info(store: FakeHubSpot, request: Request, body: Any) -> tuple[int, Any]:
    token = _object(body)["tokenKey"]
    answer = {"userId": 9_000_001, "hubId": store.portal_id, "appId": store.app_id}
    return 200, {**answer, "scopes": list(store.tokens[token])}


def _csv(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


class FakeHubSpotServer(BackgroundServer):
    """The fake portal on http://127.0.0.1:PORT; pass `url` as the client's base URL."""

    def __init__(self, store: FakeHubSpot, *, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(create_fake_hubspot_app(store), host=host, port=port)
        self.store = store

    def __enter__(self) -> FakeHubSpotServer:
        self.start()
        return self

    async def __aenter__(self) -> FakeHubSpotServer:
        await asyncio.to_thread(self.start)
        return self
