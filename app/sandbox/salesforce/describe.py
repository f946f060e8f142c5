"""GET /sobjects/{sobject}/describe as Salesforce answers it (the parts a client reads: fields and their types,
child relationships), built from the emulated org's schema (pure)."""
from __future__ import annotations

from typing import Any

from app.sandbox.salesforce.schema import FieldSpec, FieldType, ObjectSpec

_SOAP_TYPES = {FieldType.ID: "tns:ID", FieldType.BOOLEAN: "xsd:boolean", FieldType.DATE: "xsd:date",
               FieldType.DATETIME: "xsd:dateTime", FieldType.INT: "xsd:int", FieldType.DOUBLE: "xsd:double",
               FieldType.CURRENCY: "xsd:double", FieldType.PERCENT: "xsd:double", FieldType.REFERENCE: "tns:ID"}


def describe_object(spec: ObjectSpec, *, hidden: frozenset[str] = frozenset()) -> dict[str, Any]:
    lowered = {name.lower() for name in hidden}
    fields = [_field(field, spec) for field in spec.fields if field.name.lower() not in lowered]
    return {
        "name": spec.name, "label": spec.name, "keyPrefix": spec.key_prefix, "custom": False,
        "createable": True, "updateable": True, "queryable": True, "fields": fields,
        "childRelationships": [{"relationshipName": child.name, "childSObject": child.child_object,
                                "field": child.field, "cascadeDelete": False} for child in spec.children],
        "urls": {"describe": f"/services/data/v59.0/sobjects/{spec.name}/describe"},
    }


def _field(field: FieldSpec, spec: ObjectSpec) -> dict[str, Any]:
    return {
        "name": field.name, "label": field.name.removesuffix("__c").replace("_", " "), "type": field.type.value,
        "soapType": _SOAP_TYPES.get(field.type, "xsd:string"), "custom": field.name.endswith("__c"),
        "nillable": field.name not in spec.required and field.name != "Id", "createable": field.writable,
        "updateable": field.writable, "referenceTo": [field.reference_to] if field.reference_to else [],
        "relationshipName": field.relationship_name, "picklistValues": [],
    }
