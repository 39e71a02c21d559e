"""The fake org's own SOQL parser: SELECT fields FROM object [WHERE] [ORDER BY] [LIMIT] [OFFSET].

Written apart from `bot/crm/salesforce/soql.py` on purpose (it imports nothing from
the bot), so a misreading of SOQL in one can't hide the same misreading in the other.
It covers what the connector sends: field lists with parent relationships (`Owner.Email`)
and `COUNT()`, WHERE with `= != < <= > >= LIKE IN NOT IN INCLUDES EXCLUDES`, AND / OR /
NOT and parentheses, and literals (strings with escapes, numbers, booleans, null,
dates, datetimes, date literals). No subqueries, aggregates besides COUNT(), or GROUP BY.
Errors are Salesforce's codes: MALFORMED_QUERY for syntax.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

_ESCAPED = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", '"': '"', "'": "'"}
_ESCAPED |= {"\\": "\\"}
_OPERATORS = ("!=", "<=", ">=", "=", "<", ">")


class SoqlError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def malformed(message: str) -> SoqlError:
    return SoqlError("MALFORMED_QUERY", message)


@dataclass(frozen=True)
class Value:
    """A literal: kind is string, like, number, boolean, null, date, datetime or dateliteral."""

    kind: str
    raw: Any


@dataclass(frozen=True)
class Comparison:
    field: str
    operator: str  # = != < <= > >= LIKE IN NOT IN INCLUDES EXCLUDES
    values: tuple[Value, ...]


@dataclass(frozen=True)
class Logic:
    operator: str  # AND, OR, NOT
    parts: tuple[Any, ...]


@dataclass
class Query:
    sobject: str
    fields: list[str] = field(default_factory=list)
    count: bool = False
    where: Comparison | Logic | None = None
    order: list[tuple[str, bool, bool]] = field(default_factory=list)  # field, desc, nulls first
    limit: int | None = None
    offset: int = 0


def tokenize(text: str) -> list[tuple[str, str]]:
    """(kind, text) pairs; kind is name, string, number, op, or one of ( ) , :"""
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(text):
        c = text[i]
        if c.isspace():
            i += 1
        elif c in "(),":
            out.append((c, c))
            i += 1
        elif c == "'":
            value, i = _read_string(text, i)
            out.append(("string", value))
        elif c.isdigit() or (c in "+-." and i + 1 < len(text) and text[i + 1].isdigit()):
            j = i + 1
            while j < len(text) and (text[j].isalnum() or text[j] in ".:-+"):
                j += 1
            out.append(("number", text[i:j]))
            i = j
        elif c.isalpha() or c == "_":
            j = i
            while j < len(text) and (text[j].isalnum() or text[j] in "_.:"):
                j += 1
            out.append(("name", text[i:j]))
            i = j
        else:
            op = next((o for o in _OPERATORS if text.startswith(o, i)), None)
            if op is None:
                raise malformed(f"unexpected token: '{c}'")
            out.append(("op", op))
            i += len(op)
    return out


def _read_string(text: str, start: int) -> tuple[str, int]:
    chars: list[str] = []
    i = start + 1
    while i < len(text):
        c = text[i]
        if c == "\\":
            nxt = text[i + 1 : i + 2]
            if nxt in ("%", "_"):
                chars.append("\\" + nxt)  # kept escaped: only LIKE gives them meaning
            elif nxt.lower() in _ESCAPED or nxt in _ESCAPED:
                chars.append(_ESCAPED.get(nxt, _ESCAPED.get(nxt.lower(), nxt)))
            else:
                raise malformed(f"Invalid string literal: unknown escape \\{nxt}")
            i += 2
        elif c == "'":
            return "".join(chars), i + 1
        else:
            chars.append(c)
            i += 1
    raise malformed("unexpected end of query: unterminated string literal")


class Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.pos = 0

    def peek(self, offset: int = 0) -> tuple[str, str]:
        index = self.pos + offset
        return self.tokens[index] if index < len(self.tokens) else ("end", "")

    def is_word(self, *words: str) -> bool:
        kind, text = self.peek()
        return kind == "name" and text.upper() in words

    def expect_word(self, word: str) -> None:
        if not self.is_word(word):
            raise malformed(f"unexpected token: '{self.peek()[1] or 'end of query'}'")
        self.pos += 1

    def take(self, kind: str) -> str:
        got, text = self.peek()
        if got != kind:
            raise malformed(f"unexpected token: '{text or 'end of query'}'")
        self.pos += 1
        return text

    def query(self) -> Query:
        self.expect_word("SELECT")
        fields, count = self.field_list()
        self.expect_word("FROM")
        query = Query(sobject=self.take("name"), fields=fields, count=count)
        if self.is_word("WHERE"):
            self.pos += 1
            query.where = self.disjunction()
        if self.is_word("ORDER"):
            self.pos += 1
            self.expect_word("BY")
            query.order = self.order_list()
        if self.is_word("LIMIT"):
            self.pos += 1
            query.limit = int(self.take("number"))
        if self.is_word("OFFSET"):
            self.pos += 1
            query.offset = int(self.take("number"))
        if self.peek()[0] != "end":
            raise malformed(f"unexpected token: '{self.peek()[1]}'")
        return query

    def field_list(self) -> tuple[list[str], bool]:
        if self.is_word("COUNT") and self.peek(1)[0] == "(":
            self.pos += 2
            self.take(")")
            return [], True
        fields = [self.take("name")]
        while self.peek()[0] == ",":
            self.pos += 1
            if self.peek()[0] == "(":
                raise malformed("subqueries are not supported by the fake org")
            fields.append(self.take("name"))
        return fields, False

    def order_list(self) -> list[tuple[str, bool, bool]]:
        order = []
        while True:
            name = self.take("name")
            descending = False
            if self.is_word("ASC", "DESC"):
                descending = self.peek()[1].upper() == "DESC"
                self.pos += 1
            nulls_first = not descending
            if self.is_word("NULLS"):
                self.pos += 1
                nulls_first = self.take("name").upper() == "FIRST"
            order.append((name, descending, nulls_first))
            if self.peek()[0] != ",":
                return order
            self.pos += 1

    def disjunction(self) -> Comparison | Logic:
        parts = [self.negation()]
        joiner = None
        while self.is_word("AND", "OR"):
            word = self.peek()[1].upper()
            if joiner and word != joiner:
                raise malformed(f"unexpected token: '{word}'")
            joiner = word
            self.pos += 1
            parts.append(self.negation())
        return parts[0] if joiner is None else Logic(joiner, tuple(parts))

    def negation(self) -> Comparison | Logic:
        if self.is_word("NOT"):
            self.pos += 1
            return Logic("NOT", (self.negation(),))
        if self.peek()[0] == "(":
            self.pos += 1
            if self.is_word("SELECT"):
                raise malformed("subqueries are not supported by the fake org")
            inner = self.disjunction()
            self.take(")")
            return inner
        return self.comparison()

    def comparison(self) -> Comparison:
        name = self.take("name")
        kind, text = self.peek()
        if kind == "op":
            self.pos += 1
            return Comparison(name, text, (self.value(),))
        word = text.upper() if kind == "name" else ""
        if word == "NOT" and self.peek(1)[1].upper() == "IN":
            self.pos += 2
            return Comparison(name, "NOT IN", self.value_list())
        if word in {"IN", "INCLUDES", "EXCLUDES"}:
            self.pos += 1
            return Comparison(name, word, self.value_list())
        if word == "LIKE":
            self.pos += 1
            if self.peek()[0] != "string":
                raise malformed("LIKE takes a string literal")
            return Comparison(name, "LIKE", (Value("like", self.take("string")),))
        raise malformed(f"unexpected token: '{text or 'end of query'}'")

    def value_list(self) -> tuple[Value, ...]:
        self.take("(")
        if self.is_word("SELECT"):
            raise malformed("subqueries are not supported by the fake org")
        values = [self.value()]
        while self.peek()[0] == ",":
            self.pos += 1
            values.append(self.value())
        self.take(")")
        return tuple(values)

    def value(self) -> Value:
        kind, text = self.peek()
        self.pos += 1
        if kind == "string":
            return Value("string", text.replace("\\%", "%").replace("\\_", "_"))
        if kind == "number":
            if len(text) >= 10 and text[4:5] == "-" and text[7:8] == "-":
                return Value("datetime" if "T" in text else "date", text)
            try:
                return Value("number", float(text))
            except ValueError:
                raise malformed(f"unexpected token: '{text}'") from None
        if kind == "name":
            upper = text.upper()
            if upper in {"TRUE", "FALSE"}:
                return Value("boolean", upper == "TRUE")
            if upper == "NULL":
                return Value("null", None)
            return Value("dateliteral", upper)
        raise malformed(f"unexpected token: '{text or 'end of query'}'")


def parse(text: str) -> Query:
    return Parser(text).query()
