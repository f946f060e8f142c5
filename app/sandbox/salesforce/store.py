"""In-memory records of the emulated org: typed writes checked against the schema, derived fields on read.

Indexed so that a query costs O(matches), not O(rows): per object the records in SystemModstamp order (what an
incremental poll's `SystemModstamp >= t` reads), and the line items per opportunity (the Amount roll-up and the
OpportunityLineItems subquery). A snapshot derives a row only when a query touches it.

Not thread-safe on its own: `SalesforceState` holds the lock around every call.
"""
from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from app.sandbox.salesforce.errors import ApiError, json_parser_error, not_found
from app.sandbox.salesforce.ids import make_id, to_18
from app.sandbox.salesforce.schema import OBJECTS, FieldSpec, FieldType, ObjectSpec, find_object
from app.sandbox.salesforce.values import ValueRejected, coerce

Row = dict[str, Any]
_CENT = Decimal("0.01")
_LINE, _OPPORTUNITY = "OpportunityLineItem", "Opportunity"


def object_or_404(name: str) -> ObjectSpec:
    spec = find_object(name)
    if spec is None:
        raise not_found()
    return spec


class RecordStore:
    def __init__(self) -> None:
        self._rows: dict[str, dict[str, Row]] = {spec.name: {} for spec in OBJECTS}
        self._by_modstamp: dict[str, list[tuple[datetime, str]]] = {spec.name: [] for spec in OBJECTS}
        self._lines_of: dict[str, dict[str, None]] = {}       # opportunity id -> its line ids, in creation order
        self._counter = 0

    # -- writes --------------------------------------------------------------------------------
    def create(self, spec: ObjectSpec, fields: Mapping[str, Any], *, now: datetime) -> str:
        values = self._typed(spec, fields)
        missing = [name for name in spec.required if values.get(name) is None]
        if missing:
            raise ApiError(400, "REQUIRED_FIELD_MISSING",
                           f"Required fields are missing: [{', '.join(missing)}]", fields=missing)
        self._counter += 1
        record_id = make_id(spec.key_prefix, self._counter)
        row: Row = {"Id": record_id, "IsDeleted": False, "CreatedDate": now}
        row.update(_checkbox_defaults(spec))     # Salesforce checkboxes are never null: false until set
        row.update(values)
        self._rows[spec.name][record_id] = row
        if spec.name == _LINE:
            self._lines_of.setdefault(row.get("OpportunityId") or "", {})[record_id] = None
        self._stamp(spec, row, now)
        return record_id

    def update(self, spec: ObjectSpec, record_id: str, fields: Mapping[str, Any], *, now: datetime) -> None:
        row = self.stored(spec, record_id)
        before = row.get("OpportunityId")
        row.update(self._typed(spec, fields))
        if spec.name == _LINE and row.get("OpportunityId") != before:
            self._lines_of.get(before or "", {}).pop(row["Id"], None)
            self._lines_of.setdefault(row.get("OpportunityId") or "", {})[row["Id"]] = None
        self._stamp(spec, row, now)

    def _stamp(self, spec: ObjectSpec, row: Row, now: datetime) -> None:
        self._restamp(spec.name, row, now)
        if spec.name == _LINE:  # the roll-up of Amount modifies the parent opportunity too
            parent = self._rows[_OPPORTUNITY].get(row.get("OpportunityId") or "")
            if parent is not None:
                self._restamp(_OPPORTUNITY, parent, now)

    def _restamp(self, sobject: str, row: Row, now: datetime) -> None:
        """Set LastModifiedDate and SystemModstamp, keeping the SystemModstamp index sorted."""
        index = self._by_modstamp[sobject]
        old = row.get("SystemModstamp")
        if old is not None:
            position = bisect.bisect_left(index, (old, row["Id"]))
            if position < len(index) and index[position] == (old, row["Id"]):
                del index[position]
        row["LastModifiedDate"] = row["SystemModstamp"] = now
        bisect.insort(index, (now, row["Id"]))

    def _typed(self, spec: ObjectSpec, fields: Mapping[str, Any]) -> Row:
        if not isinstance(fields, Mapping):
            raise json_parser_error("Expected a JSON object with field values")
        typed: Row = {}
        for name, value in fields.items():
            field = spec.field(name)
            if field is None:
                raise ApiError(400, "INVALID_FIELD", f"No such column '{name}' on sobject of type {spec.name}")
            if not field.writable:
                raise ApiError(400, "INVALID_FIELD_FOR_INSERT_UPDATE",
                               f"Unable to create/update fields: {field.name}. Please check the security "
                               "settings of this field and verify that it is read/write for your profile "
                               "or permission set.", fields=[field.name])
            typed[field.name] = self._checked(field, value)
        return typed

    def _checked(self, field: FieldSpec, value: Any) -> Any:
        try:
            typed = coerce(field, value)
        except ValueRejected as error:
            raise json_parser_error(str(error)) from None
        if field.reference_to and typed is not None:
            full = to_18(typed)
            if full is None:
                raise ApiError(400, "MALFORMED_ID", f"{field.name}: id value of incorrect type: {typed}",
                               fields=[field.name])
            if full not in self._rows[field.reference_to]:
                raise ApiError(400, "FIELD_INTEGRITY_EXCEPTION",
                               f"{field.name}: id value of incorrect type: {typed}", fields=[field.name])
            typed = full
        return typed

    # -- reads ---------------------------------------------------------------------------------
    def stored(self, spec: ObjectSpec, record_id: str) -> Row:
        row = self._rows[spec.name].get(to_18(record_id) or "")
        if row is None:
            raise not_found()
        return row

    def snapshot(self) -> Snapshot:
        return Snapshot(self._rows, self._by_modstamp, self._lines_of)


