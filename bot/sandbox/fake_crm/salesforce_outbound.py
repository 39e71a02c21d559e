"""Outbound Messages from the fake org to the bot, as Salesforce's workflow sends them.

The envelope follows the Outbound Messaging WSDL (SOAP API Developer Guide): SOAP 1.1,
`notifications` in `http://soap.sforce.com/2005/09/outbound` with OrganizationId,
ActionId, SessionId, EnterpriseUrl, PartnerUrl and Notification items holding an Id and
an `sObject` of `xsi:type="sf:Lead"` whose fields are in
`urn:sobject.enterprise.soap.sforce.com`. Salesforce counts a delivery as done only
when the answer is a `notificationsResponse` with `<Ack>true</Ack>`.
Built with string templates and its own escaping, apart from the bot's parser.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from enum import StrEnum
from typing import Any
from xml.sax.saxutils import escape

import httpx

from .common import salesforce_id
from .salesforce_store import FakeSalesforce

DEFAULT_FIELDS = ("Id", "Email", "FirstName", "LastName", "Company", "Status", "OwnerId")
ACTION_ID = salesforce_id("04k", 7)


class OutboundTamper(StrEnum):
    MALFORMED = "malformed"  # cut off mid-element
    DTD = "dtd"  # carries a DOCTYPE with an entity (a billion-laughs attempt)
    WRONG_ORG = "wrong_org"  # claims to come from another organization


class OutboundMessageSender:
    """POSTs Outbound Messages for records of the org to `url`."""

    def __init__(self, org: FakeSalesforce, url: str, *, timeout: float = 10.0) -> None:
        self.org = org
        self.url = url
        self.timeout = timeout
        self._notification_numbers = iter(range(1, 10**9))

    def envelope(
        self,
        record_ids: Sequence[str],
        *,
        sobject: str = "Lead",
        fields: Sequence[str] = DEFAULT_FIELDS,
        tamper: OutboundTamper | None = None,
    ) -> bytes:
        org_id = (
            salesforce_id("00D", 9999) if tamper is OutboundTamper.WRONG_ORG else self.org.org_id
        )
        base = self.org.instance_url or "https://example.my.salesforce.com"
        items = "".join(self._notification(sobject, rid, fields) for rid in record_ids)
        xml = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
            'xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            "<soapenv:Body>"
            '<notifications xmlns="http://soap.sforce.com/2005/09/outbound">'
            f"<OrganizationId>{org_id}</OrganizationId>"
            f"<ActionId>{ACTION_ID}</ActionId>"
            '<SessionId xsi:nil="true"/>'
            f"<EnterpriseUrl>{base}/services/Soap/c/{self.org.api_version}/{org_id[:15]}</EnterpriseUrl>"
            f"<PartnerUrl>{base}/services/Soap/u/{self.org.api_version}/{org_id[:15]}</PartnerUrl>"
            f"{items}</notifications></soapenv:Body></soapenv:Envelope>"
        )
        if tamper is OutboundTamper.DTD:
            doctype = '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
            xml = xml.replace("?>", "?>" + doctype, 1).replace(
                f"<ActionId>{ACTION_ID}", "<ActionId>&lol2;"
            )
        if tamper is OutboundTamper.MALFORMED:
            xml = xml[: len(xml) // 2]
        return xml.encode()

    def _notification(self, sobject: str, record_id: str, fields: Sequence[str]) -> str:
        record = self.org.get(sobject, record_id)
        parts = []
        for name in fields:
            value = record.get(name)
            if value is None:
                continue  # Salesforce leaves empty fields out of the message
            parts.append(f"<sf:{name}>{escape(_text(value))}</sf:{name}>")
        number = next(self._notification_numbers)
        return (
            f"<Notification><Id>{salesforce_id('04l', number)}</Id>"
            f'<sObject xsi:type="sf:{sobject}" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">'
            f"{''.join(parts)}</sObject></Notification>"
        )

    def send(
        self,
        record_ids: Sequence[str],
        *,
        sobject: str = "Lead",
        fields: Sequence[str] = DEFAULT_FIELDS,
        tamper: OutboundTamper | None = None,
    ) -> httpx.Response:
        body = self.envelope(record_ids, sobject=sobject, fields=fields, tamper=tamper)
        headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'}
        headers["User-Agent"] = "Jakarta Commons-HttpClient/3.1"
        return httpx.post(self.url, content=body, headers=headers, timeout=self.timeout)

    async def asend(
        self,
        record_ids: Sequence[str],
        *,
        sobject: str = "Lead",
        fields: Sequence[str] = DEFAULT_FIELDS,
        tamper: OutboundTamper | None = None,
    ) -> httpx.Response:
        body = self.envelope(record_ids, sobject=sobject, fields=fields, tamper=tamper)
        headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'}
        async with httpx.AsyncClient(timeout=self.timeout) as client:
            return await client.post(self.url, content=body, headers=headers)


def acknowledged(response: httpx.Response) -> bool:
    """Whether Salesforce would count this answer as delivered (HTTP 200 and Ack true)."""
    if response.status_code != 200:
        return False
    return re.search(r"<(?:\w+:)?Ack>\s*true\s*</(?:\w+:)?Ack>", response.text) is not None


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
