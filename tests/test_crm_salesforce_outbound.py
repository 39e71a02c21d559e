"""Salesforce Outbound Messages: the fake org sends, the bot's parser reads and answers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.crm.salesforce import (
    OutboundMessageError,
    OutboundNotifications,
    outbound_ack,
    outbound_nack,
    parse_outbound_message,
)
from bot.sandbox.fake_crm import (
    FakeSalesforce,
    OutboundMessageSender,
    OutboundTamper,
    acknowledged,
)
from bot.sandbox.servers import BackgroundServer


class Listener:
    """A stand-in for the bot's Outbound Message route."""

    def __init__(self, org_id: str) -> None:
        self.org_id = org_id
        self.messages: list[OutboundNotifications] = []
        self.errors: list[str] = []
        routes = [Route("/hooks/salesforce", self.hook, methods=["POST"])]
        self.server = BackgroundServer(Starlette(routes=routes))

    async def hook(self, request: Request) -> Response:
        try:
            message = parse_outbound_message(await request.body(), organization_id=self.org_id)
        except OutboundMessageError as exc:
            self.errors.append(str(exc))
            return Response(outbound_nack(), status_code=400, media_type="text/xml")
        self.messages.append(message)
        return Response(outbound_ack(), media_type="text/xml")


@pytest.fixture
def org() -> FakeSalesforce:
    return FakeSalesforce()


@pytest.fixture
def listener(org: FakeSalesforce) -> Iterator[Listener]:
    listener = Listener(org.org_id[:15])
    with listener.server:
        yield listener


@pytest.fixture
def sender(org: FakeSalesforce, listener: Listener) -> OutboundMessageSender:
    return OutboundMessageSender(org, f"{listener.server.url}/hooks/salesforce")


def test_lead_notifications_are_parsed_and_acknowledged(
    org: FakeSalesforce, sender: OutboundMessageSender, listener: Listener
) -> None:
    owner = org.add_user("ana@example.com")
    first = org.create_lead({"LastName": "Smith & Sons <Ltd>", "Email": "a@x.io", "OwnerId": owner})
    second = org.create_lead({"LastName": "Two"})
    org.make_mql(first)
    response = sender.send([first, second])
    assert acknowledged(response)
    (message,) = listener.messages
    assert message.organization_id == org.org_id
    assert message.action_id.startswith("04k") and message.session_id is None
    assert message.enterprise_url and "/services/Soap/c/" in message.enterprise_url
    one, two = message.notifications
    assert one.sobject_type == "Lead" and one.record_id == first
    assert one.fields["LastName"] == "Smith & Sons <Ltd>"
    assert one.fields["Status"] == "Marketing Qualified"
    assert one.fields["OwnerId"] == owner
    assert one.id != two.id and "Email" not in two.fields


@pytest.mark.parametrize(
    ("tamper", "error"),
    [
        (OutboundTamper.MALFORMED, "malformed XML"),
        (OutboundTamper.DTD, "DTD or entity declaration"),
        (OutboundTamper.WRONG_ORG, "not ours"),
    ],
)
async def test_bad_messages_are_refused(
    org: FakeSalesforce,
    sender: OutboundMessageSender,
    listener: Listener,
    tamper: OutboundTamper,
    error: str,
) -> None:
    lead = org.create_lead()
    response = await sender.asend([lead], tamper=tamper)
    assert not acknowledged(response)
    assert error in listener.errors[0]
    assert listener.messages == []


def test_parser_edge_cases() -> None:
    with pytest.raises(OutboundMessageError, match="SOAP"):
        parse_outbound_message(b"<notifications/>")
    envelope = (
        b'<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">'
        b"<soapenv:Body><other/></soapenv:Body></soapenv:Envelope>"
    )
    with pytest.raises(OutboundMessageError, match="no outbound notifications"):
        parse_outbound_message(envelope)
    external = b'<?xml version="1.0"?><!DOCTYPE x SYSTEM "http://127.0.0.1:9/x.dtd"><x/>'
    with pytest.raises(OutboundMessageError, match="DTD"):
        parse_outbound_message(external)
    utf16 = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY a "b">]><x/>'
    with pytest.raises(OutboundMessageError, match="DTD"):
        parse_outbound_message(utf16.encode("utf-16"))


def test_ack_and_nack_are_soap_answers() -> None:
    assert "<Ack>true</Ack>" in outbound_ack()
    assert "<Ack>false</Ack>" in outbound_nack()
    assert 'xmlns="http://soap.sforce.com/2005/09/outbound"' in outbound_ack()
