"""An async Salesforce REST client over httpx, authenticated by the client-credentials flow.

From Salesforce's REST API Developer Guide and the OAuth 2.0 Client Credentials Flow
help page:

- Token: `POST {My Domain}/services/oauth2/token` with form fields
  `grant_type=client_credentials, client_id, client_secret`; the answer has
  `access_token` and `instance_url` (plus `token_type`, `issued_at`, `signature`).
  There is no refresh token: when the REST API answers 401 INVALID_SESSION_ID we
  request a new token and repeat the call once. One asyncio.Lock makes concurrent
  callers share one token request, both at first use and after expiry.
- Query: `GET /services/data/vXX.X/query?q=SOQL` answers `{totalSize, done,
  nextRecordsUrl?, records[] {attributes {type, url}, ...}}`; up to 2,000 records a
  batch (the `Sforce-Query-Options: batchSize=N` header asks for fewer, minimum 200);
  the rest come from `GET nextRecordsUrl`.
- Records: `GET|PATCH /sobjects/{type}/{id}` (PATCH answers 204),
  `POST /sobjects/{type}` (201 `{id, success, errors}`), `GET /sobjects/{type}/describe`,
  `GET /limits`.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import httpx

from bot.crm.errors import CrmAuthFailed, CrmPermanent, CrmUnavailable

from .errors import VENDOR, error_from_response, first_error, token_error
from .models import Limit, SObjectDescribe, TokenResponse

logger = logging.getLogger(__name__)

DEFAULT_API_VERSION = "62.0"
_SOBJECT = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,79}$")
_RECORD_ID = re.compile(r"^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$")


class SalesforceClient:
    """Salesforce over HTTP as a connected app's run-as user. Use `async with`."""

    def __init__(
        self,
        instance_url: str,
        client_id: str,
        client_secret: str,
        *,
        api_version: str = DEFAULT_API_VERSION,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if not (client_id and client_secret):
            raise ValueError("a Salesforce client id and secret are required")
        self._login_url = instance_url.rstrip("/")
        self._client_id = client_id
        self._client_secret = client_secret
        self.api_version = api_version.removeprefix("v")
        self._http = httpx.AsyncClient(timeout=timeout, transport=transport)
        self._token: TokenResponse | None = None
        self._token_lock = asyncio.Lock()
        self.token_requests = 0  # how many tokens we asked for (for health checks)

    def __repr__(self) -> str:  # never show the secret or the token
        return f"SalesforceClient(instance_url={self._login_url!r})"

    async def __aenter__(self) -> SalesforceClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    @property
    def data_path(self) -> str:
        return f"/services/data/v{self.api_version}"

    # ------------------------------------------------------------------- queries

    async def query(
        self, soql: str, *, batch_size: int | None = None
    ) -> AsyncIterator[dict[str, Any]]:
        """Every record the SOQL matches, following `nextRecordsUrl` page after page."""
        headers = {"Sforce-Query-Options": f"batchSize={batch_size}"} if batch_size else None
        page = await self._call(
            "GET", f"{self.data_path}/query", params={"q": soql}, headers=headers
        )
        while True:
            for record in page.get("records", []):
                yield record
            next_url = page.get("nextRecordsUrl")
            if page.get("done", True) or not next_url:
                return
            page = await self._call("GET", _relative(next_url), headers=headers)

    async def query_all(self, soql: str) -> list[dict[str, Any]]:
        return [record async for record in self.query(soql)]

    async def query_one(self, soql: str) -> dict[str, Any] | None:
        """The first record the SOQL matches, or None (add LIMIT 1 to the SOQL yourself)."""
        async for record in self.query(soql):
            return record
        return None

    # ------------------------------------------------------------------- records

    async def get(self, sobject: str, record_id: str, fields: Sequence[str] = ()) -> dict[str, Any]:
        params = {"fields": ",".join(fields)} if fields else None
        return await self._call("GET", self._record_path(sobject, record_id), params=params)

    async def update(self, sobject: str, record_id: str, fields: Mapping[str, Any]) -> None:
        """PATCH the record's fields (Salesforce answers 204 No Content)."""
        await self._call("PATCH", self._record_path(sobject, record_id), json=dict(fields))

    async def create(self, sobject: str, fields: Mapping[str, Any]) -> str:
        """Create a record and return its id."""
        path = f"{self.data_path}/sobjects/{_sobject(sobject)}"
        data = await self._call("POST", path, json=dict(fields))
        if not data.get("success", False) or not data.get("id"):
            errors = data.get("errors") or []
            raise CrmPermanent(f"create {sobject} failed: {errors}", vendor=VENDOR, status=201)
        return str(data["id"])

    async def describe(self, sobject: str) -> SObjectDescribe:
        data = await self._call("GET", f"{self.data_path}/sobjects/{_sobject(sobject)}/describe")
        return SObjectDescribe.model_validate(data)

    async def limits(self) -> dict[str, Limit]:
        data = await self._call("GET", f"{self.data_path}/limits")
        return {name: Limit.model_validate(value) for name, value in data.items()}

    async def active_users(self) -> list[dict[str, Any]]:
        """Id, Email and Name of every active user (to map record owners to people)."""
        soql = "SELECT Id, Email, Name, IsActive FROM User WHERE IsActive = true ORDER BY Id"
        return await self.query_all(soql)

    def _record_path(self, sobject: str, record_id: str) -> str:
        if not _RECORD_ID.match(record_id):
            raise ValueError(f"not a Salesforce record id: {record_id!r}")
        return f"{self.data_path}/sobjects/{_sobject(sobject)}/{record_id}"

    # ------------------------------------------------------------------- plumbing

    async def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        token = await self._current_token()
        response = await self._send(method, token, path, params, json, headers)
        if response.status_code == 401 and first_error(response)[0] == "INVALID_SESSION_ID":
            token = await self._refresh(stale=token)
            response = await self._send(method, token, path, params, json, headers)
        if response.status_code >= 300:
            raise error_from_response(response)
        if response.status_code == 204 or not response.content:
            return {}
        return response.json()

    async def _send(
        self,
        method: str,
        token: TokenResponse,
        path: str,
        params: Mapping[str, str] | None,
        json: Any,
        headers: Mapping[str, str] | None,
    ) -> httpx.Response:
        url = token.instance_url.rstrip("/") + path
        all_headers = {"Authorization": f"Bearer {token.access_token}", **(headers or {})}
        try:
            return await self._http.request(
                method, url, params=params, json=json, headers=all_headers
            )
        except httpx.TimeoutException as exc:
            raise CrmUnavailable(f"{method} {path} timed out", vendor=VENDOR) from exc
        except httpx.TransportError as exc:
            message = f"{method} {path} failed: {type(exc).__name__}"
            raise CrmUnavailable(message, vendor=VENDOR) from exc

    async def _current_token(self) -> TokenResponse:
        if self._token is not None:
            return self._token
        async with self._token_lock:
            if self._token is None:
                self._token = await self._fetch_token()
            return self._token

    async def _refresh(self, *, stale: TokenResponse) -> TokenResponse:
        """A new token, unless another caller already replaced the stale one meanwhile."""
        async with self._token_lock:
            if self._token is None or self._token.access_token == stale.access_token:
                self._token = await self._fetch_token()
            return self._token

    async def _fetch_token(self) -> TokenResponse:
        self.token_requests += 1
        form = {
            "grant_type": "client_credentials",
            "client_id": self._client_id,
            "client_secret": self._client_secret,
        }
        url = f"{self._login_url}/services/oauth2/token"
        try:
            response = await self._http.post(url, data=form)
        except httpx.TimeoutException as exc:
            raise CrmUnavailable("token request timed out", vendor=VENDOR) from exc
        except httpx.TransportError as exc:
            message = f"token request failed: {type(exc).__name__}"
            raise CrmUnavailable(message, vendor=VENDOR) from exc
        if response.status_code != 200:
            raise token_error(response)
        try:
            token = TokenResponse.model_validate(response.json())
        except ValueError as exc:
            raise CrmAuthFailed("token answer was not understood", vendor=VENDOR) from exc
        logger.info("salesforce: new access token for %s", token.instance_url)
        return token


def _sobject(name: str) -> str:
    if not _SOBJECT.match(name):
        raise ValueError(f"not an sObject name: {name!r}")
    return name


def _relative(url: str) -> str:
    """nextRecordsUrl is a path on the instance; refuse one that points elsewhere."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or not parts.path.startswith("/services/data/"):
        raise CrmPermanent(f"unexpected nextRecordsUrl {url!r}", vendor=VENDOR)
    return parts.path + (f"?{parts.query}" if parts.query else "")
