"""`GET /services/data/vNN.N/sobjects/<Type>/describe`: the sObject Describe as Salesforce shapes it.

Keys follow the REST API Developer Guide ("sObject Describe") and a real org's answer: the object's flags,
`fields` (each with `name`, `type`, `soapType`, `updateable`, `createable`, `nillable`, `custom`, ...),
`childRelationships` and `urls`. Only the fields the API user can read are listed (field-level security).
"""
from __future__ import annotations

from typing import Any

from app.sandbox.salesforce.field_access import FieldAccess
from app.sandbox.salesforce.schema import FieldSpec, FieldType, ObjectSpec, find_object

_SOAP_TYPES = {
    FieldType.ID: "tns:ID", FieldType.REFERENCE: "tns:ID", FieldType.CURRENCY: "xsd:double",
    FieldType.DOUBLE: "xsd:double", FieldType.PERCENT: "xsd:double", FieldType.INT: "xsd:int",
    FieldType.BOOLEAN: "xsd:boolean", FieldType.DATE: "xsd:date", FieldType.DATETIME: "xsd:dateTime",
}
_TEXT_LENGTH = {FieldType.ID: 18, FieldType.REFERENCE: 18, FieldType.TEXTAREA: 32000, FieldType.PHONE: 40,
                FieldType.EMAIL: 80, FieldType.PICKLIST: 255, FieldType.STRING: 255, FieldType.URL: 255}
_NUMBER_DIGITS = {FieldType.CURRENCY: (18, 2), FieldType.DOUBLE: (18, 2), FieldType.PERCENT: (3, 2)}


def describe_object(spec: ObjectSpec, access: FieldAccess, *, api_version: str) -> dict[str, Any]:
    base = f"/services/data/v{api_version}/sobjects/{spec.name}"
    return {
        "name": spec.name, "label": _label(spec.name), "labelPlural": _label(spec.name) + "s",
        "keyPrefix": spec.key_prefix, "custom": spec.name.endswith("__c"), "customSetting": False,
        "createable": True, "updateable": True, "deletable": True, "queryable": True, "retrieveable": True,
        "searchable": True, "layoutable": True, "triggerable": True, "undeletable": True, "mergeable": False,
        "replicateable": True, "feedEnabled": False, "hasSubtypes": False, "isSubtype": False,
        "deprecatedAndHidden": False, "activateable": False,
        "fields": [_field(spec, field, access) for field in spec.fields if access.visible(spec, field.name)],
        "childRelationships": [
            {"childSObject": child.child_object, "field": child.field, "relationshipName": child.name,
             "cascadeDelete": False, "deprecatedAndHidden": False, "restrictedDelete": False}
            for child in spec.children if find_object(child.child_object) is not None],
        "recordTypeInfos": [],
        "urls": {"sobject": base, "describe": f"{base}/describe", "rowTemplate": f"{base}/{{ID}}"},
    }


def _field(spec: ObjectSpec, field: FieldSpec, access: FieldAccess) -> dict[str, Any]:
    precision, scale = _NUMBER_DIGITS.get(field.type, (0, 0))
    system = not field.writable
    return {
        "name": field.name, "label": _label(field.name), "type": str(field.type),
        "soapType": _SOAP_TYPES.get(field.type, "xsd:string"), "length": _TEXT_LENGTH.get(field.type, 0),
        "byteLength": _TEXT_LENGTH.get(field.type, 0) * 3, "precision": precision, "scale": scale,
        "digits": 18 if field.type is FieldType.INT else 0, "custom": field.name.endswith("__c"),
        "updateable": access.updateable(spec, field.name), "createable": access.updateable(spec, field.name),
        "nillable": not system and field.name not in spec.required and field.type is not FieldType.BOOLEAN,
        "calculated": False, "autoNumber": False, "unique": False, "externalId": False, "idLookup": field.name == "Id",
        "nameField": field.name == "Name", "filterable": True, "sortable": field.type is not FieldType.TEXTAREA,
        "groupable": field.type not in (FieldType.TEXTAREA, FieldType.CURRENCY, FieldType.DOUBLE),
        "defaultedOnCreate": system or field.type is FieldType.BOOLEAN, "defaultValue": None,
        "picklistValues": [], "restrictedPicklist": False, "dependentPicklist": False,
        "referenceTo": [field.reference_to] if field.reference_to else [],
        "relationshipName": field.relationship_name, "deprecatedAndHidden": False, "htmlFormatted": False,
        "encrypted": False, "caseSensitive": False, "permissionable": field.name.endswith("__c"),
    }


def _label(api_name: str) -> str:
    return api_name.removesuffix("__c").removesuffix("Id").replace("_", " ") or api_name
