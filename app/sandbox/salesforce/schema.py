"""The emulated org's field catalog: which objects and fields exist, their types and relationships.

Unknown objects and fields are rejected the way Salesforce rejects them, so a typo in our SOQL
fails in tests instead of in production.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class FieldType(StrEnum):
    ID = "id"
    STRING = "string"
    PICKLIST = "picklist"
    TEXTAREA = "textarea"
    PHONE = "phone"
    EMAIL = "email"
    URL = "url"
    REFERENCE = "reference"
    CURRENCY = "currency"
    DOUBLE = "double"
    PERCENT = "percent"
    INT = "int"
    BOOLEAN = "boolean"
    DATE = "date"
    DATETIME = "datetime"


TEXT_TYPES = frozenset({FieldType.ID, FieldType.STRING, FieldType.PICKLIST, FieldType.TEXTAREA,
                        FieldType.PHONE, FieldType.EMAIL, FieldType.URL, FieldType.REFERENCE})
NUMBER_TYPES = frozenset({FieldType.CURRENCY, FieldType.DOUBLE, FieldType.PERCENT, FieldType.INT})


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: FieldType
    writable: bool = True
    reference_to: str | None = None
    relationship_name: str | None = None


@dataclass(frozen=True)
class ChildRelationship:
    name: str
    child_object: str
    field: str


@dataclass(frozen=True)
class ObjectSpec:
    name: str
    key_prefix: str
    fields: tuple[FieldSpec, ...]
    required: tuple[str, ...] = ()
    children: tuple[ChildRelationship, ...] = ()

    def field(self, name: str) -> FieldSpec | None:
        lowered = name.lower()
        return next((f for f in self.fields if f.name.lower() == lowered), None)

    def parent(self, relationship: str) -> FieldSpec | None:
        lowered = relationship.lower()
        return next((f for f in self.fields
                     if f.relationship_name and f.relationship_name.lower() == lowered), None)

    def child(self, relationship: str) -> ChildRelationship | None:
        lowered = relationship.lower()
        return next((c for c in self.children if c.name.lower() == lowered), None)


T = FieldType


def _f(name: str, type_: FieldType, *, writable: bool = True) -> FieldSpec:
    return FieldSpec(name, type_, writable)


def _ref(name: str, target: str | None, relationship: str | None = None) -> FieldSpec:
    return FieldSpec(name, T.REFERENCE, True, target, relationship)


def _system_fields() -> tuple[FieldSpec, ...]:
    return (
        _f("Id", T.ID, writable=False),
        _f("IsDeleted", T.BOOLEAN, writable=False),
        _f("CreatedDate", T.DATETIME, writable=False),
        _f("LastModifiedDate", T.DATETIME, writable=False),
        _f("SystemModstamp", T.DATETIME, writable=False),
    )


def _address(prefix: str) -> tuple[FieldSpec, ...]:
    return tuple(_f(f"{prefix}{part}", T.STRING)
                 for part in ("Street", "City", "State", "PostalCode", "Country"))


ACCOUNT = ObjectSpec(
    "Account", "001",
    _system_fields() + (
        _f("Name", T.STRING), _ref("OwnerId", "User", "Owner"), _f("Phone", T.PHONE), _f("Website", T.URL),
        _f("Type", T.PICKLIST), _f("Industry", T.PICKLIST), _f("Description", T.TEXTAREA),
        *_address("Billing"), *_address("Shipping"),
        _f("Segment__c", T.PICKLIST), _f("Tax_Exempt__c", T.BOOLEAN), _f("Credit_Limit__c", T.CURRENCY),
        _f("Tax_Exemption_Reason__c", T.PICKLIST), _f("Resale_Number__c", T.STRING),
        _f("Billing_Email__c", T.EMAIL),
        _f("CurrencyIsoCode", T.PICKLIST),
    ),
    required=("Name",),
    children=(ChildRelationship("Opportunities", "Opportunity", "AccountId"),),
)

OPPORTUNITY = ObjectSpec(
    "Opportunity", "006",
    _system_fields() + (
        _f("Name", T.STRING), _ref("AccountId", "Account", "Account"), _f("Amount", T.CURRENCY),
        _f("CloseDate", T.DATE), _f("StageName", T.PICKLIST), _f("Probability", T.PERCENT),
        _f("Type", T.PICKLIST), _f("Description", T.TEXTAREA),
        _f("IsWon", T.BOOLEAN, writable=False), _f("IsClosed", T.BOOLEAN, writable=False),
        _ref("Pricebook2Id", None), _f("HasOpportunityLineItem", T.BOOLEAN, writable=False),
        _ref("OwnerId", "User", "Owner"),
        _f("Billing_Status__c", T.PICKLIST), _f("PO_Number__c", T.STRING),
        _f("Payment_Terms__c", T.PICKLIST), _f("QBO_Invoice_Id__c", T.STRING),
        _f("QBO_Invoice_Number__c", T.STRING), _f("QBO_Invoice_Status__c", T.PICKLIST),
        _f("QBO_Balance__c", T.CURRENCY), _f("QBO_Last_Sync__c", T.DATETIME),
        _f("CurrencyIsoCode", T.PICKLIST), _f("Business_Unit__c", T.PICKLIST),
        _ref("RecordTypeId", "RecordType", "RecordType"),
        _ref("Submitted_By__c", "User", "Submitted_By__r"),
    ),
    required=("Name", "StageName", "CloseDate"),
    children=(ChildRelationship("OpportunityLineItems", "OpportunityLineItem", "OpportunityId"),
              ChildRelationship("Billing_Milestones__r", "Billing_Milestone__c", "Opportunity__c")),
)

OPPORTUNITY_LINE_ITEM = ObjectSpec(
    "OpportunityLineItem", "00k",
    _system_fields() + (
        _ref("OpportunityId", "Opportunity", "Opportunity"), _ref("PricebookEntryId", None),
        _ref("Product2Id", "Product2", "Product2"), _f("ProductCode", T.STRING, writable=False),
        _f("Name", T.STRING, writable=False), _f("Quantity", T.DOUBLE), _f("UnitPrice", T.CURRENCY),
        _f("ListPrice", T.CURRENCY), _f("Discount", T.PERCENT),
        _f("TotalPrice", T.CURRENCY, writable=False), _f("ServiceDate", T.DATE),
        _f("Description", T.STRING), _f("SortOrder", T.INT), _f("CurrencyIsoCode", T.PICKLIST, writable=False),
    ),
    required=("OpportunityId", "Quantity", "UnitPrice"),
)

PRODUCT2 = ObjectSpec(
    "Product2", "01t",
    _system_fields() + (
        _f("Name", T.STRING), _f("ProductCode", T.STRING), _f("IsActive", T.BOOLEAN),
        _f("Family", T.PICKLIST), _f("Description", T.TEXTAREA),
    ),
    required=("Name",),
)

USER = ObjectSpec(
    "User", "005",
    _system_fields() + (
        _f("Name", T.STRING), _f("Email", T.EMAIL), _f("Username", T.STRING), _f("IsActive", T.BOOLEAN),
    ),
    required=("Username", "Email"),
)

RECORD_TYPE = ObjectSpec(
    "RecordType", "012",
    _system_fields() + (
        _f("Name", T.STRING), _f("DeveloperName", T.STRING), _f("SobjectType", T.PICKLIST), _f("IsActive", T.BOOLEAN),
    ),
    required=("Name", "SobjectType"),
)

BILLING_MILESTONE = ObjectSpec(
    "Billing_Milestone__c", "a0M",
    _system_fields() + (
        _f("Name", T.STRING), _ref("Opportunity__c", "Opportunity", "Opportunity__r"),
        _f("Amount__c", T.CURRENCY), _f("Percent__c", T.PERCENT), _f("Status__c", T.PICKLIST),
        _f("Due_Date__c", T.DATE),
    ),
    required=("Name", "Opportunity__c"),
)
"""A deal's billing schedule (a custom object, master-detail to Opportunity): one invoice per milestone."""

OBJECTS: tuple[ObjectSpec, ...] = (ACCOUNT, OPPORTUNITY, OPPORTUNITY_LINE_ITEM, PRODUCT2, USER, RECORD_TYPE,
                                   BILLING_MILESTONE)
MULTICURRENCY_FIELD = "CurrencyIsoCode"
"""Exists on every object only in a multi-currency org (SalesforceState.multicurrency); hidden otherwise."""


def find_object(name: str) -> ObjectSpec | None:
    lowered = name.lower()
    return next((o for o in OBJECTS if o.name.lower() == lowered), None)
