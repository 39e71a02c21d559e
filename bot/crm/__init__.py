"""The CRM in the loop: HubSpot and Salesforce connectors, both ways, over our own clients.

The capability (wired by `wiring.py`, built by `service.py` when `crm.provider` names one)
    connector.py   the `Connector` protocol: pages of MQLs since a cursor, fetch, standing,
                   owner_for_email, write, add_note, activity (first touch, deals), check
    hubspot/connector.py, salesforce/connector.py   one class per vendor
    poll.py        the pull job (cursor advanced with the leads, one transaction per page)
    push.py        CRM_FETCH deliveries for webhooks / Outbound Messages; the card re-check
    writes.py      CRM_WRITE (owner, status) and CRM_NOTE (note / completed task) deliveries
    owners.py      Slack user -> e-mail -> CRM owner, cached in crm_reps
    activity.py    the sweep that stores outcomes and first touches
    deals.py       deals / opportunities -> opportunity_created, won, lost
    throttle.py    client-side pacing under HubSpot's limits
    health.py      the `crm` section of /healthz
Storage in storage/crm.py and storage/crm_models.py; HTTP endpoints in
handlers/http/crm_push.py; commands in bot/cli/crm.py.

The clients below are HubSpot and Salesforce, async, typed, and tested against faithful fakes.

Why our own thin clients: `hubspot-api-client` and `simple-salesforce` are synchronous
(they would run in threads under our asyncio app), and we need exact control over
429 / Retry-After handling and Salesforce token refresh. So each vendor gets a small
client over `httpx.AsyncClient` that never sleeps or retries by itself (except one
Salesforce session refresh) and raises one shared exception hierarchy instead.

Errors (`bot.crm.errors`)
    CrmError(message, vendor, status, code, correlation_id); `.describe()` for logs.
      CrmUnavailable   network error, timeout, 5xx            -> retry with backoff
      CrmRateLimited   .retry_after seconds (HubSpot 429; SF REQUEST_LIMIT_EXCEEDED)
      CrmAuthFailed    token / client credentials refused
      CrmPermanent     400, 403 (MISSING_SCOPES...), bad property, bad SOQL: a person fixes it
        CrmNotFound    404 / NOT_FOUND (deleted, merged away, wrong id)
    retry_decision(error, attempt) -> RetryDecision(retry, delay)

HubSpot (`bot.crm.hubspot`)
    HubSpotClient(base_url="https://api.hubapi.com", token, *, timeout=10.0, transport=None)
      await search_contacts(filter_groups=(), *, properties=(), sorts=(), after=None,
                            limit=100) -> SearchPage(total, results, next_after)
      iter_contacts(filter_groups=(), *, properties=(), sorts=(), limit=100)
                            -> AsyncIterator[CrmObject]   (stops at the 10,000 cap)
      await get_contact(id, *, properties=(), associations=()) -> CrmObject
      await batch_read_contacts(ids, *, properties=()) -> BatchReadResult(results, missing_ids)
      await update_contact(id, {name: value | None}) -> CrmObject
      await get_contact_activity(id) -> CrmObject   (ACTIVITY_PROPERTIES only)
      await create_note(contact_id, body, *, timestamp, owner_id=None) -> CrmObject
      await deals_of_contact(contact_id, *, properties=DEAL_PROPERTIES) -> list[CrmObject]
      await list_owners(*, email=None) -> list[Owner]          (every page)
      await list_properties("contacts" | "deals") -> list[PropertyDefinition]
      await token_info() -> TokenInfo(hub_id, app_id, user_id, scopes); .missing(required)
    Models: CrmObject(id, properties, created_at, updated_at, archived, associations),
      Filter(propertyName, operator: Operator, value, values, highValue), FilterGroup, Sort.
    SCOPES: the scopes each kind of call needs, to compare with token_info().
    verify_webhook_signature(secret, method, uri, body, timestamp, signature, now) -> str | None
    parse_webhook_events(body) -> list[WebhookEvent]   (raises WebhookBodyError)

Salesforce (`bot.crm.salesforce`)
    SalesforceClient(instance_url, client_id, client_secret, *, api_version="62.0",
                     timeout=10.0, transport=None)
      query(soql, *, batch_size=None) -> AsyncIterator[dict]   (follows nextRecordsUrl)
      await query_all(soql) -> list[dict];  await query_one(soql) -> dict | None
      await get(sobject, id, fields=()) -> dict
      await update(sobject, id, fields) -> None;  await create(sobject, fields) -> id
      await describe(sobject) -> SObjectDescribe(name, fields[FieldDescribe]); .field(name)
      await limits() -> {name: Limit(max, remaining)};  await active_users() -> list[dict]
      .token_requests: how many tokens were fetched (one per expiry, shared by callers)
    fields_of(record) strips `attributes`.
    check_where(condition, *, known_fields=None) -> list[Problem(position, message)]
    quote(str), quote_like(str), literal(value) -> SOQL literal text
    parse_outbound_message(body, *, organization_id=None) -> OutboundNotifications
      (organization_id, action_id, session_id, enterprise_url, partner_url,
       notifications[OutboundNotification(id, sobject_type, fields, record_id)])
      raises OutboundMessageError (malformed XML, DTD/entities, wrong org)
    outbound_ack() / outbound_nack() -> SOAP response text

Fakes for tests and the demo (`bot.sandbox.fake_crm`; never imported by this package)
    FakeHubSpot(*, token, scopes=None, client_secret, portal_id, app_id, clock=None)
      add_token(token, scopes), set_rate_limit(policy, limit, window_seconds=10.0),
      retry_after_header (bool), faults.inject(endpoint, *, status, body, retry_after,
      delay, times), calls(endpoint=None) -> [Call(endpoint, method, path, query, json,
      status, at)], add_owner(email, first, last, *, owner_id, user_id, archived),
      add_property(object_type, name, kind), create_contact(props, *, created_at),
      update_contact(id, props, *, at), make_mql(id, *, at), add_deal(contact_id, *,
      amount, currency, stage, won, lost_reason, close_date, name, created_at),
      log_sales_activity(id, *, at), delete_contact(id, *, privacy=False),
      merge_contacts(primary_id, merged_id), contact(id), notes_of(id),
      pending_events(), take_events()
    FakeHubSpotServer(portal) -> .url (a BackgroundServer)
    HubSpotWebhookSender(portal, url, *, client_secret=None).send(events=None, *,
      tamper: Tamper | None, timestamp_ms=None) / asend(...); Tamper.STALE, FORGED,
      BODY_CHANGED, UNSIGNED
    FakeSalesforce(*, client_id, client_secret, org_id, multi_currency=False, clock=None,
                   api_version="62.0")
      expire_all_tokens(), client_credentials_enabled (bool), set_request_limit(limit,
      window_seconds=86400), default_batch_size, faults.inject(...), calls(endpoint),
      add_field(sobject, name, kind), add_user(email, first, last, *, active),
      create_lead(fields, *, created_at), make_mql(id, *, status, at), change(sobject,
      id, fields, *, at), insert(sobject, fields, *, created_at), get(sobject, id),
      convert_lead(id, *, amount, stage, currency, at) -> {account, contact, opportunity},
      add_opportunity(contact_id, *, amount, stage, currency, won, loss_reason,
      close_date, account_id), close_opportunity(id, *, won, loss_reason),
      log_activity(who_id, *, kind="Task"|"Event", subject, owner_id, at),
      merge_leads(master_id, duplicate_id), delete(sobject, id)
    FakeSalesforceServer(org) -> .url (both My Domain and instance URL)
    run_query(org, soql) -> (totalSize, records)   (the fake's own SOQL interpreter)
    OutboundMessageSender(org, url).send(record_ids, *, sobject="Lead", fields=...,
      tamper: OutboundTamper | None) / asend(...); acknowledged(response) -> bool
"""
