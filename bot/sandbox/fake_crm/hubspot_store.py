"""The fake HubSpot portal's state, and the helpers tests and the demo use to change it.

One re-entrant lock guards everything; the HTTP layer (`hubspot_app.py`) holds it for
each whole request. Record timestamps come from an injectable clock, so a test can set
`createdAt` / `lastmodifieddate` exactly and move time to exercise a poller's cursor.
Every change a helper makes also queues the webhook events HubSpot would send for it
(`pending_events`), which `HubSpotWebhookSender.send()` delivers.

Methods whose names start with an underscore (`_new`, `_set`) are the HTTP layer's
building blocks: they expect the caller to hold `lock` and queue no webhook events.
"""

from __future__ import annotations

import copy
import itertools
import threading
from datetime import UTC, datetime
from typing import Any

from bot.timekeeping.clock import Clock, SystemClock

from . import hubspot_schema as schema
from .common import Call, Faults, SlidingWindow

DEFAULT_TOKEN = "pat-na1-fake-hubspot-token"
DEFAULT_CLIENT_SECRET = "fake-hubspot-client-secret"
DEFAULT_PORTAL_ID = 62515
DEFAULT_APP_ID = 54321


def iso(moment: datetime) -> str:
    """HubSpot's datetime property format: UTC ISO 8601 with milliseconds and Z."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class HubSpotError(Exception):
    """An error answer: HTTP status and the vendor's JSON body."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(body.get("message"))
        self.status = status
        self.body = body