class Snapshot:
    """A `RecordSource` for one query: derives each row it is asked for once, derived fields included."""

    def __init__(self, rows: Mapping[str, Mapping[str, Row]],
                 by_modstamp: Mapping[str, list[tuple[datetime, str]]] | None = None,
                 lines_of: Mapping[str, Mapping[str, None]] | None = None) -> None:
        self._stored = rows
        self._by_modstamp = by_modstamp
        self._lines_of = lines_of
        self._cache: dict[str, dict[str, Row]] = {}
        self.derived = 0
        """Rows derived so far: what a query examined (the tests check it does not grow with the org)."""

    def rows(self, sobject: str) -> Sequence[Row]:
        return [self._derived(sobject, rid) for rid in self._stored[object_or_404(sobject).name]]

    def row(self, sobject: str, record_id: str) -> Row | None:
        rid = to_18(record_id) or ""
        return self._derived(sobject, rid) if rid in self._stored[object_or_404(sobject).name] else None

    def rows_stamped_since(self, sobject: str, since: datetime) -> Sequence[Row] | None:
        """The records with SystemModstamp >= `since` (a superset is fine: the WHERE still applies), in
        SystemModstamp order; None when this snapshot has no index (the caller scans)."""
        if self._by_modstamp is None:
            return None
        index = self._by_modstamp[object_or_404(sobject).name]
        start = bisect.bisect_left(index, (since, ""))
        return [self._derived(sobject, rid) for _, rid in index[start:]]

    def children(self, child_object: str, field: str, parent_id: str) -> Sequence[Row] | None:
        """The line items of one opportunity, in store order; None for a relationship without an index."""
        if self._lines_of is None or (child_object, field) != (_LINE, "OpportunityId"):
            return None
        return [self._derived(_LINE, rid) for rid in self._lines_of.get(parent_id, {})]

    def _derived(self, sobject: str, record_id: str) -> Row:
        cache = self._cache.setdefault(sobject, {})
        row = cache.get(record_id)
        if row is None:
            row = cache[record_id] = self._derive(object_or_404(sobject), self._stored[sobject][record_id])
            self.derived += 1
        return row

    def _derive(self, spec: ObjectSpec, stored: Row) -> Row:
        row = {field.name: stored.get(field.name) for field in spec.fields}
        if spec.name == _OPPORTUNITY:
            self._derive_opportunity(row)
        elif spec.name == _LINE:
            self._derive_line(row)
        return row

    def _derive_opportunity(self, row: Row) -> None:
        stage = (row.get("StageName") or "").casefold()
        row["IsWon"] = stage == "closed won"
        row["IsClosed"] = stage in ("closed won", "closed lost")
        lines = self.children(_LINE, "OpportunityId", row["Id"])
        if lines is None:
            lines = [line for line in self.rows(_LINE) if line["OpportunityId"] == row["Id"]]
        row["HasOpportunityLineItem"] = bool(lines)
        if lines:
            row["Amount"] = sum((line["TotalPrice"] or Decimal(0) for line in lines), Decimal(0))

    def _derive_line(self, row: Row) -> None:
        quantity, unit_price = row.get("Quantity"), row.get("UnitPrice")
        if quantity is not None and unit_price is not None:
            discount = row.get("Discount") or Decimal(0)
            total = Decimal(quantity) * unit_price * (1 - discount / 100)
            row["TotalPrice"] = total.quantize(_CENT, rounding=ROUND_HALF_UP)
        product = self._stored["Product2"].get(row.get("Product2Id") or "")
        opportunity = self._stored[_OPPORTUNITY].get(row.get("OpportunityId") or "")
        if product is not None:
            row["ProductCode"] = product.get("ProductCode")
        names = [part.get("Name") for part in (opportunity, product) if part is not None]
        row["Name"] = " ".join(name for name in names if name) or None


def _checkbox_defaults(spec: ObjectSpec) -> Row:
    return {field.name: False for field in spec.fields
            if field.type == FieldType.BOOLEAN and field.writable}
