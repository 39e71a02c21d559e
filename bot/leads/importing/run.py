"""Importing a file: rows → validated leads → the intake's ingest, one chunk at a time.

Each chunk is its own transaction, so memory stays flat however long the file
is, and an import that stops half-way (Ctrl-C, a lost connection) keeps the
chunks it stored: running it again finds those leads as duplicates (by
external_id, or email and source within the dedup window) and queues no
second card.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo

from pydantic import ValidationError

from bot.leads.importing import values
from bot.leads.importing.reader import Export, FileRow
from storage.database import Database
from storage.definition import Grading
from storage.lead_input import LeadIn, field_errors
from storage.leads import IngestStatus, ingest_leads

CHUNK = 500  # the intake API's batch limit: statements of a size both stores take
MAX_LISTED = 1000  # invalid lines listed one by one; beyond that, counted
MAX_DUPLICATE_LINES = 50


@dataclass(frozen=True)
class ParsedLead:
    line: int
    lead: LeadIn
    arrived_at: datetime | None


@dataclass
class ImportResult:
    valid: int = 0
    created: int = 0
    duplicate: int = 0
    duplicate_lines: list[int] = field(default_factory=list)
    invalid_count: int = 0
    invalid: list[tuple[int, str]] = field(default_factory=list)
    previews: list[ParsedLead] = field(default_factory=list)

    def add_invalid(self, line: int, message: str) -> None:
        self.invalid_count += 1
        if len(self.invalid) < MAX_LISTED:
            self.invalid.append((line, message))


@dataclass(frozen=True)
class ImportOptions:
    zone: tzinfo
    dedup_window: timedelta
    post_cards: bool = True
    previews: int = 0
    grading: Grading | None = None  # the MQL definition, graded as intake does


def parse_row(row: FileRow, *, zone: tzinfo, now: datetime) -> ParsedLead | str:
    """A valid lead with its arrival time, or the message for an invalid line."""
    if row.problem or row.data is None:
        return row.problem or "is empty"
    problems = []
    arrived_at = None
    if row.arrival:
        try:
            arrived_at = values.arrival(row.arrival, zone, now)
        except ValueError as exc:
            problems.append(f"created_at: {exc}")
    try:
        lead = LeadIn.model_validate(row.data)
    except ValidationError as exc:
        problems[:0] = [f"{e.field}: {e.message}" for e in field_errors(exc)]
        lead = None
    if problems or lead is None:
        return "; ".join(problems)
    return ParsedLead(row.line, lead, arrived_at)


async def import_rows(
    export: Export,
    db: Database | None,
    options: ImportOptions,
    *,
    clock: Callable[[], datetime],
    progress: Callable[[int], None] = lambda _: None,
) -> ImportResult:
    """Validate every row and, unless `db` is None (a dry run), store them chunk by chunk."""
    result = ImportResult()
    started = clock()
    chunk: list[ParsedLead] = []
    for row in export.rows():
        parsed = parse_row(row, zone=options.zone, now=started)
        progress(export.position())
        if isinstance(parsed, str):
            result.add_invalid(row.line, parsed)
            continue
        result.valid += 1
        if len(result.previews) < options.previews:
            result.previews.append(parsed)
        chunk.append(parsed)
        if len(chunk) >= CHUNK:
            await _store(db, chunk, result, options, clock())
    await _store(db, chunk, result, options, clock())
    progress(export.size)
    return result


async def _store(
    db: Database | None,
    chunk: list[ParsedLead],
    result: ImportResult,
    options: ImportOptions,
    now: datetime,
) -> None:
    if db is None or not chunk:
        chunk.clear()
        return
    async with db.session() as session:
        outcomes = await ingest_leads(
            session,
            [parsed.lead for parsed in chunk],
            now=now,
            dedup_window=options.dedup_window,
            arrived_at=[parsed.arrived_at or now for parsed in chunk],
            post_cards=options.post_cards,
            grading=options.grading,
        )
    for parsed, outcome in zip(chunk, outcomes, strict=True):
        if outcome.status is IngestStatus.CREATED:
            result.created += 1
        else:
            result.duplicate += 1
            if len(result.duplicate_lines) < MAX_DUPLICATE_LINES:
                result.duplicate_lines.append(parsed.line)
    chunk.clear()
