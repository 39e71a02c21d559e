"""Checking a user-supplied SOQL WHERE condition, and quoting values into SOQL safely.

A team's settings may narrow which leads count as MQLs with their own condition
(`Status = 'Marketing Qualified' AND LeadSource != 'Partner'`). It is pasted into
`SELECT ... FROM Lead WHERE (<condition>) AND ...`, so it must be one boolean
condition and nothing else: no LIMIT, ORDER BY, semicolon or subquery that could
break out of the WHERE clause. `check_where` tokenizes the text and parses it by
recursive descent, returning every problem with its character position.

Grammar and literals follow the SOQL and SOSL Reference ("WHERE", "Comparison
Operators", "Date Formats and Date Literals", "Quoted String Escape Sequences"):
operators `= != < <= > >= LIKE IN NOT IN INCLUDES EXCLUDES`, logic `AND OR NOT` with
parentheses (SOQL refuses AND and OR mixed at one level without parentheses),
single-quoted strings with backslash escapes, numbers, `true false null`, dates
`YYYY-MM-DD`, datetimes `YYYY-MM-DDThh:mm:ss[.sss](Z|+hh:mm|-hh:mm)` and date literals
such as `TODAY` or `LAST_N_DAYS:30`.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

_FIXED_DATE_LITERALS = frozenset(
    f"{when}_{unit}"
    for when in ("LAST", "THIS", "NEXT")
    for unit in ("WEEK", "MONTH", "QUARTER", "YEAR", "FISCAL_QUARTER", "FISCAL_YEAR")
) | {"YESTERDAY", "TODAY", "TOMORROW", "LAST_90_DAYS", "NEXT_90_DAYS"}
_UNITS = ("DAYS", "WEEKS", "MONTHS", "QUARTERS", "YEARS", "FISCAL_QUARTERS", "FISCAL_YEARS")
_N_DATE_LITERALS = frozenset(
    name for unit in _UNITS for name in (f"LAST_N_{unit}", f"NEXT_N_{unit}", f"N_{unit}_AGO")
)
# Words that end or widen a WHERE clause; any of them in a condition is an escape attempt.
_CLAUSE_WORDS = frozenset(
    {"SELECT", "FROM", "WHERE", "LIMIT", "OFFSET", "ORDER", "GROUP", "HAVING", "WITH", "FOR"}
    | {"UPDATE", "USING", "TYPEOF", "ALL", "ROWS", "VIEW", "REFERENCE", "TRACKING"}
)
_KEYWORDS = frozenset({"AND", "OR", "NOT", "IN", "LIKE", "INCLUDES", "EXCLUDES"})
_VALUE_WORDS = frozenset({"TRUE", "FALSE", "NULL"})
_COMPARISONS = frozenset({"=", "!=", "<", "<=", ">", ">="})

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?(?:Z|[+-]\d{2}:\d{2}))
  | (?P<date>\d{4}-\d{2}-\d{2}(?![\dT:]))
  | (?P<number>[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?![\w.]))
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*(?::\d+)?)
  | (?P<op>!=|<=|>=|==|<>|=<|=>|[=<>!])
  | (?P<lparen>\()
  | (?P<rparen>\))
  | (?P<comma>,)
  | (?P<quote>')
    """,
    re.VERBOSE,
)
_ESCAPES = set("nNrRtTbBfF\"'\\_%")


@dataclass(frozen=True)
class Problem:
    """What is wrong, and where (0-based character offset into the condition)."""

    position: int
    message: str

    def __str__(self) -> str:
        return f"{self.message} at {self.position}"


@dataclass(frozen=True)
class _Token:
    kind: str  # word, string, number, date, datetime, op, lparen, rparen, comma, end
    text: str
    position: int


def check_where(condition: str, *, known_fields: Collection[str] | None = None) -> list[Problem]:
    """Every problem with `condition` as a WHERE clause; an empty list means it is safe.

    With `known_fields` (e.g. from `describe("Lead")`), field names are checked too,
    ignoring case as Salesforce does.
    """
    if not condition.strip():
        return [Problem(0, "the condition is empty")]
    tokens, problems = _tokenize(condition)
    if problems:
        return problems
    parser = _Parser(tokens, {f.lower() for f in known_fields} if known_fields else None)
    parser.parse()
    return parser.problems


def quote(value: str) -> str:
    """A SOQL string literal for `value`: single quotes, with quotes and backslashes escaped."""
    escaped = (
        value.replace("\\", "\\\\")
        .replace("'", "\\'")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\t", "\\t")
        .replace("\b", "\\b")
        .replace("\f", "\\f")
    )
    return f"'{escaped}'"


def quote_like(value: str) -> str:
    """Like `quote`, but also escapes the LIKE wildcards % and _ to match them literally."""
    return quote(value)[:-1].replace("%", "\\%").replace("_", "\\_") + "'"


