"""SQL pieces that the two stores spell differently: durations, percentiles, snapshots,
a test on a custom field.

Figures are computed by the database, never by loading rows into Python: a
period can hold a quarter of a million leads.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Boolean, Float, String, func, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Lead

# Walking a duration index to the k-th value reads about k/n of *every* stored
# lead's entries, the period's and all others'; sorting the period reads only its
# own, but sorts them. So walk only a large period (below WALK_FROM values a sort is
# cheap anyway) that holds a good share of the history, at least 1/WALK_SHARE of the
# stored leads. Measured on SQLite with 1,000,000 leads: a 90-day stats over ten years
# of history (1/40) took 0.10 s warm and 0.36 s cold sorting, 1.7-2.6 s cold walking;
# over one year (1/4) 0.38 s walking, 1.07 s sorting. A share of 1/4 as the bound
# sorted that second case too; 1/8 walks it.
WALK_FROM = 20_000
WALK_SHARE = 8


def walks(count: int, stored: int) -> bool:
    """Whether a percentile over `count` of `stored` leads walks a duration index."""
    return count >= WALK_FROM and count * WALK_SHARE >= stored


async def stored_leads(session: AsyncSession) -> int:
    """About how many leads are stored, from the primary key's end (no scan)."""
    return (await session.exec(select(func.max(Lead.id)))).one() or 0


class seconds_between(FunctionElement[float]):
    """Seconds from the first datetime column to the second; NULL if either is NULL."""

    type = Float()
    name = "seconds_between"
    inherit_cache = True


@compiles(seconds_between, "sqlite")
def _seconds_sqlite(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    # UTCDateTime stores ISO text on SQLite; julianday() reads it to the millisecond.
    return f"((julianday({end}) - julianday({start})) * 86400.0)"


@compiles(seconds_between, "postgresql")
def _seconds_postgres(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"EXTRACT(EPOCH FROM ({end} - {start}))"


class field_is_one_of(FunctionElement[bool]):
    """The JSON object's `key` is one of `values` (given lower-case), or a list holding one.

    What a `fields: {KEY: [values]}` criterion means (a list value passes if any item
    does), ignoring letter case (on SQLite for ASCII letters only); an object never
    passes. Every part is a clause, so the statement cache keys on all of them.
    """

    type = Boolean()
    name = "field_is_one_of"
    inherit_cache = True

    def __init__(self, fields: ColumnElement[Any], key: str, values: Sequence[str]) -> None:
        super().__init__(fields, literal(key, String()), *(literal(v, String()) for v in values))


@compiles(field_is_one_of, "sqlite")
def _field_sqlite(element: field_is_one_of, compiler: SQLCompiler, **kw: Any) -> str:
    fields, key, *values = (compiler.process(c, **kw) for c in element.clauses)
    # json_each on a list yields its items; on a single value, that value alone.
    return (
        f"EXISTS (SELECT 1 FROM json_each({fields}, '$.\"' || {key} || '\"') AS item "
        f"WHERE item.type NOT IN ('object', 'array', 'null') "
        f"AND lower(item.value) IN ({', '.join(values)}))"
    )


@compiles(field_is_one_of, "postgresql")
def _field_postgres(element: field_is_one_of, compiler: SQLCompiler, **kw: Any) -> str:
    fields, key, *values = (compiler.process(c, **kw) for c in element.clauses)
    value = f"({fields} -> {key})"
    # A single value is read as a list of one; an object's text never equals a value.
    return (
        f"EXISTS (SELECT 1 FROM json_array_elements_text(CASE WHEN json_typeof({value}) = "
        f"'array' THEN {value} ELSE json_build_array({value}) END) AS item(value) "
        f"WHERE lower(item.value) IN ({', '.join(values)}))"
    )


class unindexed(FunctionElement[Any]):
    """A column's value that SQLite's planner will not look up through an index.

    SQLite picks the created_at index and sorts a quarter of a million rows
    rather than walk the duration index in order; a unary `+` (a no-op on any
    value) takes the created_at index out of its choices. PostgreSQL's planner
    costs both paths itself, so there it is the bare column.
    """

    name = "unindexed"
    inherit_cache = True

    def __init__(self, column: ColumnElement[Any]) -> None:
        super().__init__(column)
        self.type = column.type


@compiles(unindexed)
def _unindexed(element: unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(next(iter(element.clauses)), **kw)


@compiles(unindexed, "sqlite")
def _unindexed_sqlite(element: unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    return "+" + compiler.process(next(iter(element.clauses)), **kw)


async def consistent_snapshot(session: AsyncSession) -> None:
    """Make every query of this unit of work see the same data (call it first).

    A report counts values and then walks to the k-th of them; on PostgreSQL's
    default READ COMMITTED a claim in between would shift the walk. SQLite's
    transactions (BEGIN IMMEDIATE) are serializable already.
    """
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        await connection.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")


async def percentiles(
    session: AsyncSession,
    value: ColumnElement[Any],
    where: Sequence[Any],
    fractions: Sequence[float],
    *,
    count: int,
    select_from: Any = None,
) -> dict[float, float | None]:
    """Continuous percentiles (PostgreSQL's percentile_cont) of `value` over `where`.

    `count` is how many rows match `where` with `value` not NULL (the caller
    has it from its counting query). For a fraction p, percentile_cont
    interpolates between the values ranked floor(p(n-1)) and the next (from 0);
    each is fetched with ORDER BY value LIMIT 2 OFFSET rank, from the low end
    for p <= 0.5 and from the high end above, so that an index on `value` is
    walked as little as possible. No values: None for every fraction.
    """
    answer: dict[float, float | None] = {}
    for fraction in fractions:
        if count <= 0:
            answer[fraction] = None
            continue
        position = fraction * (count - 1)
        low = int(position)
        if fraction <= 0.5:
            found = await _ranked(session, value, where, select_from, offset=low, descending=False)
        else:
            # Rank r from the bottom is rank count-1-r from the top.
            top_offset = max(count - 2 - low, 0)
            found = await _ranked(
                session, value, where, select_from, offset=top_offset, descending=True
            )
            found.reverse()
            if low == count - 1:
                found = found[-1:]
        if not found:
            answer[fraction] = None
            continue
        below = found[0]
        above = found[1] if len(found) > 1 else below
        answer[fraction] = below + (position - low) * (above - below)
    return answer


def ranked_statement(
    value: ColumnElement[Any],
    where: Sequence[Any],
    *,
    offset: int,
    descending: bool = False,
    select_from: Any = None,
) -> Any:
    """The values ranked offset and offset + 1 in order (from the top if descending)."""
    statement = select(value).where(*where, value.is_not(None))
    if select_from is not None:
        statement = statement.select_from(select_from)
    return statement.order_by(value.desc() if descending else value).offset(offset).limit(2)


async def _ranked(
    session: AsyncSession,
    value: ColumnElement[Any],
    where: Sequence[Any],
    select_from: Any,
    *,
    offset: int,
    descending: bool,
) -> list[float]:
    statement = ranked_statement(
        value, where, offset=offset, descending=descending, select_from=select_from
    )
    return [float(v) for v in (await session.exec(statement)).all()]
