"""Salesforce as Handoff's CRM: Leads are the records, opportunities the outcomes, users the reps.

Pull: one SOQL query, `crm.salesforce.mql_where` AND not converted AND
`SystemModstamp >= cursor` (the indexed audit field Salesforce recommends for
polling), ordered by it, followed through `nextRecordsUrl`. Every value pasted into
SOQL goes through `literal`/`quote`; the team's condition was checked at load time.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

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
from bot.crm.errors import CrmAuthFailed, CrmError, CrmNotFound, CrmPermanent
from bot.settings.crm import SalesforceConfig

from .client import SalesforceClient
from .models import SObjectDescribe, fields_of
from .soql import check_where, literal, quote

PROVIDER = "salesforce"
RECORD_ID = re.compile(r"^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$")
# Our own rejection tasks start with this; they are not a rep's touch.
TASK_PREFIX = "Handoff:"
MODSTAMP = "SystemModstamp"


def parse_time(value: Any) -> datetime | None:
    """Salesforce dateTime (2026-03-02T09:00:00.000+0000) or date (2026-03-02), in UTC."""
    if not value:
        return None
    text = str(value)
    if len(text) == 10:
        return datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
    for pattern in ("%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S%z"):
        try:
            return datetime.strptime(text.replace("Z", "+0000"), pattern).astimezone(UTC)
        except ValueError:
            continue
    return None


def record_id(value: str) -> str:
    """A record id to paste into SOQL; anything else is refused before it gets there."""
    if not RECORD_ID.match(value):
        raise CrmNotFound(f"{value!r} is not a Salesforce record id", vendor=PROVIDER)
    return value


def _ids(values: list[str]) -> str:
    return "(" + ", ".join(quote(record_id(v)) for v in values) + ")"


class SalesforceConnector:
    provider = PROVIDER
    touch_every = timedelta(hours=1)

    def __init__(
        self,
        client: SalesforceClient,
        config: SalesforceConfig,
        *,
        instance_url: str,
        default_currency: str,
    ) -> None:
        self.client = client
        self.config = config
        self.instance_url = instance_url.rstrip("/")
        self.default_currency = default_currency
        self._multi_currency: bool | None = None

    async def aclose(self) -> None:
        await self.client.aclose()

    def _fields(self) -> list[str]:
        return sorted({"Id", MODSTAMP, *self.config.field_map.values()})

    def _select(self, where: str) -> str:
        fields = ", ".join(self._fields())
        return (
            f"SELECT {fields} FROM Lead WHERE ({self.config.mql_where}) "
            f"AND IsConverted = false AND {where}"
        )

    def _record(self, raw: dict[str, Any]) -> CrmRecord:
        values = fields_of(raw)
        lead_id = str(values["Id"])
        url = f"{self.instance_url}/lightning/r/Lead/{lead_id}/view"
        lead, problem = to_lead(lead_id, values, self.config.field_map, url)
        changed = parse_time(values.get(MODSTAMP)) or datetime.now(UTC)
        return CrmRecord(lead_id, changed, lead, problem)

    # --------------------------------------------------------------------- leads in

    async def pages(self, since: datetime) -> AsyncIterator[Page]:
        soql = self._select(f"{MODSTAMP} >= {literal(since)} ORDER BY {MODSTAMP}, Id")
        chunk: list[CrmRecord] = []
        async for raw in self.client.query(soql):
            chunk.append(self._record(raw))
            if len(chunk) == PAGE_SIZE:
                yield Page(chunk, max(r.changed_at for r in chunk))
                chunk = []
        if chunk:
            yield Page(chunk, max(r.changed_at for r in chunk))

    async def fetch(self, record_id_: str) -> CrmRecord | None:
        found = await self.client.query_one(self._select(f"Id = {quote(record_id(record_id_))}"))
        return self._record(found) if found else None

    async def standing(self, record_id_: str) -> Standing:
        rid = record_id(record_id_)
        if await self.client.query_one(self._select(f"Id = {quote(rid)} LIMIT 1")):
            return Standing(True)
        try:
            lead = await self.client.get("Lead", rid, ["Status", "IsConverted"])
        except CrmNotFound:
            return Standing(False, f"Salesforce lead {rid} was deleted or merged away")
        if lead.get("IsConverted"):
            return Standing(False, f"Salesforce lead {rid} was converted")
        return Standing(
            False,
            f"no longer matches crm.salesforce.mql_where (Status is now {lead.get('Status')})",
        )

    # -------------------------------------------------------------------- changes out

    async def owner_for_email(self, email: str) -> str | None:
        user = await self.client.query_one(
            f"SELECT Id FROM User WHERE Email = {quote(email)} AND IsActive = true "
            "ORDER BY CreatedDate LIMIT 1"
        )
        return str(user["Id"]) if user else None

    async def write(self, record_id_: str, decision: Decision) -> None:
        values: dict[str, Any] = dict(decision.values)
        write_back = self.config.write_back
        if decision.owner_id and write_back.owner:
            values["OwnerId"] = decision.owner_id
        if write_back.reason_field and decision.reason is not None:
            values[write_back.reason_field] = decision.reason
        if write_back.comment_field and decision.reason is not None:
            values[write_back.comment_field] = decision.comment
        if not values:
            return
        try:
            await self.client.update("Lead", record_id(record_id_), values)
        except CrmPermanent as exc:
            if exc.code != "CANNOT_UPDATE_CONVERTED_LEAD":
                raise
            # Converted in Salesforce meanwhile: the Lead is read-only now, for good.
            raise CrmNotFound(
                f"lead {record_id_} was converted; Salesforce no longer updates it",
                vendor=PROVIDER,
                status=exc.status,
                code=exc.code,
            ) from exc

    async def add_note(self, record_id_: str, note: Note, *, look_first: bool) -> str:
        rid = record_id(record_id_)
        subject = f"{TASK_PREFIX} {note.subject} [{note.marker}]"[-255:]
        if look_first:
            existing = await self.client.query_one(
                f"SELECT Id FROM Task WHERE WhoId = {quote(rid)} AND Subject = {quote(subject)} "
                "LIMIT 1"
            )
            if existing:
                return str(existing["Id"])
        task: dict[str, Any] = {
            "WhoId": rid,
            "Subject": subject,
            "Description": note.body,
            "Status": "Completed",
            "ActivityDate": note.at.astimezone(UTC).date().isoformat(),
        }
        if note.owner_id:
            task["OwnerId"] = note.owner_id
        return await self.client.create("Task", task)

    # ------------------------------------------------------------ outcomes, touches

    async def activity(self, records: Sequence[tuple[str, datetime | None]]) -> dict[str, Activity]:
        posted = {record_id(rid): at for rid, at in records}
        if not posted:
            return {}
        leads = await self.client.query_all(
            "SELECT Id, ConvertedContactId, ConvertedOpportunityId FROM Lead "
            f"WHERE Id IN {_ids(list(posted))}"
        )
        # Activity and opportunities may hang off the lead or, once converted, its contact.
        lead_of: dict[str, str] = {}
        opportunities: dict[str, set[str]] = {}
        for lead in leads:
            lead_of[lead["Id"]] = lead["Id"]
            opportunities[lead["Id"]] = set()
            if lead.get("ConvertedContactId"):
                lead_of[lead["ConvertedContactId"]] = lead["Id"]
            if lead.get("ConvertedOpportunityId"):
                opportunities[lead["Id"]].add(lead["ConvertedOpportunityId"])
        touches = await self._first_touches(lead_of, posted)
        contacts = [who for who, lead in lead_of.items() if who != lead]
        if contacts:
            roles = await self.client.query_all(
                "SELECT ContactId, OpportunityId FROM OpportunityContactRole "
                f"WHERE ContactId IN {_ids(contacts)}"
            )
            for role in roles:
                opportunities[lead_of[role["ContactId"]]].add(role["OpportunityId"])
        deals = await self._deals(sorted({o for ids in opportunities.values() for o in ids}))
        return {
            lead_id: Activity(
                touches.get(lead_id),
                deal_outcomes(
                    [deals[o] for o in ids if o in deals], default_currency=self.default_currency
                ),
            )
            for lead_id, ids in opportunities.items()
        }

    async def _first_touches(
        self, lead_of: dict[str, str], posted: dict[str, datetime | None]
    ) -> dict[str, datetime]:
        """Each lead's first completed task or event logged after its card (our own excluded)."""
        known = [at for at in posted.values() if at is not None]
        if not known:
            return {}
        who, since = _ids(list(lead_of)), literal(min(known))
        queries = (
            f"SELECT WhoId, CreatedDate FROM Task WHERE WhoId IN {who} AND IsClosed = true "
            f"AND CreatedDate >= {since} AND (NOT Subject LIKE {quote(TASK_PREFIX + '%')}) "
            "ORDER BY CreatedDate",
            f"SELECT WhoId, CreatedDate FROM Event WHERE WhoId IN {who} "
            f"AND CreatedDate >= {since} ORDER BY CreatedDate",
        )
        first: dict[str, datetime] = {}
        for soql in queries:
            async for row in self.client.query(soql):
                lead_id = lead_of.get(row.get("WhoId") or "")
                at = parse_time(row.get("CreatedDate"))
                card = posted.get(lead_id or "")
                if lead_id is None or at is None or card is None or at < card:
                    continue
                if lead_id not in first or at < first[lead_id]:
                    first[lead_id] = at
        return first

    async def _deals(self, opportunity_ids: list[str]) -> dict[str, DealFacts]:
        if not opportunity_ids:
            return {}
        fields = ["Id", "Amount", "IsClosed", "IsWon", "CloseDate", "CreatedDate"]
        if await self._has_currency():
            fields.append("CurrencyIsoCode")
        if self.config.loss_reason_field:
            fields.append(self.config.loss_reason_field)
        rows = await self.client.query_all(
            f"SELECT {', '.join(fields)} FROM Opportunity WHERE Id IN {_ids(opportunity_ids)}"
        )
        return {
            row["Id"]: DealFacts(
                created_at=parse_time(row.get("CreatedDate")) or datetime.now(UTC),
                amount=money(row.get("Amount")),
                currency=row.get("CurrencyIsoCode"),
                closed=bool(row.get("IsClosed")),
                won=bool(row.get("IsWon")),
                closed_at=parse_time(row.get("CloseDate")) if row.get("IsClosed") else None,
                lost_reason=row.get(self.config.loss_reason_field or "") or None,
            )
            for row in rows
        }

    async def _has_currency(self) -> bool:
        # CurrencyIsoCode exists only in multi-currency orgs; asking for it elsewhere fails.
        if self._multi_currency is None:
            describe = await self.client.describe("Opportunity")
            self._multi_currency = describe.field("CurrencyIsoCode") is not None
        return self._multi_currency

    # ---------------------------------------------------------------------- check

    async def check(self, reps: Mapping[str, str]) -> list[CheckProblem]:
        try:
            lead = await self.client.describe("Lead")
            task = await self.client.describe("Task")
            opportunity = await self.client.describe("Opportunity")
        except CrmAuthFailed as exc:
            message = f"Salesforce refused the connected app: {exc.message}"
            return [CheckProblem("SALESFORCE_CLIENT_SECRET", message)]
        except CrmError as exc:
            return [CheckProblem("SALESFORCE_INSTANCE_URL", f"cannot reach the org: {exc}")]
        problems = [
            CheckProblem("crm.salesforce.mql_where", str(problem))
            for problem in check_where(
                self.config.mql_where, known_fields=[f.name for f in lead.fields]
            )
        ]
        problems += self._check_fields(lead, self._configured_fields())
        task_fields = [
            (f"crm.salesforce.write_back.task ({name})", name, True)
            for name in ("WhoId", "Subject", "Status", "Description")
        ]
        if self.config.write_back.task:
            problems += self._check_fields(task, task_fields, what="Task")
        if self.config.loss_reason_field:
            key = "crm.salesforce.loss_reason_field"
            problems += self._check_fields(
                opportunity, [(key, self.config.loss_reason_field, False)], what="Opportunity"
            )
        for user_id, email in sorted(reps.items()):
            if not await self.owner_for_email(email):
                problems.append(
                    CheckProblem(
                        f"crm.owners.{user_id}",
                        f"no active Salesforce user has the address {email}; "
                        "map the Slack user in crm.owners",
                    )
                )
        return problems

    def _configured_fields(self) -> list[tuple[str, str, bool]]:
        """(key in app.yaml, Lead field, must be writable) for every field configured."""
        config, found = self.config, []
        for lead_field, name in config.field_map.items():
            found.append((f"crm.salesforce.fields.{lead_field}", name, False))
        write_back = config.write_back
        for step in ("claim", "accept", "reject"):
            for name in getattr(write_back, step):
                found.append((f"crm.salesforce.write_back.{step}.{name}", name, True))
        for key in ("reason_field", "comment_field"):
            name = getattr(write_back, key)
            if name:
                found.append((f"crm.salesforce.write_back.{key}", name, True))
        if write_back.owner:
            found.append(("crm.salesforce.write_back.owner", "OwnerId", True))
        return found

    @staticmethod
    def _check_fields(
        describe: SObjectDescribe, fields: list[tuple[str, str, bool]], *, what: str = "Lead"
    ) -> list[CheckProblem]:
        problems = []
        for key, name, writable in fields:
            field = describe.field(name)
            if field is None:
                problems.append(CheckProblem(key, f"{what} has no field {name!r}"))
            elif writable and not (field.updateable or field.createable):
                problems.append(
                    CheckProblem(
                        key, f"the run-as user cannot write {what}.{name} (field security)"
                    )
                )
        return problems
