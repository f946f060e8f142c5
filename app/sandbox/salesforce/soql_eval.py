"""Evaluate a parsed SOQL `Query` over in-memory records (pure: records come from a `RecordSource`)."""
from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cmp_to_key
from typing import Any, Protocol

from app.sandbox.salesforce.schema import (
    NUMBER_TYPES,
    TEXT_TYPES,
    ChildRelationship,
    FieldSpec,
    FieldType,
    ObjectSpec,
    find_object,
)
from app.sandbox.salesforce.soql_ast import (
    BoolOp,
    Condition,
    FieldRef,
    InList,
    Like,
    Literal,
    LiteralKind,
    Not,
    OrderItem,
    Query,
    SoqlError,
    SubQuery,
    malformed,
)
from app.sandbox.salesforce.soql_lexer import ESCAPES

Row = Mapping[str, Any]


class RecordSource(Protocol):
    def rows(self, sobject: str) -> Sequence[Row]:
        """Every record of a type, derived fields included, keys are canonical field names."""

    def row(self, sobject: str, record_id: str) -> Row | None:
        """One record by its 18-character id, or None."""


@dataclass(frozen=True)
class QueryResult:
    total_size: int
    records: list[dict[str, Any]]


@dataclass(frozen=True)
class _Resolved:
    hops: tuple[tuple[FieldSpec, ObjectSpec], ...]  # (reference field, parent object) per dot
    field: FieldSpec


_LITERALS_FOR = {FieldType.BOOLEAN: LiteralKind.BOOLEAN, FieldType.DATE: LiteralKind.DATE,
                 FieldType.DATETIME: LiteralKind.DATETIME}
_NEWLINE_HINT = ("Please reference your WSDL or the describe call for the appropriate names.")


def execute(query: Query, source: RecordSource, *, api_version: str) -> QueryResult:
    spec = object_spec(query.sobject)
    _check_fields(spec, query.fields)
    rows = _select(spec, source, query.where, query.order_by)
    rows = rows[query.offset or 0:]
    if query.limit is not None:
        rows = rows[:query.limit]
    if query.count_only:
        return QueryResult(len(rows), [])
    shaper = _Shaper(source, api_version)
    return QueryResult(len(rows), [shaper.record(spec, row, query.fields) for row in rows])


def object_spec(name: str) -> ObjectSpec:
    spec = find_object(name)
    if spec is None:
        raise SoqlError("INVALID_TYPE", f"sObject type '{name}' is not supported. If you are attempting "
                        f"to use a custom object, be sure to append the '__c' after the entity name. "
                        f"{_NEWLINE_HINT}")
    return spec


def no_such_column(field: str, sobject: str) -> str:
    return (f"No such column '{field}' on entity '{sobject}'. If you are attempting to use a custom "
            f"field, be sure to append the '__c' after the custom field name. {_NEWLINE_HINT}")


def resolve(spec: ObjectSpec, ref: FieldRef) -> _Resolved:
    hops: list[tuple[FieldSpec, ObjectSpec]] = []
    current = spec
    for name in ref.path[:-1]:
        reference = current.parent(name)
        target = find_object(reference.reference_to) if reference and reference.reference_to else None
        if reference is None or target is None:
            raise SoqlError("INVALID_FIELD", f"Didn't understand relationship '{name}' in field path. "
                            f"If you are attempting to use a custom relationship, be sure to append the "
                            f"'__r' after the custom relationship name. {_NEWLINE_HINT}")
        hops.append((reference, target))
        current = target
    field = current.field(ref.path[-1])
    if field is None:
        raise SoqlError("INVALID_FIELD", no_such_column(ref.path[-1], current.name))
    return _Resolved(tuple(hops), field)


def _check_fields(spec: ObjectSpec, items: Sequence[FieldRef | SubQuery]) -> None:
    seen: set[str] = set()
    for item in items:
        name = item.relationship if isinstance(item, SubQuery) else item.text
        if name.lower() in seen:
            raise malformed(f"duplicate field selected: {name}")
        seen.add(name.lower())
        if isinstance(item, SubQuery):
            _child_spec(spec, item.relationship)
            _check_fields(object_spec(_child_spec(spec, item.relationship).child_object), item.fields)
        else:
            resolve(spec, item)


def _child_spec(spec: ObjectSpec, relationship: str) -> ChildRelationship:
    child = spec.child(relationship)
    if child is None:
        raise SoqlError("INVALID_TYPE", f"Didn't understand relationship '{relationship}' in FROM part "
                        f"of query call. If you are attempting to use a custom relationship, be sure to "
                        f"append the '__r' after the custom relationship name. {_NEWLINE_HINT}")
    return child


