"""An async HubSpot CRM v3 client over httpx, with exactly the calls a connector needs.

Endpoints (HubSpot's public API reference, "CRM > Contacts / Deals / Notes / Search /
Owners / Properties" and "Private apps"):

- `POST /crm/v3/objects/{contacts|deals}/search`: filterGroups (ORed) of filters
  (ANDed), sorts, properties, `limit` (HubSpot documents 200 per page; we default to
  100), `after` cursor; response `{total, results, paging.next.after}`. The search API
  never returns past 10,000 results per query and has its own per-second limit.
- `GET /crm/v3/objects/contacts/{id}?properties=..&associations=..`, and
  `POST /crm/v3/objects/contacts/batch/read` (`{properties, inputs:[{id}]}`; HTTP 207
  with `errors[].context.ids` when some ids are missing).
- `PATCH /crm/v3/objects/contacts/{id}` with `{properties}`.
- `POST /crm/v3/objects/notes` with `hs_timestamp`, `hs_note_body` and an association
  to the contact (HUBSPOT_DEFINED type 202, note to contact).
- `GET /crm/v3/owners` (paged by `after`), `GET /crm/v3/properties/{objectType}`.
- `POST /oauth/v2/private-apps/get/access-token-info` with `{"tokenKey": token}`:
  the private-app token's `hubId` and `scopes`.

Errors are `{status: "error", message, correlationId, category, errors?}`; 429 bodies
add `errorType: RATE_LIMIT` and `policyName` (SECONDLY, TEN_SECONDLY_ROLLING, DAILY).
See `bot/crm/errors.py` for how each maps to an exception.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import httpx

from bot.crm.errors import CrmUnavailable

from .errors import VENDOR, error_from_response
from .models import (
    BatchReadResult,
    CrmObject,
    FilterGroup,
    Operator,
    Owner,
    PropertyDefinition,
    SearchPage,
    Sort,
    TokenInfo,
)
from .models import Filter as SearchFilter

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.hubapi.com"
SEARCH_PAGE_LIMIT = 100
# HubSpot stops a search at 10,000 results; page past it and it answers 400.
SEARCH_RESULT_CAP = 10_000
BATCH_READ_MAX = 100
OWNERS_PAGE_LIMIT = 100
NOTE_TO_CONTACT_ASSOCIATION_TYPE = 202


DEAL_PROPERTIES = (
    "dealname",
    "amount",
    "deal_currency_code",
    "dealstage",
    "pipeline",
    "closedate",
    "hs_is_closed",
    "hs_is_closed_won",
    "closed_lost_reason",
    "hubspot_owner_id",
)
ACTIVITY_PROPERTIES = (
    "hubspot_owner_id",
    "notes_last_contacted",
    "notes_last_updated",
    "hs_last_sales_activity_timestamp",
    "hs_sa_first_engagement_date",
    "num_contacted_notes",
)
# Scopes each call needs, so a health check can compare them with `token_info()`.
SCOPES = {
    "read_contacts": ("crm.objects.contacts.read",),
    "write_contacts": ("crm.objects.contacts.write",),
    "read_deals": ("crm.objects.deals.read",),
    "read_owners": ("crm.objects.owners.read",),
    "read_contact_properties": ("crm.schemas.contacts.read",),
    "read_deal_properties": ("crm.schemas.deals.read",),
}


class HubSpotClient:
    """HubSpot over HTTP with a private-app token. Use `async with`, or call `aclose()`."""

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        token: str = "",
        *,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if not token:
            raise ValueError("a HubSpot private-app token is required")
        self._token = token
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            timeout=timeout,
            transport=transport,
        )

    def __repr__(self) -> str:  # never show the token
        return f"HubSpotClient(base_url={str(self._http.base_url)!r})"

    async def __aenter__(self) -> HubSpotClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # ------------------------------------------------------------------ contacts

    async def search_contacts(
        self,
        filter_groups: Sequence[FilterGroup] = (),
        *,
        properties: Sequence[str] = (),
        sorts: Sequence[Sort] = (),
        after: str | None = None,
        limit: int = SEARCH_PAGE_LIMIT,
    ) -> SearchPage:
        """One page of contacts matching `filter_groups`; pass `page.next_after` on."""
        return await self._search("contacts", filter_groups, properties, sorts, after, limit)

    async def iter_contacts(
        self,
        filter_groups: Sequence[FilterGroup] = (),
        *,
        properties: Sequence[str] = (),
        sorts: Sequence[Sort] = (),
        limit: int = SEARCH_PAGE_LIMIT,
    ) -> AsyncIterator[CrmObject]:
        """Every matching contact, page after page, up to HubSpot's 10,000-result cap.

        A poller that may exceed the cap should sort by a timestamp and narrow its
        filter from the last record it saw, rather than page further.
        """
        after: str | None = None
        while True:
            page = await self.search_contacts(
                filter_groups, properties=properties, sorts=sorts, after=after, limit=limit
            )
            for record in page.results:
                yield record
            if page.next_after is None or int(page.next_after) >= SEARCH_RESULT_CAP:
                return
            after = page.next_after

    async def get_contact(
        self,
        contact_id: str,
        *,
        properties: Sequence[str] = (),
        associations: Sequence[str] = (),
    ) -> CrmObject:
        """One contact; raises CrmNotFound if it doesn't exist (or was merged away)."""
        params: dict[str, str] = {}
        if properties:
            params["properties"] = ",".join(properties)
        if associations:
            params["associations"] = ",".join(associations)
        data = await self._call("GET", f"/crm/v3/objects/contacts/{_id(contact_id)}", params=params)
        return CrmObject.from_api(data)

    async def batch_read_contacts(
        self, contact_ids: Sequence[str], *, properties: Sequence[str] = ()
    ) -> BatchReadResult:
        """Up to 100 contacts in one call; ids HubSpot can't find are in `missing_ids`."""
        return await self._batch_read("contacts", contact_ids, properties)

    async def notes_of_contact(
        self, contact_id: str, *, properties: Sequence[str] = ("hs_note_body", "hs_timestamp")
    ) -> list[CrmObject]:
        """The notes associated with a contact (its association list, then a batch read)."""
        contact = await self.get_contact(contact_id, associations=("notes",))
        ids = [ref.id for ref in contact.associations.get("notes", [])]
        notes: list[CrmObject] = []
        for start in range(0, len(ids), BATCH_READ_MAX):
            chunk = ids[start : start + BATCH_READ_MAX]
            notes.extend((await self._batch_read("notes", chunk, properties)).results)
        return notes

    async def _batch_read(
        self, object_type: str, ids: Sequence[str], properties: Sequence[str]
    ) -> BatchReadResult:
        if len(ids) > BATCH_READ_MAX:
            raise ValueError(f"batch read takes at most {BATCH_READ_MAX} ids")
        body = {"properties": list(properties), "inputs": [{"id": str(i)} for i in ids]}
        path = f"/crm/v3/objects/{_id(object_type)}/batch/read"
        data = await self._call("POST", path, json=body)
        missing = [
            str(i)
            for error in data.get("errors", [])
            for i in (error.get("context") or {}).get("ids", [])
        ]
        results = [CrmObject.from_api(item) for item in data.get("results", [])]
        return BatchReadResult(results=results, missing_ids=missing)

    async def update_contact(
        self, contact_id: str, properties: Mapping[str, str | None]
    ) -> CrmObject:
        """Set contact properties (None clears one as "")."""
        body = {"properties": {k: "" if v is None else str(v) for k, v in properties.items()}}
        path = f"/crm/v3/objects/contacts/{_id(contact_id)}"
        return CrmObject.from_api(await self._call("PATCH", path, json=body))

    async def get_contact_activity(self, contact_id: str) -> CrmObject:
        """The contact's owner and last-contacted / last-activity properties, nothing else."""
        return await self.get_contact(contact_id, properties=ACTIVITY_PROPERTIES)

    async def create_note(
        self,
        contact_id: str,
        body: str,
        *,
        timestamp: datetime,
        owner_id: str | None = None,
    ) -> CrmObject:
        """Log a note on the contact's timeline at `timestamp`."""
        properties = {"hs_timestamp": _iso(timestamp), "hs_note_body": body}
        if owner_id is not None:
            properties["hubspot_owner_id"] = owner_id
        payload = {
            "properties": properties,
            "associations": [
                {
                    "to": {"id": str(contact_id)},
                    "types": [
                        {
                            "associationCategory": "HUBSPOT_DEFINED",
                            "associationTypeId": NOTE_TO_CONTACT_ASSOCIATION_TYPE,
                        }
                    ],
                }
            ],
        }
        return CrmObject.from_api(await self._call("POST", "/crm/v3/objects/notes", json=payload))

    # --------------------------------------------------------------------- deals

    async def deals_of_contact(
        self, contact_id: str, *, properties: Sequence[str] = DEAL_PROPERTIES
    ) -> list[CrmObject]:
        """Every deal associated with the contact, oldest first (search on associations.contact)."""
        group = FilterGroup(
            filters=[
                SearchFilter(
                    propertyName="associations.contact", operator=Operator.EQ, value=str(contact_id)
                )
            ]
        )
        sorts = [Sort(propertyName="createdate", direction="ASCENDING")]
        deals: list[CrmObject] = []
        after: str | None = None
        while True:
            page = await self._search("deals", [group], properties, sorts, after, SEARCH_PAGE_LIMIT)
            deals.extend(page.results)
            if page.next_after is None:
                return deals
            after = page.next_after

    # --------------------------------------------------------- owners, metadata

    async def list_owners(self, *, email: str | None = None) -> list[Owner]:
        """All active owners (every page), or the ones with `email`."""
        owners: list[Owner] = []
        params: dict[str, str] = {"limit": str(OWNERS_PAGE_LIMIT)}
        if email is not None:
            params["email"] = email
        while True:
            data = await self._call("GET", "/crm/v3/owners", params=params)
            owners.extend(Owner.model_validate(item) for item in data.get("results", []))
            after = _next_after(data)
            if after is None:
                return owners
            params["after"] = after

    async def list_properties(self, object_type: str = "contacts") -> list[PropertyDefinition]:
        """Property definitions of "contacts" or "deals" (to check a mapping's names)."""
        data = await self._call("GET", f"/crm/v3/properties/{_id(object_type)}")
        return [PropertyDefinition.from_api(item) for item in data.get("results", [])]

    async def token_info(self) -> TokenInfo:
        """The token's portal id and scopes (needs no scope itself)."""
        data = await self._call(
            "POST", "/oauth/v2/private-apps/get/access-token-info", json={"tokenKey": self._token}
        )
        return TokenInfo.model_validate(data)

    # ------------------------------------------------------------------ plumbing

    async def _search(
        self,
        object_type: str,
        filter_groups: Iterable[FilterGroup],
        properties: Sequence[str],
        sorts: Sequence[Sort],
        after: str | None,
        limit: int,
    ) -> SearchPage:
        body: dict[str, Any] = {
            "filterGroups": [g.model_dump(by_alias=True, exclude_none=True) for g in filter_groups],
            "sorts": [s.model_dump(by_alias=True) for s in sorts],
            "properties": list(properties),
            "limit": limit,
        }
        if after is not None:
            body["after"] = after
        data = await self._call("POST", f"/crm/v3/objects/{object_type}/search", json=body)
        return SearchPage(
            total=int(data.get("total", 0)),
            results=[CrmObject.from_api(item) for item in data.get("results", [])],
            next_after=_next_after(data),
        )

    async def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
    ) -> dict[str, Any]:
        try:
            response = await self._http.request(method, path, params=params, json=json)
        except httpx.TimeoutException as exc:
            raise CrmUnavailable(f"{method} {path} timed out", vendor=VENDOR) from exc
        except httpx.TransportError as exc:
            message = f"{method} {path} failed: {type(exc).__name__}"
            raise CrmUnavailable(message, vendor=VENDOR) from exc
        if response.status_code < 300 or response.status_code == 207:
            return response.json() if response.content else {}
        raise error_from_response(response)


def _next_after(data: Mapping[str, Any]) -> str | None:
    after = ((data.get("paging") or {}).get("next") or {}).get("after")
    return None if after is None else str(after)


def _id(value: str) -> str:
    """A path segment: ids and object types are plain tokens, never paths or queries."""
    text = str(value)
    if not text or any(c in text for c in "/?#%\\") or text in {".", ".."}:
        raise ValueError(f"not a valid HubSpot id: {text!r}")
    return text


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
