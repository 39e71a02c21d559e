"""Salesforce: the async REST client, SOQL checks and quoting, Outbound Messages."""

from .client import DEFAULT_API_VERSION, SalesforceClient
from .errors import REQUEST_LIMIT_RETRY_SECONDS
from .models import FieldDescribe, Limit, SObjectDescribe, TokenResponse, fields_of
from .outbound import (
    OutboundMessageError,
    OutboundNotification,
    OutboundNotifications,
    outbound_ack,
    outbound_nack,
    parse_outbound_message,
)
from .soql import Problem, check_where, literal, quote, quote_like

__all__ = [
    "DEFAULT_API_VERSION",
    "REQUEST_LIMIT_RETRY_SECONDS",
    "FieldDescribe",
    "Limit",
    "OutboundMessageError",
    "OutboundNotification",
    "OutboundNotifications",
    "Problem",
    "SObjectDescribe",
    "SalesforceClient",
    "TokenResponse",
    "check_where",
    "fields_of",
    "literal",
    "outbound_ack",
    "outbound_nack",
    "parse_outbound_message",
    "quote",
    "quote_like",
]
