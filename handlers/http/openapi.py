"""The HTTP API as an OpenAPI 3.1 document, served at GET /api/openapi.json.

The request bodies' schemas come from the pydantic models the endpoints validate with
(`LeadIn`, `OutcomeIn`), so the document cannot drift from them; the answers are
written here. tests/test_openapi.py sends real requests to the running bot and
validates each request and answer against this document.

Adding an operation: write a function that returns its OpenAPI operation object and
add one line to OPERATIONS; shared answers go in RESPONSES, shared shapes in SCHEMAS.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import JSONResponse

from handlers.http.outcomes import ROUTE as OUTCOME_ROUTE
from storage.lead_input import LeadIn
from storage.outcomes import OutcomeIn

OPENAPI_PATH = "/api/openapi.json"
Json = dict[str, Any]


def _ref(name: str) -> Json:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: Json, description: str) -> Json:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _model_schemas(*models: type[BaseModel]) -> Json:
    """Each model's JSON Schema (2020-12, as OpenAPI 3.1 uses), its $defs as components."""
    schemas: Json = {}
    for model in models:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    return schemas


_NULLABLE_STRING = {"type": ["string", "null"]}
SCHEMAS: Json = {
    **_model_schemas(LeadIn, OutcomeIn),
    "LeadBatch": {
        "type": "object",
        "properties": {"leads": {"type": "array", "items": _ref("LeadIn"), "maxItems": 500}},
        "required": ["leads"],
        "additionalProperties": False,
    },
    "LeadStatus": {"type": "string", "enum": ["created", "duplicate"]},
    "LeadResult": {
        "type": "object",
        "properties": {"id": {"type": "integer"}, "status": _ref("LeadStatus")},
        "required": ["id", "status"],
    },
    "BatchResult": {
        "type": "object",
        "properties": {
            "leads": {"type": "array", "items": _ref("LeadResult")},
            "created": {"type": "integer", "minimum": 0},
            "duplicates": {"type": "integer", "minimum": 0},
        },
        "required": ["leads", "created", "duplicates"],
    },
    "FieldError": {
        "type": "object",
        "properties": {
            "field": {"type": "string"},
            "message": {"type": "string"},
            "index": {"type": "integer", "description": "The lead's position in a batch."},
        },
        "required": ["field", "message"],
    },
    "Error": {
        "type": "object",
        "properties": {
            "error": {"type": "string", "description": "A stable code, e.g. invalid_leads."},
            "message": {"type": "string"},
            "errors": {"type": "array", "items": _ref("FieldError")},
        },
        "required": ["error", "message"],
    },
    "Outcome": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "lead_id": {"type": "integer"},
            "type": _ref("OutcomeKind"),
            "status": {"type": "string", "enum": ["created", "duplicate"]},
            "at": {"type": "string", "format": "date-time"},
            "amount": {
                "type": ["string", "null"],
                "pattern": r"^\d+\.\d{2}$",
                "description": "Decimal text, e.g. 12000.00; never a float.",
            },
            "currency": _NULLABLE_STRING,
            "reason": _NULLABLE_STRING,
        },
        "required": ["id", "lead_id", "type", "status", "at", "amount", "currency", "reason"],
    },
    "Health": {
        "type": "object",
        "description": "Capabilities may add sections of their own (e.g. crm) beside these.",
        "properties": {
            "status": {
                "type": "string",
                "enum": ["ok", "degraded", "unavailable"],
                "description": "degraded: still serving, a person should look (see why).",
            },
            "why": {"type": "array", "items": {"type": "string"}},
            "database": {"type": "string", "description": "ok, or error: ExceptionName"},
            "slack": {
                "type": "object",
                "properties": {
                    "auth": {"type": ["boolean", "null"], "description": "auth.test's result"},
                    "team": _NULLABLE_STRING,
                    "error": _NULLABLE_STRING,
                    "socket": {
                        "type": "string",
                        "description": "Socket Mode only: connecting, connected, "
                        "reconnecting, stopped, or error: CODE",
                    },
                },
                "required": ["auth", "team", "error"],
            },
            "outbox": {
                "type": "object",
                "properties": {
                    "pending": {"type": "integer", "minimum": 0},
                    "oldest_pending_seconds": {"type": ["number", "null"]},
                    "failing": {"type": "integer", "minimum": 0},
                    "last_error": _NULLABLE_STRING,
                },
                "required": ["pending", "oldest_pending_seconds", "last_error"],
            },
        },
        "required": ["status", "why", "database"],
    },
}

