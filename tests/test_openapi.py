"""The OpenAPI 3.1 document at /api/openapi.json stays true: real requests to the running
bot and its real answers are validated against it with openapi-core.

openapi-core, not bare jsonschema: it resolves the operation from the method and path
(path parameters included), picks the schema by status code and media type, checks
headers and the security scheme, and validates the schemas with the JSON Schema 2020-12
dialect that OpenAPI 3.1 uses; with bare jsonschema all of that would be ours to write.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

from tests.conftest import INTAKE_TOKEN
from tests.harness import BotServer

LEAD = {"email": "ana@example.com", "external_id": "crm-1", "company": "Acme", "score": 91}


class Request:
    """An httpx request as openapi-core reads one."""

    def __init__(self, request: httpx.Request) -> None:
        self._request = request
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(parse_qs(request.url.query.decode())),
            header=Headers(dict(request.headers)),
            cookie=ImmutableMultiDict(),
        )
        self.host_url = f"{request.url.scheme}://{request.url.netloc.decode()}"
        self.path = request.url.path
        self.method = request.method.lower()
        self.body = request.content or None
        self.content_type = request.headers.get("content-type", "")


class Response:
    def __init__(self, response: httpx.Response) -> None:
        self.status_code = response.status_code
        self.content_type = response.headers.get("content-type", "")
        self.headers = Headers(dict(response.headers))
        self.data = response.content


class Checked:
    """Sends requests to the bot and validates each exchange against its own document."""

    def __init__(self, bot: BotServer) -> None:
        self.bot = bot
        document = httpx.get(f"{bot.url}/api/openapi.json", timeout=5).json()
        document["servers"] = [{"url": bot.url}]
        self.api = OpenAPI.from_dict(document)
        self.seen: set[tuple[str, str, int]] = set()

    def send(self, method: str, path: str, *, valid: bool = True, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {INTAKE_TOKEN}", **kwargs.pop("headers", {})}
        response = httpx.request(
            method, f"{self.bot.url}{path}", headers=headers, timeout=10, **kwargs
        )
        request = Request(response.request)
        if valid:  # a request the document allows; the refused ones are the 4xx cases
            self.api.validate_request(request)
        self.api.validate_response(request, Response(response))
        self.seen.add((method.lower(), response.request.url.path, response.status_code))
        return response


def test_real_requests_and_answers_match_the_document(bot: BotServer) -> None:
    api = Checked(bot)
    assert api.send("POST", "/api/leads", json=LEAD).status_code == 201
    assert api.send("POST", "/api/leads", json=LEAD).status_code == 200
    batch = {"leads": [LEAD, {"email": "bo@example.com", "source": "ads"}]}
    assert api.send("POST", "/api/leads", json=batch).status_code == 201
    bad = {"leads": [{"email": "not-an-email"}]}
    assert api.send("POST", "/api/leads", json=bad, valid=False).status_code == 422
    assert api.send("POST", "/api/leads", content=b"x", valid=False).status_code == 415
    unauthorized = api.send(
        "POST", "/api/leads", json=LEAD, headers={"Authorization": "Bearer wrong"}, valid=False
    )
    assert unauthorized.status_code == 401

    won = {"type": "won", "amount": 12000, "currency": "EUR"}
    assert api.send("POST", "/api/leads/crm-1/outcome", json=won).status_code == 201
    assert api.send("POST", "/api/leads/crm-1/outcome", json=won).status_code == 200
    lost = {"type": "lost", "reason": "went with a competitor"}
    assert api.send("POST", "/api/leads/crm-1/outcome", json=lost).status_code == 409
    assert api.send("POST", "/api/leads/nobody/outcome", json=won).status_code == 404
    assert api.send("GET", "/healthz").status_code == 200


def test_the_document_is_openapi_3_1_and_covers_every_api_route(bot: BotServer) -> None:
    from openapi_spec_validator import validate

    document = httpx.get(f"{bot.url}/api/openapi.json", timeout=5).json()
    assert document["openapi"].startswith("3.1")
    validate(document)  # the OpenAPI 3.1 meta-schema
    routes = {
        route.path
        for route in bot.handoff.http.routes  # type: ignore[union-attr]
        if route.path.startswith("/api/") or route.path == "/healthz"
    }
    assert routes - {"/api/openapi.json"} == set(document["paths"])


@pytest.mark.parametrize("transport", ["socket"], indirect=True)
def test_health_over_socket_mode_matches_too(bot: BotServer) -> None:
    api = Checked(bot)
    health = api.send("GET", "/healthz").json()
    assert health["slack"]["socket"] == "connected"
