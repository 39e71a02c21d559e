"""HubSpot: the async CRM client, its models, and webhook signature checks."""

from .client import (
    ACTIVITY_PROPERTIES,
    DEAL_PROPERTIES,
    NOTE_TO_CONTACT_ASSOCIATION_TYPE,
    SCOPES,
    SEARCH_RESULT_CAP,
    HubSpotClient,
)
from .errors import error_from_response
from .models import (
    AssociationRef,
    BatchReadResult,
    CrmObject,
    Filter,
    FilterGroup,
    Operator,
    Owner,
    PropertyDefinition,
    SearchPage,
    Sort,
    TokenInfo,
)
from .webhooks import WebhookBodyError, WebhookEvent, parse_webhook_events, verify_webhook_signature

__all__ = [
    "ACTIVITY_PROPERTIES",
    "DEAL_PROPERTIES",
    "NOTE_TO_CONTACT_ASSOCIATION_TYPE",
    "SCOPES",
    "SEARCH_RESULT_CAP",
    "AssociationRef",
    "BatchReadResult",
    "CrmObject",
    "Filter",
    "FilterGroup",
    "HubSpotClient",
    "Operator",
    "Owner",
    "PropertyDefinition",
    "SearchPage",
    "Sort",
    "TokenInfo",
    "WebhookBodyError",
    "WebhookEvent",
    "error_from_response",
    "parse_webhook_events",
    "verify_webhook_signature",
]