RESPONSES: Json = {
    "Unauthorized": {
        **_json(_ref("Error"), "Missing or wrong bearer token."),
        "headers": {"WWW-Authenticate": {"schema": {"type": "string", "const": "Bearer"}}},
    },
    "PayloadTooLarge": _json(_ref("Error"), "The body is over the size limit."),
    "UnsupportedMediaType": _json(_ref("Error"), "The body is not application/json."),
    "Invalid": _json(_ref("Error"), "Invalid JSON or fields; nothing was stored."),
    "DatabaseUnavailable": _json(_ref("Error"), "The database does not answer; retry later."),
}


def _refused(*statuses: int) -> Json:
    names = {
        401: "Unauthorized",
        413: "PayloadTooLarge",
        415: "UnsupportedMediaType",
        422: "Invalid",
        503: "DatabaseUnavailable",
    }
    return {str(status): {"$ref": f"#/components/responses/{names[status]}"} for status in statuses}


def _intake() -> Json:
    return {
        "operationId": "createLeads",
        "summary": "Hand over one MQL or a batch of up to 500",
        "description": "A lead already known (same external_id, or same email and source "
        "within intake.dedup_window) is a duplicate: no second card.",
        "security": [{"bearerAuth": []}],
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"oneOf": [_ref("LeadIn"), _ref("LeadBatch")]}}
            },
        },
        "responses": {
            "201": _json(
                {"oneOf": [_ref("LeadResult"), _ref("BatchResult")]}, "At least one lead created."
            ),
            "200": _json(
                {"oneOf": [_ref("LeadResult"), _ref("BatchResult")]}, "Every lead a duplicate."
            ),
            **_refused(401, 413, 415, 422, 503),
        },
    }


def _outcome() -> Json:
    return {
        "operationId": "recordOutcome",
        "summary": "Report what became of a lead in the CRM",
        "security": [{"bearerAuth": []}],
        "parameters": [
            {
                "name": "ref",
                "in": "path",
                "required": True,
                "description": "The lead's external_id, or else Handoff's numeric id.",
                "schema": {"type": "string"},
            }
        ],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _ref("OutcomeIn")}},
        },
        "responses": {
            "201": _json(_ref("Outcome"), "A new outcome; the card's thread gets a reply."),
            "200": _json(_ref("Outcome"), "The same type was reported before; nothing changed."),
            "404": _json(_ref("Error"), "No lead has this reference."),
            "409": _json(_ref("Error"), "Contradicts an earlier outcome (won after lost)."),
            **_refused(401, 413, 415, 422, 503),
        },
    }


def _health() -> Json:
    return {
        "operationId": "health",
        "summary": "Is the store answering, is Slack reachable, how much is waiting",
        "responses": {
            "200": _json(_ref("Health"), "The database answers: ok or degraded."),
            "503": _json(_ref("Health"), "The database does not answer."),
        },
    }


# (path, method, operation): one line per operation.
OPERATIONS: list[tuple[str, str, Callable[[], Json]]] = [
    ("/api/leads", "post", _intake),
    (OUTCOME_ROUTE, "post", _outcome),
    ("/healthz", "get", _health),
]


@cache
def openapi_document() -> Json:
    paths: Json = {}
    for path, method, operation in OPERATIONS:
        paths.setdefault(path, {})[method] = operation()
    try:
        release = version("handoff")
    except PackageNotFoundError:  # running from a checkout that was never installed
        release = "0+unknown"
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Handoff",
            "version": release,
            "description": "Lead intake, CRM outcomes and health of the Handoff Slack bot.",
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"},
        },
        "paths": paths,
        "components": {
            "schemas": SCHEMAS,
            "responses": RESPONSES,
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "HANDOFF_INTAKE_TOKEN",
                }
            },
        },
    }


def make_openapi_endpoint() -> Callable[[Request], Awaitable[JSONResponse]]:
    async def openapi(request: Request) -> JSONResponse:
        return JSONResponse(openapi_document())

    return openapi