class FakeHubSpot:
    """A HubSpot portal in memory: contacts, deals, notes, owners, tokens and their scopes."""

    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        scopes: list[str] | None = None,
        client_secret: str = DEFAULT_CLIENT_SECRET,
        portal_id: int = DEFAULT_PORTAL_ID,
        app_id: int = DEFAULT_APP_ID,
        clock: Clock | None = None,
    ) -> None:
        self.lock = threading.RLock()
        self.client_secret = client_secret
        self.portal_id = portal_id
        self.app_id = app_id
        self.clock: Clock = clock or SystemClock()
        self.tokens: dict[str, list[str]] = {token: list(scopes or schema.ALL_SCOPES)}
        self.faults = Faults(self.lock)
        self.limits: dict[str, SlidingWindow] = {}
        self.retry_after_header = False
        self.objects: dict[str, dict[str, dict[str, Any]]] = {"contacts": {}, "deals": {}}
        self.objects["notes"] = {}
        self.archived: dict[str, dict[str, Any]] = {}
        self.merged_into: dict[str, str] = {}
        self.deal_contacts: dict[str, set[str]] = {}
        self.note_contacts: dict[str, str] = {}
        self.owners: dict[str, dict[str, Any]] = {}
        self.properties = {t: schema.property_definitions(t) for t in ("contacts", "deals")}
        self.properties["notes"] = schema.property_definitions("notes")
        self._calls: list[Call] = []
        self._events: list[dict[str, Any]] = []
        self._ids = itertools.count(101)
        self._event_ids = itertools.count(1)

    # ----------------------------------------------------------- tokens, limits

    def add_token(self, token: str, scopes: list[str]) -> None:
        with self.lock:
            self.tokens[token] = list(scopes)

    def set_rate_limit(self, policy: str, limit: int | None, window_seconds: float = 10.0) -> None:
        """Limit every call ("TEN_SECONDLY_ROLLING", "DAILY") or searches ("SECONDLY").

        A search counts against both, as on HubSpot; None removes the limit.
        """
        with self.lock:
            if limit is None:
                self.limits.pop(policy, None)
            else:
                self.limits[policy] = SlidingWindow(limit, window_seconds)

    # ------------------------------------------------------------------ records

    def now(self) -> str:
        return iso(self.clock.now())

    def next_id(self) -> str:
        return str(next(self._ids))

    def add_owner(
        self,
        email: str,
        first_name: str = "",
        last_name: str = "",
        *,
        owner_id: str | None = None,
        user_id: int | None = None,
        archived: bool = False,
    ) -> dict[str, Any]:
        with self.lock:
            oid = owner_id or self.next_id()
            owner = {
                "id": oid,
                "email": email,
                "type": "PERSON",
                "firstName": first_name,
                "lastName": last_name,
                "userId": user_id if user_id is not None else int(oid) + 9_000_000,
                "createdAt": self.now(),
                "updatedAt": self.now(),
                "archived": archived,
                "teams": [],
            }
            self.owners[oid] = owner
            return copy.deepcopy(owner)

    def add_property(self, object_type: str, name: str, kind: str = "string") -> None:
        """Define a custom property (a portal admin would do this in settings)."""
        field = {
            "string": "text",
            "number": "number",
            "datetime": "date",
            "bool": "booleancheckbox",
        }
        with self.lock:
            self.properties[object_type].append(
                schema.definition(name, kind, field.get(kind, "text"), False)
            )

    def property_type(self, object_type: str, name: str) -> str | None:
        for item in self.properties[object_type]:
            if item["name"] == name:
                return item["type"]
        return None

    def create_contact(
        self, properties: dict[str, Any] | None = None, *, created_at: datetime | None = None
    ) -> dict[str, Any]:
        """A new contact; `created_at` (default: the clock) sets createdate too."""
        with self.lock:
            record = self._new("contacts", created_at)
            self._set(record, "contacts", properties or {})
            self._event("contact.creation", record["id"], changeFlag="CREATED")
            return copy.deepcopy(record)

    def update_contact(
        self, contact_id: str, properties: dict[str, Any], *, at: datetime | None = None
    ) -> dict[str, Any]:
        with self.lock:
            record = self.objects["contacts"][str(contact_id)]
            changed = self._set(record, "contacts", properties, at=at)
            for name in changed:
                value = record["properties"].get(name)
                self._event(
                    "contact.propertyChange", record["id"], propertyName=name, propertyValue=value
                )
            return copy.deepcopy(record)

    def make_mql(self, contact_id: str, *, at: datetime | None = None) -> dict[str, Any]:
        """Lifecycle stage to MQL, with the date property HubSpot sets alongside it."""
        moment = at or self.clock.now()
        return self.update_contact(
            contact_id,
            {
                "lifecyclestage": "marketingqualifiedlead",
                "hs_lifecyclestage_marketingqualifiedlead_date": iso(moment),
            },
            at=moment,
        )

    def add_deal(
        self,
        contact_id: str,
        *,
        amount: float | None = None,
        currency: str = "USD",
        stage: str = "appointmentscheduled",
        won: bool | None = None,
        lost_reason: str | None = None,
        close_date: datetime | None = None,
        name: str = "Deal",
        created_at: datetime | None = None,
    ) -> dict[str, Any]:
        """A deal associated with the contact; `won=True/False` closes it won/lost."""
        props: dict[str, Any] = {"dealname": name, "pipeline": "default", "dealstage": stage}
        props["deal_currency_code"] = currency
        props["hs_is_closed"] = "false"
        props["hs_is_closed_won"] = "false"
        if amount is not None:
            props["amount"] = str(amount)
        if won is not None:
            props["dealstage"] = "closedwon" if won else "closedlost"
            props["hs_is_closed"] = "true"
            props["hs_is_closed_won"] = "true" if won else "false"
        if lost_reason is not None:
            props["closed_lost_reason"] = lost_reason
        if close_date is not None:
            props["closedate"] = iso(close_date)
        with self.lock:
            record = self._new("deals", created_at)
            self._set(record, "deals", props)
            self.deal_contacts[record["id"]] = {str(contact_id)}
            # HubSpot keeps this count on the contact as associations change.
            contact = self.objects["contacts"].get(str(contact_id))
            if contact is not None:
                count = sum(str(contact_id) in cs for cs in self.deal_contacts.values())
                self._set(contact, "contacts", {"num_associated_deals": str(count)})
            return copy.deepcopy(record)

    def log_sales_activity(
        self, contact_id: str, *, at: datetime | None = None, kind: str = "CALL"
    ) -> None:
        """What logging a call or email does to the contact's activity properties."""
        moment = iso(at or self.clock.now())
        with self.lock:
            record = self.objects["contacts"][str(contact_id)]
            first = record["properties"].get("hs_sa_first_engagement_date") or moment
            count = int(record["properties"].get("num_contacted_notes") or 0) + 1
            self.update_contact(
                contact_id,
                {
                    "notes_last_contacted": moment,
                    "notes_last_updated": moment,
                    "hs_last_sales_activity_timestamp": moment,
                    "hs_sa_first_engagement_date": first,
                    "num_contacted_notes": str(count),
                },
                at=at,
            )

    def delete_contact(self, contact_id: str, *, privacy: bool = False) -> None:
        """Archive a contact (or GDPR-delete it, which sends contact.privacyDeletion)."""
        with self.lock:
            record = self.objects["contacts"].pop(str(contact_id))
            record["archived"] = True
            if not privacy:
                self.archived[record["id"]] = record
            kind = "contact.privacyDeletion" if privacy else "contact.deletion"
            self._event(kind, record["id"], changeFlag="DELETED")

    def merge_contacts(self, primary_id: str, merged_id: str) -> dict[str, Any]:
        """Merge `merged_id` into `primary_id`: the old id now reads as the primary."""
        with self.lock:
            primary = self.objects["contacts"][str(primary_id)]
            merged = self.objects["contacts"].pop(str(merged_id))
            for name, value in merged["properties"].items():
                if value not in (None, "") and primary["properties"].get(name) in (None, ""):
                    primary["properties"][name] = value
            ids = [i for i in (primary["properties"].get("hs_merged_object_ids") or "").split(";")]
            primary["properties"]["hs_merged_object_ids"] = ";".join(
                [*filter(None, ids), merged["id"]]
            )
            self.merged_into[merged["id"]] = primary["id"]
            self._touch(primary, "contacts", None)
            self._event(
                "contact.merge",
                primary["id"],
                primaryObjectId=int(primary["id"]),
                mergedObjectIds=[int(merged["id"])],
                newObjectId=int(primary["id"]),
            )
            return copy.deepcopy(primary)

    # ------------------------------------------------------------- inspection

    def contact(self, contact_id: str) -> dict[str, Any]:
        with self.lock:
            return copy.deepcopy(self.objects["contacts"][str(contact_id)])

    def notes_of(self, contact_id: str) -> list[dict[str, Any]]:
        with self.lock:
            ids = [n for n, c in self.note_contacts.items() if c == str(contact_id)]
            return [copy.deepcopy(self.objects["notes"][n]) for n in ids]

    def calls(self, endpoint: str | None = None) -> list[Call]:
        with self.lock:
            return [c for c in self._calls if endpoint is None or c.endpoint == endpoint]

    def record_call(self, call: Call) -> None:
        with self.lock:
            self._calls.append(call)

    def pending_events(self) -> list[dict[str, Any]]:
        with self.lock:
            return copy.deepcopy(self._events)

    def take_events(self) -> list[dict[str, Any]]:
        with self.lock:
            events, self._events = self._events, []
            return events

    # -------------------------------------------------------- building blocks

    def resolve_contact(self, contact_id: str) -> dict[str, Any] | None:
        """The live contact for an id, following merges (as HubSpot's reads do)."""
        cid = str(contact_id)
        while cid in self.merged_into:
            cid = self.merged_into[cid]
        return self.objects["contacts"].get(cid)

    def _new(self, object_type: str, created_at: datetime | None) -> dict[str, Any]:
        moment = iso(created_at or self.clock.now())
        oid = self.next_id()
        props = {schema.CREATED_PROPERTY[object_type]: moment, "hs_object_id": oid}
        record = {"id": oid, "properties": props, "createdAt": moment, "updatedAt": moment}
        record["archived"] = False
        self.objects[object_type][oid] = record
        return record

    def _set(
        self,
        record: dict[str, Any],
        object_type: str,
        properties: dict[str, Any],
        *,
        at: datetime | None = None,
    ) -> list[str]:
        changed = []
        for name, value in properties.items():
            text = None if value is None else str(value)
            if record["properties"].get(name) != text:
                record["properties"][name] = text
                changed.append(name)
        self._touch(record, object_type, at)
        return changed

    def _touch(self, record: dict[str, Any], object_type: str, at: datetime | None) -> None:
        moment = iso(at or self.clock.now())
        record["updatedAt"] = moment
        if object_type in schema.MODIFIED_PROPERTY:
            record["properties"][schema.MODIFIED_PROPERTY[object_type]] = moment

    def _event(self, subscription_type: str, object_id: str, **fields: Any) -> None:
        event = {
            "eventId": next(self._event_ids),
            "subscriptionId": 1000 + len(subscription_type),
            "portalId": self.portal_id,
            "appId": self.app_id,
            "occurredAt": int(self.clock.now().timestamp() * 1000),
            "subscriptionType": subscription_type,
            "attemptNumber": 0,
            "objectId": int(object_id),
            "changeSource": "CRM_UI",
            **fields,
        }
        self._events.append(event)