def literal(value: object) -> str:
    """Any Python value as a SOQL literal (strings quoted, datetimes in UTC)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("datetimes must be timezone-aware")
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return quote(value)
    raise TypeError(f"no SOQL literal for {type(value).__name__}")


def _tokenize(text: str) -> tuple[list[_Token], list[Problem]]:
    tokens: list[_Token] = []
    problems: list[Problem] = []
    pos = 0
    while pos < len(text):
        if text[pos] == ";":
            problems.append(Problem(pos, "a semicolon is not allowed"))
            pos += 1
            continue
        if text[pos] == '"':
            problems.append(Problem(pos, "strings take single quotes, not double quotes"))
            end = text.find('"', pos + 1)
            pos = len(text) if end < 0 else end + 1
            continue
        match = _TOKEN.match(text, pos)
        if match is None:
            problems.append(Problem(pos, f"unexpected character {text[pos]!r}"))
            pos += 1
            continue
        kind = match.lastgroup or ""
        if kind == "quote":
            token, pos, problem = _string(text, pos)
            tokens.append(token)
            if problem:
                problems.append(problem)
            continue
        if kind != "space":
            tokens.append(_Token(kind, match.group(), pos))
        pos = match.end()
    tokens.append(_Token("end", "", len(text)))
    return tokens, problems


def _string(text: str, start: int) -> tuple[_Token, int, Problem | None]:
    pos = start + 1
    while pos < len(text):
        char = text[pos]
        if char == "\\":
            if pos + 1 >= len(text) or text[pos + 1] not in _ESCAPES:
                bad = text[pos : pos + 2]
                return (
                    _Token("string", "", start),
                    len(text),
                    Problem(pos, f"unknown escape sequence {bad!r} in a string"),
                )
            pos += 2
            continue
        if char == "'":
            return _Token("string", text[start : pos + 1], start), pos + 1, None
        pos += 1
    return _Token("string", "", start), len(text), Problem(start, "unterminated string")


class _Parser:
    """Recursive descent over the tokens; records problems instead of raising."""

    def __init__(self, tokens: list[_Token], known: set[str] | None) -> None:
        self.tokens = tokens
        self.index = 0
        self.known = known
        self.problems: list[Problem] = []

    @property
    def token(self) -> _Token:
        return self.tokens[self.index]

    def word(self, *words: str) -> bool:
        return self.token.kind == "word" and self.token.text.upper() in words

    def fail(self, message: str, token: _Token | None = None) -> None:
        at = token or self.token
        self.problems.append(Problem(at.position, message))
        raise _Stop

    def parse(self) -> None:
        try:
            self.expression()
            if self.token.kind == "rparen":
                self.fail("unbalanced parenthesis: ')' without '('")
            if self.token.kind != "end":
                self.fail(_unexpected(self.token))
        except _Stop:
            pass

    def expression(self) -> None:
        self.negation()
        joiner: str | None = None
        while self.word("AND", "OR"):
            current = self.token.text.upper()
            if joiner is not None and current != joiner:
                self.fail(f"{current} mixed with {joiner} needs parentheses")
            joiner = current
            self.index += 1
            self.negation()

    def negation(self) -> None:
        if self.word("NOT"):
            self.index += 1
        if self.token.kind == "lparen":
            opening = self.token
            self.index += 1
            if self.word("SELECT"):
                self.fail("subqueries are not allowed")
            self.expression()
            if self.token.kind != "rparen":
                self.fail("unbalanced parenthesis: '(' is never closed", opening)
            self.index += 1
            return
        self.comparison()

    def comparison(self) -> None:
        field = self.token
        if field.kind != "word" or field.text.upper() in _KEYWORDS | _VALUE_WORDS:
            self.fail("expected a field name" if field.kind != "end" else "condition ends early")
        self.check_field(field)
        self.index += 1
        if self.token.kind == "lparen":
            self.fail(f"functions like {field.text}() are not supported")
        operator = self.token
        if operator.kind == "op":
            if operator.text not in _COMPARISONS:
                self.fail(f"unknown operator {operator.text}")
            self.index += 1
            self.value()
        elif self.word("LIKE"):
            self.index += 1
            if self.token.kind != "string":
                self.fail("LIKE needs a quoted string")
            self.index += 1
        elif self.word("IN", "INCLUDES", "EXCLUDES", "NOT"):
            self.in_list()
        else:
            self.fail(f"expected an operator after {field.text}")

    def in_list(self) -> None:
        name = self.token.text.upper()
        if name == "NOT":
            self.index += 1
            if not self.word("IN"):
                self.fail("NOT here must be NOT IN")
            name = "NOT IN"
        self.index += 1
        if self.token.kind != "lparen":
            self.fail(f"{name} needs a parenthesized list")
        opening = self.token
        self.index += 1
        if self.word("SELECT"):
            self.fail("subqueries are not allowed")
        while True:
            if name in {"INCLUDES", "EXCLUDES"} and self.token.kind != "string":
                self.fail(f"{name} takes quoted strings")
            self.value()
            if self.token.kind == "comma":
                self.index += 1
                continue
            if self.token.kind != "rparen":
                self.fail("unbalanced parenthesis: '(' is never closed", opening)
            self.index += 1
            return

    def value(self) -> None:
        token = self.token
        if token.kind in {"string", "number", "date", "datetime"}:
            self.index += 1
            return
        if token.kind == "word":
            upper = token.text.upper()
            if upper in _VALUE_WORDS or upper in _FIXED_DATE_LITERALS:
                self.index += 1
                return
            name, _, count = upper.partition(":")
            if name in _N_DATE_LITERALS:
                if not count:
                    self.fail(f"date literal {name} needs a number, like {name}:7")
                self.index += 1
                return
        if token.kind == "end":
            self.fail("condition ends where a value should be")
        self.fail(f"expected a value, found {token.text!r}")

    def check_field(self, token: _Token) -> None:
        upper = token.text.upper()
        if upper in _CLAUSE_WORDS:
            self.fail(f"{upper} would leave the WHERE clause")
        if ":" in token.text:
            self.fail(f"{token.text!r} is not a field name")
        if (
            self.known is not None
            and "." not in token.text
            and token.text.lower() not in self.known
        ):
            self.problems.append(Problem(token.position, f"unknown field {token.text}"))


class _Stop(Exception):
    """Parsing can't continue past the first structural problem."""


def _unexpected(token: _Token) -> str:
    upper = token.text.upper()
    if token.kind == "word" and upper in _CLAUSE_WORDS:
        return f"{upper} would leave the WHERE clause"
    return f"unexpected {token.text!r}"
