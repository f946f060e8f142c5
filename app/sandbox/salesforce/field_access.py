"""Field-level security of the API user, as Salesforce applies it: what the describe, queries and writes see.

A field the user may not read is indistinguishable from one the org does not have: it is missing from the
describe, a query naming it fails with INVALID_FIELD ("No such column"), and so does a write. A field the user
may read but not edit shows `updateable: false` and a write to it fails with INVALID_FIELD_FOR_INSERT_UPDATE.
Tests plant both (a custom field never created, a permission set without Edit) to see `check --live` report them.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from app.sandbox.salesforce.errors import ApiError
from app.sandbox.salesforce.schema import ObjectSpec, find_object
from app.sandbox.salesforce.soql_ast import BoolOp, Condition, FieldRef, Not, Query, SoqlError, SubQuery
from app.sandbox.salesforce.soql_eval import no_such_column, resolve

FieldKey = tuple[str, str]      # (object API name, field API name), as the schema spells them


class FieldAccess:
    def __init__(self) -> None:
        self.hidden: set[FieldKey] = set()
        self.read_only: set[FieldKey] = set()

    def hide(self, spec: ObjectSpec, field: str) -> None:
        self.hidden.add(_key(spec, field))

    def make_read_only(self, spec: ObjectSpec, field: str) -> None:
        self.read_only.add(_key(spec, field))

    def clear(self) -> None:
        self.hidden.clear()
        self.read_only.clear()

    def visible(self, spec: ObjectSpec, field: str) -> bool:
        return (spec.name, field) not in self.hidden

    def updateable(self, spec: ObjectSpec, field: str) -> bool:
        found = spec.field(field)
        return found is not None and found.writable and (spec.name, found.name) not in self.read_only \
            and self.visible(spec, found.name)

    def check_query(self, query: Query) -> None:
        """SoqlError INVALID_FIELD for the first hidden field the query names (select, where, order by)."""
        spec = _object(query.sobject)
        if spec is None:
            return      # the evaluator reports the unknown object
        for item in query.fields:
            if isinstance(item, SubQuery):
                child = spec.child(item.relationship)
                child_spec = _object(child.child_object) if child else None
                if child_spec is not None:
                    self._check_refs(child_spec, [*item.fields, *_refs(item.where), *(o.field for o in item.order_by)])
            else:
                self._check_refs(spec, [item])
        self._check_refs(spec, [*_refs(query.where), *(order.field for order in query.order_by)])

    def check_write(self, spec: ObjectSpec, fields: Mapping[str, Any]) -> None:
        known = [(name, found.name) for name in fields if (found := spec.field(name)) is not None]
        hidden = [given for given, canonical in known if (spec.name, canonical) in self.hidden]
        if hidden:
            raise ApiError(400, "INVALID_FIELD", f"No such column '{hidden[0]}' on sobject of type {spec.name}")
        locked = [given for given, canonical in known if (spec.name, canonical) in self.read_only]
        if locked:
            raise ApiError(400, "INVALID_FIELD_FOR_INSERT_UPDATE",
                           f"Unable to create/update fields: {', '.join(locked)}. Please check the security "
                           "settings of this field and verify that it is read/write for your profile or "
                           "permission set.", fields=locked)

    def _check_refs(self, spec: ObjectSpec, refs: Sequence[FieldRef]) -> None:
        for ref in refs:
            try:
                resolved = resolve(spec, ref)
            except SoqlError:
                continue        # the evaluator reports it with Salesforce's wording
            owner = resolved.hops[-1][1] if resolved.hops else spec
            if not self.visible(owner, resolved.field.name):
                raise SoqlError("INVALID_FIELD", no_such_column(ref.path[-1], owner.name))


def _refs(condition: Condition | None) -> list[FieldRef]:
    if condition is None:
        return []
    if isinstance(condition, BoolOp):
        return [ref for operand in condition.operands for ref in _refs(operand)]
    if isinstance(condition, Not):
        return _refs(condition.operand)
    return [condition.field]


def _object(name: str) -> ObjectSpec | None:
    return find_object(name)


def _key(spec: ObjectSpec, field: str) -> FieldKey:
    found = spec.field(field)
    if found is None:
        raise ValueError(f"{spec.name} has no field {field!r} in the emulator's schema")
    return spec.name, found.name
