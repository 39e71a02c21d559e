"""HubSpot as Handoff's CRM: contacts are the records, deals the outcomes, owners the reps.

Pull: the CRM search API, filtered on the MQL definition and `mql.date_property`
(HubSpot stamps `hs_lifecyclestage_<stage>_date` when a contact enters a stage),
sorted by that date, paged with `after`; past the search API's 10,000-result cap
it starts a new search from the last date it read. Every call waits for the
client-side throttle (searches have their own, stricter one).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from html import escape
from typing import Any, TypeVar

from bot.crm.connector import (
    PAGE_SIZE,
    Activity,
    CheckProblem,
    CrmRecord,
    Decision,
    Note,
    Page,
    Standing,
    money,
    to_lead,
)
from bot.crm.deals import DealFacts, deal_outcomes
from bot.crm.errors import CrmAuthFailed, CrmError, CrmNotFound, CrmRateLimited
from bot.crm.throttle import Throttle, TooSoon
from bot.settings.crm import HubSpotConfig

from .client import BATCH_READ_MAX, SCOPES, SEARCH_RESULT_CAP, HubSpotClient
from .models import CrmObject, Filter, FilterGroup, Operator, Sort

T = TypeVar("T")
PROVIDER = "hubspot"
OWNER_PROPERTY = "hubspot_owner_id"
# Activity that counts as a touch: HubSpot's first engagement date and "last contacted"
# (calls, meetings, sales emails logged), never `notes_last_updated`, which our own
# rejection note moves.
TOUCH_PROPERTIES = ("hs_sa_first_engagement_date", "notes_last_contacted")
DEFAULT_PATIENCE_SECONDS = 1.0
# Counted by HubSpot on each contact; a contact without deals costs no deal search.
DEALS_COUNT = "num_associated_deals"
# What the connector calls: contacts read and write (search, read, update, notes), deals
# read (outcomes), owners read (reps), contact property definitions (`crm check`).
REQUIRED_SCOPES = tuple(
    scope
    for call in (
        "read_contacts",
        "write_contacts",
        "read_deals",
        "read_owners",
        "read_contact_properties",
    )
    for scope in SCOPES[call]
)


def parse_time(value: str | None) -> datetime | None:
    """A HubSpot datetime property: ISO 8601 or epoch milliseconds."""
    if not value:
        return None
    if value.isdigit():
        return datetime.fromtimestamp(int(value) / 1000, UTC)
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def epoch_ms(moment: datetime) -> str:
    """A datetime filter value as HubSpot's search documents it: milliseconds since the epoch."""
    return str(int(moment.timestamp() * 1000))


