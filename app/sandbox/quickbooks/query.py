"""Parser for the QuickBooks query language (pure: text in, a Query value out, QboFault 4000 on bad syntax).

SELECT * [, f ...] | COUNT(*) | f1, f2 FROM Entity [WHERE cond AND cond ...] [ORDERBY f [ASC|DESC], ...]
[STARTPOSITION n] [MAXRESULTS m] (the paging clauses in either order, as clients write both);
cond is `field op value` with op in = != < > <= >= LIKE IN (...).
Keywords are case-insensitive; strings are single-quoted with backslash escapes (O\\'Brien).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from app.sandbox.quickbooks.faults import query_parse_error

MAX_RESULTS_CAP = 1000
DEFAULT_MAX_RESULTS = 100
OPERATORS = ("=", "!=", "<", ">", "<=", ">=", "LIKE", "IN")

_TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:[^'\\]|\\.)*')|(?P<op><=|>=|!=|<>|=|<|>)|(?P<punct>[(),*])"
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_.]*)|(?P<number>-?\d+(?:\.\d+)?))"
)


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Query:
    entity: str
    fields: tuple[str, ...] = ()  # empty = all fields
    count: bool = False
    where: tuple[Condition, ...] = ()
    order_by: tuple[tuple[str, bool], ...] = ()  # (field, descending)
    start_position: int = 1
    max_results: int = DEFAULT_MAX_RESULTS
    also_selected: tuple[str, ...] = ()  # `SELECT *, Sku`: every default field plus these


@dataclass(frozen=True)
class Token:
    kind: str
    text: str

    @property
    def upper(self) -> str:
        return self.text.upper()


def tokenize(text: str) -> list[Token]:
    tokens, position, text = [], 0, text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise query_parse_error(f"Encountered unexpected character at position {position + 1}")
        kind = match.lastgroup or ""
        tokens.append(Token(kind, _unquote(match.group(kind)) if kind == "string" else match.group(kind)))
        position = match.end()
    return tokens


def _unquote(literal: str) -> str:
    return re.sub(r"\\(.)", r"\1", literal[1:-1])


@dataclass
class _Cursor:
    tokens: list[Token]
    index: int = 0

    def peek(self) -> Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self, expected: str | None = None) -> Token:
        token = self.peek()
        if token is None:
            raise query_parse_error(f"Encountered end of query, expected {expected or 'more'}")
        if expected is not None and token.upper != expected:
            raise query_parse_error(f"Encountered \"{token.text}\", expected {expected}")
        self.index += 1
        return token

    def at(self, keyword: str) -> bool:
        token = self.peek()
        return token is not None and token.kind == "word" and token.upper == keyword


def parse_query(text: str) -> Query:
    cursor = _Cursor(tokenize(text))
    cursor.take("SELECT")
    count, fields, also = _parse_projection(cursor)
    cursor.take("FROM")
    entity = _word(cursor.take(), "an entity name")
    where = _parse_where(cursor) if cursor.at("WHERE") else ()
    order_by = _parse_order(cursor) if cursor.at("ORDERBY") or cursor.at("ORDER") else ()
    paging = _parse_paging(cursor)
    start, max_results = paging.get("STARTPOSITION", 1), paging.get("MAXRESULTS", DEFAULT_MAX_RESULTS)
    if (extra := cursor.peek()) is not None:
        raise query_parse_error(f"Encountered \"{extra.text}\" after the end of the query")
    if start < 1 or not 1 <= max_results <= MAX_RESULTS_CAP:
        raise query_parse_error("STARTPOSITION must be >= 1 and MAXRESULTS between 1 and 1000")
    return Query(entity, fields, count, where, order_by, start, max_results, also_selected=also)


def _parse_paging(cursor: _Cursor) -> dict[str, int]:
    """STARTPOSITION and MAXRESULTS, each at most once, in either order."""
    paging: dict[str, int] = {}
    while (keyword := next((k for k in ("STARTPOSITION", "MAXRESULTS") if cursor.at(k)), None)) is not None:
        if keyword in paging:
            raise query_parse_error(f"{keyword} is given twice")
        paging[keyword] = _parse_int_clause(cursor, keyword, 0)
    return paging


def _word(token: Token, expected: str) -> str:
    if token.kind != "word":
        raise query_parse_error(f"Encountered \"{token.text}\", expected {expected}")
    return token.text


def _parse_projection(cursor: _Cursor) -> tuple[bool, tuple[str, ...], tuple[str, ...]]:
    """(count, fields, also_selected): `SELECT *, Sku` selects every default field plus Sku."""
    if (token := cursor.peek()) is not None and token.text == "*":
        cursor.take()
        also = []
        while (token := cursor.peek()) is not None and token.text == ",":
            cursor.take()
            also.append(_word(cursor.take(), "a field name"))
        return False, (), tuple(also)
    if cursor.at("COUNT"):
        for expected in ("COUNT", "(", "*", ")"):
            cursor.take(expected)
        return True, (), ()
    fields = [_word(cursor.take(), "a field name")]
    while (token := cursor.peek()) is not None and token.text == ",":
        cursor.take()
        fields.append(_word(cursor.take(), "a field name"))
    return False, tuple(fields), ()


def _parse_where(cursor: _Cursor) -> tuple[Condition, ...]:
    cursor.take("WHERE")
    conditions = [_parse_condition(cursor)]
    while cursor.at("AND"):
        cursor.take()
        conditions.append(_parse_condition(cursor))
    if cursor.at("OR"):
        raise query_parse_error("OR is not supported")
    return tuple(conditions)


def _parse_condition(cursor: _Cursor) -> Condition:
    name = _word(cursor.take(), "a field name")
    op_token = cursor.take()
    op = "!=" if op_token.text == "<>" else op_token.upper
    if op not in OPERATORS:
        raise query_parse_error(f"Encountered \"{op_token.text}\", expected an operator")
    if op == "IN":
        return Condition(name, op, _parse_list(cursor))
    return Condition(name, op, (_value(cursor.take()),))


def _parse_list(cursor: _Cursor) -> tuple[str, ...]:
    cursor.take("(")
    values = [_value(cursor.take())]
    while (token := cursor.peek()) is not None and token.text == ",":
        cursor.take()
        values.append(_value(cursor.take()))
    cursor.take(")")
    return tuple(values)


def _value(token: Token) -> str:
    if token.kind == "string" or token.kind == "number":
        return token.text
    if token.kind == "word" and token.upper in ("TRUE", "FALSE"):
        return token.text.lower()
    raise query_parse_error(f"Encountered \"{token.text}\", expected a quoted value")


def _parse_order(cursor: _Cursor) -> tuple[tuple[str, bool], ...]:
    if cursor.take().upper == "ORDER":
        cursor.take("BY")
    order = []
    while True:
        name = _word(cursor.take(), "a field name")
        descending = False
        if cursor.at("ASC") or cursor.at("DESC"):
            descending = cursor.take().upper == "DESC"
        order.append((name, descending))
        if (token := cursor.peek()) is None or token.text != ",":
            return tuple(order)
        cursor.take()


def _parse_int_clause(cursor: _Cursor, keyword: str, default: int) -> int:
    if not cursor.at(keyword):
        return default
    cursor.take()
    token = cursor.take()
    if token.kind != "number" or not token.text.isdigit():
        raise query_parse_error(f"{keyword} needs a whole number, got \"{token.text}\"")
    return int(token.text)
