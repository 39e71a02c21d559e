"""`handoff import`: CRM exports (HubSpot, Salesforce, any CSV or JSON Lines) into leads.

encoding: which text encoding the file is in. columns: which lead field each
column fills. values: cells as exports write them. reader: the file, row by
row, with report headers and footers skipped. run: validation and storage in
chunks. preview: leads as plain text for --dry-run.
"""
