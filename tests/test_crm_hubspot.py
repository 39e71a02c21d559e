"""The real HubSpot client against the fake portal, over real HTTP."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.crm.errors import (
    CrmAuthFailed,
    CrmNotFound,
    CrmPermanent,
    CrmRateLimited,
    CrmUnavailable,
    retry_decision,
)
from bot.crm.hubspot import Filter, FilterGroup, HubSpotClient, Operator, Sort
from bot.sandbox.fake_crm import FakeHubSpot, FakeHubSpotServer
from bot.timekeeping.clock import ManualClock
from tests.crm_support import (  # noqa: F401
    HUBSPOT_TOKEN,
    START,
    clock_fixture,
    hubspot_fixture,
    hubspot_server_fixture,
    portal_fixture,
)

MQL = FilterGroup(
    filters=[
        Filter(propertyName="lifecyclestage", operator=Operator.EQ, value="marketingqualifiedlead")
    ]
)


def _contacts(portal: FakeHubSpot, clock: ManualClock, count: int) -> list[str]:
    ids = []
    for n in range(count):
        clock.advance(timedelta(minutes=1))
        record = portal.create_contact({"email": f"p{n}@example.com", "firstname": f"P{n}"})
        portal.make_mql(record["id"])
        ids.append(record["id"])
    return ids


async def test_search_pages_through_every_mql_in_order(
    hubspot: HubSpotClient, portal: FakeHubSpot, clock: ManualClock
) -> None:
    ids = _contacts(portal, clock, 7)
    portal.create_contact({"email": "not-mql@example.com", "lifecyclestage": "lead"})
    sorts = [Sort(propertyName="createdate", direction="ASCENDING")]
    first = await hubspot.search_contacts([MQL], properties=["email"], sorts=sorts, limit=3)
    assert first.total == 7
    assert [r.id for r in first.results] == ids[:3]
    assert first.next_after == "3"
    assert first.results[0].properties["email"] == "p0@example.com"
    assert first.results[0].created_at == START + timedelta(minutes=1)
    seen = [r.id async for r in hubspot.iter_contacts([MQL], sorts=sorts, limit=3)]
    assert seen == ids
    assert len(portal.calls("contacts.search")) == 4  # one page, then three more


async def test_search_filters_on_dates_and_missing_properties(
    hubspot: HubSpotClient, portal: FakeHubSpot, clock: ManualClock
) -> None:
    ids = _contacts(portal, clock, 4)
    cutoff = START + timedelta(minutes=2, seconds=30)
    newer = FilterGroup(
        filters=[
            Filter(
                propertyName="lastmodifieddate",
                operator=Operator.GT,
                value=str(int(cutoff.timestamp() * 1000)),
            ),
            Filter(propertyName="hubspot_owner_id", operator=Operator.NOT_HAS_PROPERTY),
        ]
    )
    page = await hubspot.search_contacts([newer])
    assert [r.id for r in page.results] == ids[2:]
    portal.update_contact(ids[3], {"hubspot_owner_id": "7"})
    page = await hubspot.search_contacts([newer])
    assert [r.id for r in page.results] == [ids[2]]


async def test_search_refuses_what_hubspot_refuses(hubspot: HubSpotClient) -> None:
    with pytest.raises(CrmPermanent) as too_big:
        await hubspot.search_contacts(limit=201)
    assert too_big.value.status == 400
    unknown = FilterGroup(filters=[Filter(propertyName="nope", operator=Operator.EQ, value="1")])
    with pytest.raises(CrmPermanent, match="nope"):
        await hubspot.search_contacts([unknown])
    with pytest.raises(CrmPermanent, match="10000"):
        await hubspot.search_contacts(after="10000")


async def test_get_update_and_batch_read(hubspot: HubSpotClient, portal: FakeHubSpot) -> None:
    a = portal.create_contact({"email": "a@example.com"})["id"]
    b = portal.create_contact({"email": "b@example.com"})["id"]
    contact = await hubspot.get_contact(a, properties=["email", "phone"])
    assert contact.properties["email"] == "a@example.com"
    assert contact.properties["phone"] is None
    updated = await hubspot.update_contact(a, {"hs_lead_status": "IN_PROGRESS"})
    assert updated.properties["hs_lead_status"] == "IN_PROGRESS"
    assert portal.contact(a)["properties"]["hs_lead_status"] == "IN_PROGRESS"
    (call,) = portal.calls("contacts.update")
    assert call.json == {"properties": {"hs_lead_status": "IN_PROGRESS"}}
    batch = await hubspot.batch_read_contacts([a, b, "999999"], properties=["email"])
    assert sorted(r.properties["email"] for r in batch.results) == [
        "a@example.com",
        "b@example.com",
    ]
    assert batch.missing_ids == ["999999"]


async def test_write_errors_are_permanent(hubspot: HubSpotClient, portal: FakeHubSpot) -> None:
    a = portal.create_contact({"email": "a@example.com"})["id"]
    with pytest.raises(CrmPermanent, match="does not exist") as exc:
        await hubspot.update_contact(a, {"no_such_property": "x"})
    assert exc.value.code == "VALIDATION_ERROR" and exc.value.correlation_id
    with pytest.raises(CrmPermanent, match="read only"):
        await hubspot.update_contact(a, {"createdate": "x"})
    with pytest.raises(CrmNotFound):
        await hubspot.update_contact("424242", {"firstname": "x"})
    with pytest.raises(CrmNotFound):
        await hubspot.get_contact("424242")


async def test_merged_contact_reads_as_the_primary(
    hubspot: HubSpotClient, portal: FakeHubSpot
) -> None:
    a = portal.create_contact({"email": "a@example.com"})["id"]
    b = portal.create_contact({"email": "b@example.com", "phone": "123"})["id"]
    portal.merge_contacts(a, b)
    contact = await hubspot.get_contact(b, properties=["email", "phone"])
    assert contact.id == a
    assert contact.properties["phone"] == "123"
    portal.delete_contact(a)
    with pytest.raises(CrmNotFound):
        await hubspot.get_contact(a)


async def test_note_is_logged_on_the_contact(hubspot: HubSpotClient, portal: FakeHubSpot) -> None:
    a = portal.create_contact({"email": "a@example.com"})["id"]
    note = await hubspot.create_note(a, "Claimed in Slack by Ana", timestamp=START, owner_id="7")
    assert note.properties["hs_note_body"] == "Claimed in Slack by Ana"
    (stored,) = portal.notes_of(a)
    assert stored["properties"]["hs_timestamp"] == "2026-03-02T09:00:00.000Z"
    (call,) = portal.calls("notes.create")
    assert call.json["associations"][0]["types"][0] == {
        "associationCategory": "HUBSPOT_DEFINED",
        "associationTypeId": 202,
    }
    with pytest.raises(CrmPermanent):
        await hubspot.create_note("424242", "x", timestamp=START)


async def test_deals_of_a_contact(hubspot: HubSpotClient, portal: FakeHubSpot) -> None:
    a = portal.create_contact({"email": "a@example.com"})["id"]
    other = portal.create_contact({"email": "b@example.com"})["id"]
    won = portal.add_deal(a, amount=12000, currency="EUR", won=True, close_date=START)["id"]
    lost = portal.add_deal(a, amount=500, won=False, lost_reason="Budget")["id"]
    portal.add_deal(other, amount=1)
    deals = await hubspot.deals_of_contact(a)
    assert [d.id for d in deals] == [won, lost]
    assert deals[0].properties["hs_is_closed_won"] == "true"
    assert deals[0].properties["deal_currency_code"] == "EUR"
    assert deals[0].properties["amount"] == "12000"
    assert deals[1].properties["closed_lost_reason"] == "Budget"
    contact = await hubspot.get_contact(a, associations=["deals"])
    assert [ref.id for ref in contact.associations["deals"]] == [won, lost]


async def test_activity_properties(
    hubspot: HubSpotClient, portal: FakeHubSpot, clock: ManualClock
) -> None:
    a = portal.create_contact({"email": "a@example.com"})["id"]
    clock.advance(timedelta(hours=2))
    portal.log_sales_activity(a)
    activity = await hubspot.get_contact_activity(a)
    assert activity.properties["notes_last_contacted"] == "2026-03-02T11:00:00.000Z"
    assert activity.properties["hs_sa_first_engagement_date"] == "2026-03-02T11:00:00.000Z"


async def test_owners_all_pages_and_properties(hubspot: HubSpotClient, portal: FakeHubSpot) -> None:
    for n in range(105):
        portal.add_owner(f"rep{n}@example.com", f"Rep{n}", "Example")
    portal.add_owner("gone@example.com", archived=True)
    owners = await hubspot.list_owners()
    assert len(owners) == 105 and owners[0].email == "rep0@example.com"
    assert owners[0].user_id is not None
    assert len(portal.calls("owners.list")) == 2
    (found,) = await hubspot.list_owners(email="REP7@example.com")
    assert found.first_name == "Rep7"
    names = {p.name for p in await hubspot.list_properties("deals")}
    assert {"amount", "dealstage", "hs_is_closed_won", "closed_lost_reason"} <= names


async def test_token_info_and_missing_scopes(
    hubspot_server: FakeHubSpotServer, portal: FakeHubSpot
) -> None:
    portal.add_token("pat-na1-narrow", ["crm.objects.contacts.read"])
    async with HubSpotClient(hubspot_server.url, "pat-na1-narrow") as narrow:
        info = await narrow.token_info()
        assert info.hub_id == portal.portal_id
        assert info.missing(["crm.objects.contacts.read", "crm.objects.contacts.write"]) == [
            "crm.objects.contacts.write"
        ]
        with pytest.raises(CrmPermanent) as exc:
            await narrow.update_contact("1", {"firstname": "x"})
    assert exc.value.status == 403 and exc.value.code == "MISSING_SCOPES"
    assert "crm.objects.contacts.write" in str(exc.value)


async def test_bad_token_is_auth_failure_and_never_logged(
    hubspot_server: FakeHubSpotServer,
) -> None:
    async with HubSpotClient(hubspot_server.url, "pat-na1-wrong-secret") as wrong:
        with pytest.raises(CrmAuthFailed) as exc:
            await wrong.search_contacts()
        assert "pat-na1-wrong-secret" not in str(exc.value)
        assert "pat-na1-wrong-secret" not in repr(wrong)
        with pytest.raises(CrmAuthFailed):
            await wrong.token_info()
    assert exc.value.code == "INVALID_AUTHENTICATION"


async def test_rate_limits(hubspot: HubSpotClient, portal: FakeHubSpot) -> None:
    portal.set_rate_limit("SECONDLY", 2, window_seconds=1.0)
    await hubspot.search_contacts()
    await hubspot.search_contacts()
    with pytest.raises(CrmRateLimited) as exc:
        await hubspot.search_contacts()
    assert exc.value.code == "SECONDLY" and exc.value.retry_after == 1.0
    await hubspot.list_owners()  # the search limit leaves other endpoints alone
    portal.set_rate_limit("SECONDLY", None)
    portal.set_rate_limit("TEN_SECONDLY_ROLLING", 1, window_seconds=10.0)
    portal.retry_after_header = True
    await hubspot.list_owners()
    with pytest.raises(CrmRateLimited) as exc:
        await hubspot.list_owners()
    assert exc.value.code == "TEN_SECONDLY_ROLLING" and 1 <= exc.value.retry_after <= 10
    assert retry_decision(exc.value, 1).delay == exc.value.retry_after


async def test_faults_map_to_unavailable(hubspot: HubSpotClient, portal: FakeHubSpot) -> None:
    portal.faults.inject("contacts.search", status=502)
    with pytest.raises(CrmUnavailable) as exc:
        await hubspot.search_contacts()
    assert exc.value.status == 502
    assert retry_decision(exc.value, 3).retry
    await hubspot.search_contacts()  # the fault was used up
    portal.faults.inject("contacts.search", status=429, retry_after=7)
    with pytest.raises(CrmRateLimited) as limited:
        await hubspot.search_contacts()
    assert limited.value.retry_after == 7.0


async def test_timeout_is_unavailable(
    hubspot_server: FakeHubSpotServer, portal: FakeHubSpot
) -> None:
    portal.faults.inject("owners.list", delay=1.0)
    async with HubSpotClient(hubspot_server.url, HUBSPOT_TOKEN, timeout=0.2) as impatient:
        with pytest.raises(CrmUnavailable, match="timed out"):
            await impatient.list_owners()


async def test_unreachable_server_is_unavailable() -> None:
    async with HubSpotClient("http://127.0.0.1:9", HUBSPOT_TOKEN, timeout=1.0) as client:
        with pytest.raises(CrmUnavailable):
            await client.token_info()