class HubSpotConnector:
    provider = PROVIDER
    touch_every = timedelta(minutes=5)

    def __init__(
        self, client: HubSpotClient, config: HubSpotConfig, *, default_currency: str
    ) -> None:
        self.client = client
        self.config = config
        self.default_currency = default_currency
        self._portal_id = config.portal_id
        self._calls = Throttle(config.requests_per_10s, 10.0)
        self._searches = Throttle(config.searches_per_second, 1.0)
        # How long a call may wait for our own pacing before it is answered "later"
        # (a rate-limited error the caller retries); a backfill may wait longer.
        self.patience = DEFAULT_PATIENCE_SECONDS

    async def aclose(self) -> None:
        await self.client.aclose()

    # ------------------------------------------------------------------ plumbing

    async def _call(
        self, call: Callable[..., Awaitable[T]], *args: Any, search: bool = False, **kwargs: Any
    ) -> T:
        try:
            if search:
                await self._searches.wait(self.patience)
            await self._calls.wait(self.patience)
        except TooSoon as exc:
            message = "held back to stay within HubSpot's rate limit"
            raise CrmRateLimited(
                message, retry_after=exc.seconds, vendor=PROVIDER, code="PACED"
            ) from exc
        try:
            return await call(*args, **kwargs)
        except CrmRateLimited as exc:
            # The portal's limit is shared with other apps: hold every call of ours.
            self._calls.pause(exc.retry_after)
            raise

    @property
    def _mql(self) -> Any:
        return self.config.mql

    def _mql_filters(self) -> list[Filter]:
        if self._mql.lifecycle_stage is not None:
            return [
                Filter(
                    propertyName="lifecyclestage",
                    operator=Operator.EQ,
                    value=self._mql.lifecycle_stage,
                )
            ]
        return [
            Filter(
                propertyName=self._mql.filter_property, operator=Operator.EQ, value=self._mql.value
            )
        ]

    def _is_mql(self, properties: Mapping[str, str | None]) -> tuple[bool, str]:
        if self._mql.lifecycle_stage is not None:
            stage = properties.get("lifecyclestage") or "(none)"
            return stage == self._mql.lifecycle_stage, f"lifecycle stage is now {stage}"
        name = self._mql.filter_property
        value = properties.get(name) or ""
        return value.casefold() == str(self._mql.value).casefold(), f"{name} is now {value!r}"

    def _properties(self) -> list[str]:
        names = {*self.config.field_map.values(), self._mql.date_property}
        names.add("lifecyclestage" if self._mql.lifecycle_stage else self._mql.filter_property)
        return sorted(names)

    async def _portal(self) -> int:
        if self._portal_id is None:
            self._portal_id = (await self._call(self.client.token_info)).hub_id
        return self._portal_id

    async def _record(self, contact: CrmObject) -> CrmRecord:
        url = f"{self.config.app_url}/contacts/{await self._portal()}/record/0-1/{contact.id}"
        changed = parse_time(contact.properties.get(self._mql.date_property))
        lead, problem = to_lead(contact.id, contact.properties, self.config.field_map, url)
        return CrmRecord(contact.id, changed or contact.updated_at, lead, problem)

    # --------------------------------------------------------------------- leads in

    async def pages(self, since: datetime) -> AsyncIterator[Page]:
        date_property = self._mql.date_property
        sorts = [Sort(propertyName=date_property, direction="ASCENDING")]
        start, after = since, None
        while True:
            since_filter = epoch_ms(start)
            window = Filter(propertyName=date_property, operator=Operator.GTE, value=since_filter)
            group = FilterGroup(filters=[*self._mql_filters(), window])
            page = await self._call(
                self.client.search_contacts,
                [group],
                properties=self._properties(),
                sorts=sorts,
                after=after,
                limit=PAGE_SIZE,
                search=True,
            )
            records = [await self._record(contact) for contact in page.results]
            if records:
                yield Page(records, max(r.changed_at for r in records))
            if page.next_after is None:
                return
            if int(page.next_after) + PAGE_SIZE > SEARCH_RESULT_CAP:
                # Past the cap HubSpot answers 400: search again from the last date read.
                newest = max(r.changed_at for r in records)
                if newest <= start:
                    return  # 10,000 contacts with one timestamp; nothing more can be read
                start, after = newest, None
            else:
                after = page.next_after

    async def fetch(self, record_id: str) -> CrmRecord | None:
        try:
            contact = await self._call(
                self.client.get_contact, record_id, properties=self._properties()
            )
        except CrmNotFound:
            return None
        if not self._is_mql(contact.properties)[0]:
            return None
        return await self._record(contact)

    async def standing(self, record_id: str) -> Standing:
        try:
            contact = await self._call(
                self.client.get_contact, record_id, properties=self._properties()
            )
        except CrmNotFound:
            return Standing(False, f"HubSpot contact {record_id} was deleted")
        if contact.id != record_id:
            return Standing(False, f"HubSpot contact {record_id} was merged into {contact.id}")
        is_mql, now = self._is_mql(contact.properties)
        return Standing(True) if is_mql else Standing(False, f"no longer an MQL: {now}")

    # -------------------------------------------------------------------- changes out

    async def owner_for_email(self, email: str) -> str | None:
        owners = await self._call(self.client.list_owners, email=email)
        active = [o for o in owners if not o.archived and (o.email or "").lower() == email.lower()]
        return active[0].id if active else None

    async def write(self, record_id: str, decision: Decision) -> None:
        values: dict[str, str | None] = dict(decision.values)
        write_back = self.config.write_back
        if decision.owner_id and write_back.owner:
            values[OWNER_PROPERTY] = decision.owner_id
        if write_back.reason_property and decision.reason is not None:
            values[write_back.reason_property] = decision.reason
        if write_back.comment_property and decision.reason is not None:
            values[write_back.comment_property] = decision.comment or ""
        if values:
            await self._call(self.client.update_contact, record_id, values)

    async def add_note(self, record_id: str, note: Note, *, look_first: bool) -> str:
        if look_first:
            notes = await self._call(self.client.notes_of_contact, record_id)
            for existing in notes:
                if note.marker in (existing.properties.get("hs_note_body") or ""):
                    return existing.id
        body = (
            f"<p><strong>{escape(note.subject)}</strong></p>"
            + "".join(f"<p>{escape(line)}</p>" for line in note.body.splitlines() if line)
            + f"<p>Handoff ref {escape(note.marker)}</p>"
        )
        created = await self._call(
            self.client.create_note, record_id, body, timestamp=note.at, owner_id=note.owner_id
        )
        return created.id

    # ------------------------------------------------------------ outcomes, touches

    async def activity(self, records: Sequence[tuple[str, datetime | None]]) -> dict[str, Activity]:
        posted = dict(records)
        found: dict[str, Activity] = {}
        ids = list(posted)
        for start in range(0, len(ids), BATCH_READ_MAX):
            batch = await self._call(
                self.client.batch_read_contacts,
                ids[start : start + BATCH_READ_MAX],
                properties=[*TOUCH_PROPERTIES, DEALS_COUNT],
            )
            for contact in batch.results:
                if contact.id in posted:  # a merged id answers with the primary: skip it
                    found[contact.id] = await self._contact_activity(contact, posted[contact.id])
        return found

    async def _contact_activity(self, contact: CrmObject, posted_at: datetime | None) -> Activity:
        touch = None
        if posted_at is not None:
            seen = [parse_time(contact.properties.get(name)) for name in TOUCH_PROPERTIES]
            after = [moment for moment in seen if moment is not None and moment >= posted_at]
            touch = min(after) if after else None
        deals = []
        if int(float(contact.properties.get(DEALS_COUNT) or 0)) > 0:
            deals = await self._call(self.client.deals_of_contact, contact.id, search=True)
        facts = [self._facts(deal) for deal in deals]
        return Activity(touch, deal_outcomes(facts, default_currency=self.default_currency))

    @staticmethod
    def _facts(deal: CrmObject) -> DealFacts:
        props = deal.properties
        closed = props.get("hs_is_closed") == "true" or props.get("dealstage") in (
            "closedwon",
            "closedlost",
        )
        won = props.get("hs_is_closed_won") == "true" or props.get("dealstage") == "closedwon"
        return DealFacts(
            created_at=deal.created_at,
            amount=money(props.get("amount")),
            currency=(props.get("deal_currency_code") or None),
            closed=closed,
            won=won,
            closed_at=parse_time(props.get("closedate")) if closed else None,
            lost_reason=props.get("closed_lost_reason"),
        )

    # ---------------------------------------------------------------------- check

    async def check(self, reps: Mapping[str, str]) -> list[CheckProblem]:
        try:
            info = await self._call(self.client.token_info)
        except CrmAuthFailed as exc:
            return [
                CheckProblem("HUBSPOT_ACCESS_TOKEN", f"HubSpot refused the token: {exc.message}")
            ]
        problems = [
            CheckProblem("HUBSPOT_ACCESS_TOKEN", f"the private app lacks the scope {scope}")
            for scope in info.missing(REQUIRED_SCOPES)
        ]
        try:
            definitions = {
                p.name: p for p in await self._call(self.client.list_properties, "contacts")
            }
        except CrmError as exc:
            return [
                *problems,
                CheckProblem("crm.hubspot", f"cannot read contact properties: {exc}"),
            ]
        for key, name, value in self._configured_properties():
            definition = definitions.get(name)
            if definition is None:
                problems.append(CheckProblem(key, f"HubSpot has no contact property {name!r}"))
                continue
            options = {str(o.get("value")) for o in definition.options}
            if value is not None and options and value not in options:
                problems.append(
                    CheckProblem(
                        key, f"{value!r} is not an option of {name} ({', '.join(sorted(options))})"
                    )
                )
        problems += await self._check_reps(reps)
        return problems

    def _configured_properties(self) -> list[tuple[str, str, str | None]]:
        """(key in app.yaml, property, value to be written or None) for every name configured."""
        config, found = self.config, []
        for lead_field, name in config.field_map.items():
            found.append((f"crm.hubspot.fields.{lead_field}", name, None))
        mql = config.mql
        if mql.lifecycle_stage is not None:
            found.append(("crm.hubspot.mql.lifecycle_stage", "lifecyclestage", mql.lifecycle_stage))
        else:
            found.append(("crm.hubspot.mql.property", mql.filter_property, None))
        found.append(("crm.hubspot.mql.since_property", mql.date_property, None))
        write_back = config.write_back
        for step in ("claim", "accept", "reject"):
            for name, value in getattr(write_back, step).items():
                found.append((f"crm.hubspot.write_back.{step}.{name}", name, value))
        for key in ("reason_property", "comment_property"):
            name = getattr(write_back, key)
            if name:
                found.append((f"crm.hubspot.write_back.{key}", name, None))
        if write_back.owner:
            found.append(("crm.hubspot.write_back.owner", OWNER_PROPERTY, None))
        return found

    async def _check_reps(self, reps: Mapping[str, str]) -> list[CheckProblem]:
        problems = []
        for user_id, email in sorted(reps.items()):
            if not await self.owner_for_email(email):
                problems.append(
                    CheckProblem(
                        f"crm.owners.{user_id}",
                        f"no HubSpot owner has the address {email}; add the rep as a user "
                        "in HubSpot or map the Slack user in crm.owners",
                    )
                )
        return problems
