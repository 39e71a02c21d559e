"""Reading a Salesforce Outbound Message, and the SOAP answers Salesforce expects back.

Shape from the SOAP API Developer Guide, "Understanding the Outbound Messaging WSDL":
a SOAP 1.1 envelope whose body holds `notifications` in namespace
`http://soap.sforce.com/2005/09/outbound` with `OrganizationId`, `ActionId`,
`SessionId` (nillable), `EnterpriseUrl`, `PartnerUrl` and up to 100 `Notification`
elements, each an `Id` plus an `sObject` with `xsi:type="sf:Lead"` whose fields are
elements in `urn:sobject.enterprise.soap.sforce.com`. The listener answers
`notificationsResponse` with `<Ack>true</Ack>`; anything else makes Salesforce retry.

Safety: SOAP 1.1 forbids a document type declaration in a message, so any DTD or
entity declaration is refused before the tree is built. That needs no new dependency
(defusedxml would do the same job); expat itself does the scan, so an encoding trick
can't hide a declaration from us.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
import xml.parsers.expat
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
OUTBOUND_NS = "http://soap.sforce.com/2005/09/outbound"
SOBJECT_NS = "urn:sobject.enterprise.soap.sforce.com"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
MAX_BODY_BYTES = 2_000_000

_RESPONSE = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    f'<soapenv:Envelope xmlns:soapenv="{SOAP_ENV}">'
    "<soapenv:Body>"
    f'<notificationsResponse xmlns="{OUTBOUND_NS}"><Ack>{{ack}}</Ack></notificationsResponse>'
    "</soapenv:Body></soapenv:Envelope>"
)


class OutboundMessageError(ValueError):
    """The body is not a well-formed, safe Salesforce Outbound Message."""


@dataclass(frozen=True)
class OutboundNotification:
    """One changed record: the notification id (for de-duplicating retries) and its fields."""

    id: str
    sobject_type: str
    fields: dict[str, str | None] = field(default_factory=dict)

    @property
    def record_id(self) -> str | None:
        return self.fields.get("Id")


@dataclass(frozen=True)
class OutboundNotifications:
    organization_id: str
    action_id: str
    session_id: str | None
    enterprise_url: str | None
    partner_url: str | None
    notifications: list[OutboundNotification]


def outbound_ack() -> str:
    """The answer that tells Salesforce the whole message was received."""
    return _RESPONSE.format(ack="true")


def outbound_fault(message: str, *, sender_at_fault: bool = True) -> str:
    """A SOAP 1.1 Fault: Client when the message was wrong, Server when we failed.

    Salesforce counts any answer but an Ack as undelivered and sends the message again
    later, so a fault loses nothing; it tells a person reading the delivery log why.
    """
    code = "soapenv:Client" if sender_at_fault else "soapenv:Server"
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<soapenv:Envelope xmlns:soapenv="{SOAP_ENV}"><soapenv:Body><soapenv:Fault>'
        f"<faultcode>{code}</faultcode><faultstring>{escape(message)}</faultstring>"
        "</soapenv:Fault></soapenv:Body></soapenv:Envelope>"
    )


def same_organization(received: str, configured: str) -> bool:
    """Whether two org ids name the same org (15- and 18-character forms match)."""
    return received[:15] == configured[:15]


def outbound_nack() -> str:
    """An answer Salesforce treats as not received, so it retries the message later."""
    return _RESPONSE.format(ack="false")


def parse_outbound_message(
    body: bytes, *, organization_id: str | None = None
) -> OutboundNotifications:
    """The notifications in `body`; raises OutboundMessageError if it isn't one.

    With `organization_id`, a message from any other org is refused (15- and
    18-character forms of the same id match).
    """
    if len(body) > MAX_BODY_BYTES:
        raise OutboundMessageError("message is too large")
    _refuse_declarations(body)
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise OutboundMessageError(f"malformed XML: {exc}") from exc
    if root.tag != f"{{{SOAP_ENV}}}Envelope":
        raise OutboundMessageError("not a SOAP 1.1 envelope")
    node = root.find(f"{{{SOAP_ENV}}}Body/{{{OUTBOUND_NS}}}notifications")
    if node is None:
        raise OutboundMessageError("no outbound notifications in the SOAP body")
    org = _text(node, "OrganizationId", required=True) or ""
    if organization_id is not None and not same_organization(org, organization_id):
        raise OutboundMessageError(f"message is from organization {org}, not ours")
    return OutboundNotifications(
        organization_id=org,
        action_id=_text(node, "ActionId", required=True) or "",
        session_id=_text(node, "SessionId"),
        enterprise_url=_text(node, "EnterpriseUrl"),
        partner_url=_text(node, "PartnerUrl"),
        notifications=[_notification(n) for n in node.findall(f"{{{OUTBOUND_NS}}}Notification")],
    )


def _refuse_declarations(body: bytes) -> None:
    def refuse(*_: object) -> None:
        raise OutboundMessageError("a DTD or entity declaration is not allowed")

    scanner = xml.parsers.expat.ParserCreate()
    scanner.StartDoctypeDeclHandler = refuse
    scanner.EntityDeclHandler = refuse
    try:
        scanner.Parse(body, True)
    except xml.parsers.expat.ExpatError as exc:
        raise OutboundMessageError(f"malformed XML: {exc}") from exc


def _notification(node: ET.Element) -> OutboundNotification:
    notification_id = _text(node, "Id", required=True) or ""
    sobject = node.find(f"{{{OUTBOUND_NS}}}sObject")
    if sobject is None:
        raise OutboundMessageError(f"notification {notification_id} has no sObject")
    declared = sobject.get(f"{{{XSI_NS}}}type") or ""
    sobject_type = declared.rpartition(":")[2]
    if not sobject_type:
        raise OutboundMessageError(f"notification {notification_id} has no xsi:type")
    fields: dict[str, str | None] = {}
    for child in sobject:
        name = child.tag.rpartition("}")[2]
        nil = child.get(f"{{{XSI_NS}}}nil") == "true"
        fields[name] = None if nil else (child.text or "")
    return OutboundNotification(id=notification_id, sobject_type=sobject_type, fields=fields)


def _text(node: ET.Element, name: str, *, required: bool = False) -> str | None:
    child = node.find(f"{{{OUTBOUND_NS}}}{name}")
    if child is None or child.get(f"{{{XSI_NS}}}nil") == "true":
        if required:
            raise OutboundMessageError(f"{name} is missing")
        return None
    return (child.text or "").strip()
