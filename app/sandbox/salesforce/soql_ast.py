"""The parsed form of a SOQL query (the subset the emulator understands), and its error."""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class SoqlError(Exception):
    """A query Salesforce would refuse; `error_code` is Salesforce's (MALFORMED_QUERY, INVALID_FIELD, ...)."""

    def __init__(self, error_code: str, message: str) -> None:
        super().__init__(message)
        self.error_code = error_code
        self.message = message


def malformed(message: str) -> SoqlError:
    return SoqlError("MALFORMED_QUERY", message)


class LiteralKind(StrEnum):
    STRING = "string"
    NUMBER = "number"
    DATE = "date"
    DATETIME = "datetime"
    BOOLEAN = "boolean"
    NULL = "null"


@dataclass(frozen=True)
class Literal:
    kind: LiteralKind
    value: object
    raw: str = ""  # the text between the quotes, escapes kept (LIKE needs it)


@dataclass(frozen=True)
class FieldRef:
    path: tuple[str, ...]

    @property
    def text(self) -> str:
        return ".".join(self.path)


@dataclass(frozen=True)
class Comparison:
    field: FieldRef
    op: str
    value: Literal


@dataclass(frozen=True)
class InList:
    field: FieldRef
    values: tuple[Literal, ...]
    negated: bool


@dataclass(frozen=True)
class Like:
    field: FieldRef
    pattern: Literal


@dataclass(frozen=True)
class Not:
    operand: Condition


@dataclass(frozen=True)
class BoolOp:
    op: str  # "AND" | "OR"
    operands: tuple[Condition, ...]


Condition = Comparison | InList | Like | Not | BoolOp


@dataclass(frozen=True)
class OrderItem:
    field: FieldRef
    descending: bool = False
    nulls_last: bool = False


@dataclass(frozen=True)
class SubQuery:
    relationship: str
    fields: tuple[FieldRef, ...]
    where: Condition | None = None
    order_by: tuple[OrderItem, ...] = ()
    limit: int | None = None


@dataclass(frozen=True)
class Query:
    sobject: str
    fields: tuple[FieldRef | SubQuery, ...]
    count_only: bool = False
    where: Condition | None = None
    order_by: tuple[OrderItem, ...] = ()
    limit: int | None = None
    offset: int | None = None