def _select(spec: ObjectSpec, source: RecordSource, where: Condition | None,
            order_by: Sequence[OrderItem], rows: Sequence[Row] | None = None) -> list[Row]:
    candidates = _candidates(spec, source, where) if rows is None else rows
    predicate = _Predicate(spec, source, where) if where is not None else None
    selected = [row for row in candidates if predicate is None or predicate.matches(row)]
    return _sorted(spec, source, selected, order_by) if order_by else selected


def _candidates(spec: ObjectSpec, source: RecordSource, where: Condition | None) -> Sequence[Row]:
    """The rows the WHERE must look at: through the source's SystemModstamp index when the WHERE requires
    `SystemModstamp >=`, `>` or `=` a datetime (alone or in a top-level AND), so that an incremental poll
    examines the changed records only; otherwise every row. The WHERE is still applied to each candidate."""
    since = _modstamp_floor(where)
    indexed = getattr(source, "rows_stamped_since", None)
    if since is not None and indexed is not None:
        found: Sequence[Row] | None = indexed(spec.name, since)
        if found is not None:
            return found
    return source.rows(spec.name)


def _modstamp_floor(where: Condition | None) -> Any:
    if where is None or isinstance(where, Not | Like | InList):
        return None
    if isinstance(where, BoolOp):
        if where.op != "AND":
            return None
        floors = [floor for floor in (_modstamp_floor(operand) for operand in where.operands) if floor is not None]
        return max(floors) if floors else None
    stamp_field = [part.casefold() for part in where.field.path] == ["systemmodstamp"]
    if stamp_field and where.op in (">=", ">", "=") and where.value.kind is LiteralKind.DATETIME:
        return where.value.value
    return None


def value_of(row: Row | None, resolved: _Resolved, source: RecordSource) -> Any:
    for reference, target in resolved.hops:
        parent_id = row.get(reference.name) if row is not None else None
        row = source.row(target.name, parent_id) if parent_id else None
    return row.get(resolved.field.name) if row is not None else None


def _comparable(field: FieldSpec, value: Any) -> Any:
    if value is None:
        return None
    if field.type in (FieldType.ID, FieldType.REFERENCE):
        return str(value)[:15]  # 15- and 18-character ids name the same record
    if field.type in TEXT_TYPES:
        return str(value).casefold()
    if field.type in NUMBER_TYPES:
        return Decimal(str(value))
    return value


def _expected_kind(field: FieldSpec) -> LiteralKind:
    if field.type in TEXT_TYPES:
        return LiteralKind.STRING
    if field.type in NUMBER_TYPES:
        return LiteralKind.NUMBER
    return _LITERALS_FOR[field.type]


def _check_literal(ref: FieldRef, field: FieldSpec, literal: Literal) -> None:
    expected = _expected_kind(field)
    if literal.kind not in (expected, LiteralKind.NULL):
        quoting = "be" if expected is LiteralKind.STRING else "not be"
        type_name = {"datetime": "dateTime"}.get(field.type.value, field.type.value)
        raise SoqlError("INVALID_FIELD", f"value of filter criterion for field '{ref.text}' must be of "
                        f"type {type_name} and should {quoting} enclosed in quotes")


def like_regex(raw: str) -> re.Pattern[str]:
    """SOQL LIKE: % any run, _ one character, \\% and \\_ literal; case-insensitive."""
    parts: list[str] = []
    index = 0
    while index < len(raw):
        char = raw[index]
        if char == "\\" and index + 1 < len(raw):
            parts.append(re.escape(ESCAPES.get(raw[index + 1], raw[index + 1])))
            index += 2
            continue
        parts.append(".*" if char == "%" else "." if char == "_" else re.escape(char))
        index += 1
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)


def _compare(op: str, left: Any, right: Any) -> bool:
    if right is None:
        return {"=": left is None, "!=": left is not None}.get(op, False)
    if left is None:
        return op == "!="
    return {"=": left == right, "!=": left != right, "<": left < right, "<=": left <= right,
            ">": left > right, ">=": left >= right}[op]


