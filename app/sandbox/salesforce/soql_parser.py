"""SOQL parser: tokens to a `Query` (pure). Anything outside the subset is MALFORMED_QUERY."""
from __future__ import annotations

from app.sandbox.salesforce.soql_ast import (
    BoolOp,
    Comparison,
    Condition,
    FieldRef,
    InList,
    Like,
    Literal,
    LiteralKind,
    Not,
    OrderItem,
    Query,
    SubQuery,
    malformed,
)
from app.sandbox.salesforce.soql_lexer import Token, tokenize

_COMPARATORS = {"=", "!=", "<>", "<", "<=", ">", ">="}
_LITERAL_KINDS = {"string": LiteralKind.STRING, "number": LiteralKind.NUMBER,
                  "date": LiteralKind.DATE, "datetime": LiteralKind.DATETIME}


def parse_soql(text: str) -> Query:
    parser = _Parser(tokenize(text))
    query = parser.query()
    parser.expect_end()
    return query


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.index = 0

    # -- token helpers -------------------------------------------------------------------------
    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        self.index = min(self.index + 1, len(self.tokens) - 1)
        return token

    def unexpected(self) -> Exception:
        return malformed(f"unexpected token: '{self.current.text}'")

    def keyword(self, *words: str) -> bool:
        if self.current.is_keyword(*words):
            self.advance()
            return True
        return False

    def expect_keyword(self, word: str) -> None:
        if not self.keyword(word):
            raise self.unexpected()

    def punct(self, char: str) -> bool:
        if self.current.kind == "punct" and self.current.text == char:
            self.advance()
            return True
        return False

    def expect_punct(self, char: str) -> None:
        if not self.punct(char):
            raise self.unexpected()

    def expect_end(self) -> None:
        if self.current.kind != "eof":
            raise self.unexpected()

    # -- grammar -------------------------------------------------------------------------------
    def query(self) -> Query:
        self.expect_keyword("SELECT")
        count_only, fields = self.select_list(allow_subqueries=True)
        self.expect_keyword("FROM")
        sobject = self.identifier()
        where = self.condition() if self.keyword("WHERE") else None
        order_by = self.order_by()
        limit = self.integer_after("LIMIT")
        offset = self.integer_after("OFFSET")
        return Query(sobject, fields, count_only, where, order_by, limit, offset)

    def subquery(self) -> SubQuery:
        self.expect_keyword("SELECT")
        _, fields = self.select_list(allow_subqueries=False)
        self.expect_keyword("FROM")
        relationship = self.identifier()
        where = self.condition() if self.keyword("WHERE") else None
        order_by = self.order_by()
        limit = self.integer_after("LIMIT")
        self.expect_punct(")")
        return SubQuery(relationship, fields, where, order_by, limit)

    def select_list(self, *, allow_subqueries: bool) -> tuple[bool, tuple]:
        if self.current.is_keyword("COUNT") and self.tokens[self.index + 1].text == "(":
            self.advance()
            self.expect_punct("(")
            self.expect_punct(")")
            return True, ()
        items: list[FieldRef | SubQuery] = [self.select_item(allow_subqueries)]
        while self.punct(","):
            items.append(self.select_item(allow_subqueries))
        return False, tuple(items)

    def select_item(self, allow_subqueries: bool) -> FieldRef | SubQuery:
        if allow_subqueries and self.punct("("):
            return self.subquery()
        if self.current.is_keyword("FROM", "SELECT"):
            raise self.unexpected()
        return self.field_ref()

    def identifier(self) -> str:
        if self.current.kind != "ident":
            raise self.unexpected()
        return self.advance().text

    def field_ref(self) -> FieldRef:
        parts = [self.identifier()]
        while self.punct("."):
            parts.append(self.identifier())
        if self.current.kind == "punct" and self.current.text == "(":
            raise malformed(f"unexpected token: '{parts[-1]}(': only COUNT() is supported")
        return FieldRef(tuple(parts))

    def integer_after(self, word: str) -> int | None:
        if not self.keyword(word):
            return None
        token = self.advance()
        if token.kind != "number" or not token.text.isdigit():
            raise malformed(f"unexpected token: '{token.text}'")
        return int(token.text)

    def order_by(self) -> tuple[OrderItem, ...]:
        if not self.keyword("ORDER"):
            return ()
        self.expect_keyword("BY")
        items = [self.order_item()]
        while self.punct(","):
            items.append(self.order_item())
        return tuple(items)

    def order_item(self) -> OrderItem:
        field = self.field_ref()
        descending = self.keyword("DESC")
        if not descending:
            self.keyword("ASC")
        nulls_last = False
        if self.keyword("NULLS"):
            if self.keyword("LAST"):
                nulls_last = True
            else:
                self.expect_keyword("FIRST")
        return OrderItem(field, descending, nulls_last)

    def condition(self) -> Condition:
        first = self.unary()
        if not self.current.is_keyword("AND", "OR"):
            return first
        op = self.current.text.upper()
        operands = [first]
        while self.keyword(op):
            operands.append(self.unary())
        if self.current.is_keyword("AND", "OR"):
            raise self.unexpected()  # Salesforce needs parentheses to mix AND and OR
        return BoolOp(op, tuple(operands))

    def unary(self) -> Condition:
        if self.keyword("NOT"):
            return Not(self.unary())
        if self.punct("("):
            inner = self.condition()
            self.expect_punct(")")
            return inner
        return self.comparison()

    def comparison(self) -> Condition:
        field = self.field_ref()
        token = self.current
        if token.kind == "op" and token.text in _COMPARATORS:
            self.advance()
            return Comparison(field, "!=" if token.text == "<>" else token.text, self.literal())
        if self.keyword("LIKE"):
            pattern = self.literal()
            if pattern.kind is not LiteralKind.STRING:
                raise malformed(f"unexpected token: '{pattern.raw or pattern.value}'")
            return Like(field, pattern)
        negated = self.keyword("NOT")
        if self.keyword("IN"):
            return InList(field, self.literal_list(), negated)
        raise self.unexpected()

    def literal_list(self) -> tuple[Literal, ...]:
        self.expect_punct("(")
        values = [self.literal()]
        while self.punct(","):
            values.append(self.literal())
        self.expect_punct(")")
        return tuple(values)

    def literal(self) -> Literal:
        token = self.current
        if token.kind in _LITERAL_KINDS:
            self.advance()
            return Literal(_LITERAL_KINDS[token.kind], token.value, token.text)
        if token.is_keyword("NULL"):
            self.advance()
            return Literal(LiteralKind.NULL, None, token.text)
        if token.is_keyword("TRUE", "FALSE"):
            self.advance()
            return Literal(LiteralKind.BOOLEAN, token.text.upper() == "TRUE", token.text)
        raise self.unexpected()
