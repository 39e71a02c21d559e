"""The real Salesforce client against the fake org, over real HTTP."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.crm.errors import CrmAuthFailed, CrmNotFound, CrmPermanent, CrmRateLimited, CrmUnavailable
from bot.crm.salesforce import SalesforceClient, fields_of, literal, quote
from bot.sandbox.fake_crm import FakeSalesforce, FakeSalesforceServer
from bot.timekeeping.clock import ManualClock
from tests.crm_support import (  # noqa: F401
    SF_CLIENT_ID,
    SF_CLIENT_SECRET,
    START,
    clock_fixture,
    org_fixture,
    salesforce_fixture,
    salesforce_server_fixture,
)


def _leads(org: FakeSalesforce, clock: ManualClock, count: int, **fields: object) -> list[str]:
    ids = []
    for n in range(count):
        clock.advance(timedelta(minutes=1))
        ids.append(org.create_lead({"LastName": f"L{n}", "Email": f"l{n}@example.com", **fields}))
    return ids


async def test_query_pages_through_next_records_url(
    salesforce: SalesforceClient, org: FakeSalesforce, clock: ManualClock
) -> None:
    ids = _leads(org, clock, 7)
    for lead in ids[:5]:
        org.make_mql(lead)
    org.default_batch_size = 2
    soql = (
        "SELECT Id, Email, Status FROM Lead WHERE Status = 'Marketing Qualified' "
        "ORDER BY CreatedDate ASC"
    )
    records = await salesforce.query_all(soql)
    assert [r["Id"] for r in records] == ids[:5]
    assert records[0]["attributes"]["type"] == "Lead"
    assert fields_of(records[0]) == {
        "Id": ids[0],
        "Email": "l0@example.com",
        "Status": "Marketing Qualified",
    }
    assert [c.endpoint for c in org.calls()] == ["token", "query", "query_more", "query_more"]


async def test_query_filters_on_modified_date_cursor(
    salesforce: SalesforceClient, org: FakeSalesforce, clock: ManualClock
) -> None:
    ids = _leads(org, clock, 3)
    cursor = clock.now()
    clock.advance(timedelta(minutes=5))
    org.make_mql(ids[0])
    soql = (
        f"SELECT Id FROM Lead WHERE LastModifiedDate > {literal(cursor)} ORDER BY LastModifiedDate"
    )
    assert [r["Id"] for r in await salesforce.query_all(soql)] == [ids[0]]
    today = await salesforce.query_all("SELECT Id FROM Lead WHERE CreatedDate = TODAY")
    assert len(today) == 3
    none = await salesforce.query_all("SELECT Id FROM Lead WHERE CreatedDate < LAST_N_DAYS:2")
    assert none == []


async def test_query_errors(salesforce: SalesforceClient) -> None:
    with pytest.raises(CrmPermanent) as malformed:
        await salesforce.query_all("SELECT Id FROM Lead WHERE Status == 'x'")
    assert malformed.value.code == "MALFORMED_QUERY" and malformed.value.status == 400
    with pytest.raises(CrmPermanent) as field:
        await salesforce.query_all("SELECT Id, Nope__c FROM Lead")
    assert field.value.code == "INVALID_FIELD"
    with pytest.raises(CrmPermanent) as quoted:
        await salesforce.query_all("SELECT Id FROM Lead WHERE CreatedDate > '2026-01-01'")
    assert quoted.value.code == "INVALID_FIELD"
    with pytest.raises(CrmPermanent) as kind:
        await salesforce.query_all("SELECT Id FROM Leed")
    assert kind.value.code == "INVALID_TYPE"
    with pytest.raises(CrmPermanent) as currency:
        await salesforce.query_all("SELECT CurrencyIsoCode FROM Opportunity")
    assert currency.value.code == "INVALID_FIELD"  # a single-currency org


async def test_update_create_describe_and_write_errors(
    salesforce: SalesforceClient, org: FakeSalesforce
) -> None:
    org.add_field("Lead", "Handoff_Claimed_By__c")
    lead = org.create_lead({"LastName": "O'Brien"})
    await salesforce.update(
        "Lead", lead, {"Status": "Working", "Handoff_Claimed_By__c": "ana@x.io"}
    )
    assert org.get("Lead", lead)["Handoff_Claimed_By__c"] == "ana@x.io"
    (update,) = org.calls("sobject.update")
    assert update.method == "PATCH" and update.status == 204
    task = await salesforce.create(
        "Task", {"WhoId": lead, "Subject": "Claimed in Slack", "Status": "Completed"}
    )
    assert org.get("Task", task)["WhoId"] == lead
    found = await salesforce.query_one(
        f"SELECT Id, Name FROM Lead WHERE LastName = {quote(chr(79) + chr(39) + 'Brien')}"
    )
    assert found is not None and found["Name"] == "O'Brien"
    describe = await salesforce.describe("Lead")
    status = describe.field("status")
    assert status is not None and status.updateable
    converted = describe.field("IsConverted")
    assert converted is not None and not converted.updateable
    with pytest.raises(CrmPermanent) as readonly:
        await salesforce.update("Lead", lead, {"IsConverted": True})
    assert readonly.value.code == "INVALID_FIELD_FOR_INSERT_UPDATE"
    with pytest.raises(CrmPermanent, match="No such column"):
        await salesforce.update("Lead", lead, {"Nope": 1})
    with pytest.raises(CrmNotFound):
        await salesforce.update("Lead", "00Q000000000000AAA", {"Status": "x"})
    with pytest.raises(ValueError):
        await salesforce.update("Lead", "../../limits", {"Status": "x"})


async def test_converted_lead_opportunity_and_activity(
    salesforce: SalesforceClient, org: FakeSalesforce, clock: ManualClock
) -> None:
    rep = org.add_user("ana@example.com", "Ana", "Rep")
    org.add_user("gone@example.com", "Gus", "Gone", active=False)
    lead = org.create_lead({"LastName": "Buyer", "OwnerId": rep})
    clock.advance(timedelta(hours=3))
    org.log_activity(lead, owner_id=rep)
    converted = org.convert_lead(lead, amount=25000)
    org.close_opportunity(converted["opportunity"], won=False, loss_reason="Price")
    row = await salesforce.query_one(
        "SELECT Id, IsConverted, ConvertedOpportunityId, Owner.Email FROM Lead "
        f"WHERE Id = {quote(lead)}"
    )
    assert row is not None and row["IsConverted"] is True
    assert row["Owner"]["Email"] == "ana@example.com"
    opportunity = await salesforce.query_one(
        "SELECT Amount, StageName, IsClosed, IsWon, CloseDate, Loss_Reason__c FROM Opportunity "
        f"WHERE Id = {quote(row['ConvertedOpportunityId'])}"
    )
    assert opportunity is not None
    assert fields_of(opportunity) == {
        "Amount": 25000,
        "StageName": "Closed Lost",
        "IsClosed": True,
        "IsWon": False,
        "CloseDate": "2026-03-02",
        "Loss_Reason__c": "Price",
    }
    first = await salesforce.query_one(
        f"SELECT Id, CreatedDate FROM Task WHERE WhoId = {quote(lead)} ORDER BY CreatedDate LIMIT 1"
    )
    assert first is not None and first["CreatedDate"] == "2026-03-02T12:00:00.000+0000"
    users = await salesforce.active_users()
    assert [u["Email"] for u in users] == ["ana@example.com"]


async def test_token_fetched_once_for_concurrent_first_calls(
    salesforce: SalesforceClient, org: FakeSalesforce
) -> None:
    org.create_lead()
    results = await asyncio.gather(
        *(salesforce.query_all("SELECT Id FROM Lead") for _ in range(10))
    )
    assert all(len(r) == 1 for r in results)
    assert len(org.calls("token")) == 1 and salesforce.token_requests == 1


async def test_expired_session_is_refreshed_once_for_ten_callers(
    salesforce: SalesforceClient, org: FakeSalesforce
) -> None:
    lead = org.create_lead()
    await salesforce.query_all("SELECT Id FROM Lead")
    org.expire_all_tokens()
    calls = [salesforce.update("Lead", lead, {"Rating": f"R{n}"}) for n in range(10)]
    await asyncio.gather(*calls)
    assert len(org.calls("token")) == 2  # the first token, then exactly one refresh
    refused = [c for c in org.calls("sobject.update") if c.status == 401]
    assert 1 <= len(refused) <= 10
    assert len([c for c in org.calls("sobject.update") if c.status == 204]) == 10


async def test_refresh_that_still_fails_is_auth_failure(
    salesforce_server: FakeSalesforceServer, org: FakeSalesforce
) -> None:
    body = [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
    org.faults.inject("query", status=401, body=body, times=2)
    async with SalesforceClient(salesforce_server.url, SF_CLIENT_ID, SF_CLIENT_SECRET) as client:
        with pytest.raises(CrmAuthFailed) as exc:
            await client.query_all("SELECT Id FROM Lead")
    assert exc.value.code == "INVALID_SESSION_ID"
    assert len(org.calls("token")) == 2 and len(org.calls("query")) == 2


async def test_bad_credentials_and_disabled_flow(
    salesforce_server: FakeSalesforceServer, org: FakeSalesforce
) -> None:
    async with SalesforceClient(salesforce_server.url, SF_CLIENT_ID, "wrong-secret") as client:
        with pytest.raises(CrmAuthFailed) as exc:
            await client.query_all("SELECT Id FROM Lead")
        assert exc.value.code == "invalid_client"
        assert "wrong-secret" not in str(exc.value) and "wrong-secret" not in repr(client)
    org.client_credentials_enabled = False
    async with SalesforceClient(salesforce_server.url, SF_CLIENT_ID, SF_CLIENT_SECRET) as client:
        with pytest.raises(CrmAuthFailed, match="no client credentials user enabled"):
            await client.limits()
    (call,) = [c for c in org.calls("token") if c.json.get("client_id") == SF_CLIENT_ID][:1]
    assert "client_secret" not in call.json


async def test_request_limit_exceeded_is_a_rate_limit(
    salesforce: SalesforceClient, org: FakeSalesforce
) -> None:
    org.set_request_limit(3)
    limits = await salesforce.limits()
    assert limits["DailyApiRequests"].max == 3
    await salesforce.query_all("SELECT Id FROM Lead")
    await salesforce.query_all("SELECT Id FROM Lead")
    with pytest.raises(CrmRateLimited) as exc:
        await salesforce.query_all("SELECT Id FROM Lead")
    assert exc.value.code == "REQUEST_LIMIT_EXCEEDED" and exc.value.status == 403
    assert exc.value.retry_after > 0


async def test_server_errors_and_timeouts_are_unavailable(
    salesforce_server: FakeSalesforceServer, salesforce: SalesforceClient, org: FakeSalesforce
) -> None:
    org.faults.inject("query", status=503)
    with pytest.raises(CrmUnavailable):
        await salesforce.query_all("SELECT Id FROM Lead")
    org.faults.inject("token", status=500)
    async with SalesforceClient(salesforce_server.url, SF_CLIENT_ID, SF_CLIENT_SECRET) as fresh:
        with pytest.raises(CrmUnavailable):
            await fresh.limits()
    org.faults.inject("limits", delay=1.0)
    async with SalesforceClient(
        salesforce_server.url, SF_CLIENT_ID, SF_CLIENT_SECRET, timeout=0.2
    ) as impatient:
        with pytest.raises(CrmUnavailable, match="timed out"):
            await impatient.limits()