class _Predicate:
    def __init__(self, spec: ObjectSpec, source: RecordSource, condition: Condition) -> None:
        self.spec, self.source, self.condition = spec, source, condition
        self._validate(condition)

    def _validate(self, condition: Condition) -> None:
        if isinstance(condition, BoolOp):
            for operand in condition.operands:
                self._validate(operand)
        elif isinstance(condition, Not):
            self._validate(condition.operand)
        elif isinstance(condition, Like):
            field = resolve(self.spec, condition.field).field
            if field.type not in TEXT_TYPES:
                raise SoqlError("INVALID_FIELD", f"invalid operator on field '{condition.field.text}'")
        else:
            field = resolve(self.spec, condition.field).field
            values = condition.values if isinstance(condition, InList) else (condition.value,)
            for literal in values:
                _check_literal(condition.field, field, literal)

    def matches(self, row: Row, condition: Condition | None = None) -> bool:
        condition = self.condition if condition is None else condition
        if isinstance(condition, BoolOp):
            results = (self.matches(row, operand) for operand in condition.operands)
            return all(results) if condition.op == "AND" else any(results)
        if isinstance(condition, Not):
            return not self.matches(row, condition.operand)
        resolved = resolve(self.spec, condition.field)
        actual = value_of(row, resolved, self.source)
        if isinstance(condition, Like):
            return actual is not None and bool(like_regex(condition.pattern.raw).fullmatch(str(actual)))
        left = _comparable(resolved.field, actual)
        if isinstance(condition, InList):
            found = left in {_comparable(resolved.field, lit.value) for lit in condition.values}
            return not found if condition.negated else found
        return _compare(condition.op, left, _comparable(resolved.field, condition.value.value))


def _sorted(spec: ObjectSpec, source: RecordSource, rows: list[Row],
            order_by: Sequence[OrderItem]) -> list[Row]:
    resolved = [resolve(spec, item.field) for item in order_by]
    keyed = [([_comparable(r.field, value_of(row, r, source)) for r in resolved], row) for row in rows]

    def compare(a: tuple[list[Any], Row], b: tuple[list[Any], Row]) -> int:
        for item, x, y in zip(order_by, a[0], b[0], strict=True):
            if x is None or y is None:
                if x is None and y is None:
                    continue
                return (1 if item.nulls_last else -1) * (1 if x is None else -1)
            result = (x > y) - (x < y)
            if result:
                return -result if item.descending else result
        return 0

    return [row for _, row in sorted(keyed, key=cmp_to_key(compare))]


class _Shaper:
    """Builds the REST JSON shape of one record: attributes, nested parents, child sub-results."""

    def __init__(self, source: RecordSource, api_version: str) -> None:
        self.source, self.api_version = source, api_version
        self._children_by_parent: dict[tuple[str, str], dict[Any, list[Row]]] = {}

    def attributes(self, sobject: str, record_id: str) -> dict[str, str]:
        return {"type": sobject,
                "url": f"/services/data/v{self.api_version}/sobjects/{sobject}/{record_id}"}

    def record(self, spec: ObjectSpec, row: Row, items: Sequence[FieldRef | SubQuery]) -> dict[str, Any]:
        out: dict[str, Any] = {"attributes": self.attributes(spec.name, row["Id"])}
        for item in items:
            if isinstance(item, SubQuery):
                child = _child_spec(spec, item.relationship)
                out[child.name] = self.children(spec, row, item)
            else:
                self.put(out, spec, row, resolve(spec, item))
        return out

    def put(self, out: dict[str, Any], spec: ObjectSpec, row: Row, resolved: _Resolved) -> None:
        container, current = out, row
        for reference, target in resolved.hops:
            relationship = reference.relationship_name or ""
            parent_id = current.get(reference.name)
            parent = self.source.row(target.name, parent_id) if parent_id else None
            if parent is None:
                container.setdefault(relationship, None)
                return
            nested = container.get(relationship) or {"attributes": self.attributes(target.name, parent["Id"])}
            container[relationship] = nested
            container, current = nested, parent
        container[resolved.field.name] = current.get(resolved.field.name)

    def children(self, spec: ObjectSpec, row: Row, sub: SubQuery) -> dict[str, Any] | None:
        relationship = _child_spec(spec, sub.relationship)
        child_spec = object_spec(relationship.child_object)
        linked = self._linked(child_spec.name, relationship.field, row["Id"])
        selected = _select(child_spec, self.source, sub.where, sub.order_by, linked)
        if sub.limit is not None:
            selected = selected[:sub.limit]
        if not selected:
            return None
        records = [self.record(child_spec, child, sub.fields) for child in selected]
        return {"totalSize": len(records), "done": True, "records": records}

    def _linked(self, child_object: str, field: str, parent_id: str) -> list[Row]:
        """The children of one parent, in store order. Indexed once per query: a scan of every child per parent
        made a 10,000-opportunity query with its line items take minutes."""
        indexed = getattr(self.source, "children", None)
        found: Sequence[Row] | None = indexed(child_object, field, parent_id) if indexed is not None else None
        if found is not None:
            return list(found)
        key = (child_object, field)
        if key not in self._children_by_parent:
            index: dict[Any, list[Row]] = defaultdict(list)
            for child in self.source.rows(child_object):
                index[child.get(field)].append(child)
            self._children_by_parent[key] = index
        return self._children_by_parent[key].get(parent_id, [])
