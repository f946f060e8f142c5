"""Our Salesforce types and the pure functions that parse them from REST query JSON."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class SfAccount:
    id: str
    name: str | None
    billing_street: str | None = None
    billing_city: str | None = None
    billing_state: str | None = None
    billing_postal_code: str | None = None
    billing_country: str | None = None
    shipping_street: str | None = None
    shipping_city: str | None = None
    shipping_state: str | None = None
    shipping_postal_code: str | None = None
    shipping_country: str | None = None
    segment: str | None = None
    tax_exempt: bool | None = None      # None: the record did not say (a checkbox always says)
    credit_limit: Decimal | None = None
    phone: str | None = None
    website: str | None = None
    tax_exemption_reason: str | None = None     # when the org has Tax_Exemption_Reason__c
    resale_number: str | None = None            # when the org has Resale_Number__c
    billing_email: str | None = None            # when the org has Billing_Email__c


@dataclass(frozen=True)
class SfLineItem:
    id: str
    product_id: str | None
    product_name: str | None
    product_code: str | None
    quantity: Decimal | None
    unit_price: Decimal | None
    list_price: Decimal | None
    discount_percent: Decimal | None
    total_price: Decimal | None
    service_date: date | None
    description: str | None


@dataclass(frozen=True)
class SfOpportunity:
    id: str
    name: str
    account: SfAccount | None
    amount: Decimal | None
    close_date: date | None
    stage_name: str | None
    is_won: bool
    is_closed: bool
    owner_id: str | None
    owner_name: str | None
    owner_email: str | None
    billing_status: str | None
    po_number: str | None
    payment_terms: str | None
    qbo_invoice_id: str | None
    qbo_invoice_number: str | None
    qbo_invoice_status: str | None
    qbo_balance: Decimal | None
    system_modstamp: datetime | None
    last_modified_date: datetime | None
    lines: tuple[SfLineItem, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    currency: str | None = None     # CurrencyIsoCode, in a multi-currency org


def parse_decimal(value: Any) -> Decimal | None:
    """JSON numbers may arrive as int, float (default json) or Decimal (parse_float=Decimal)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"not a number: {value!r}")
    return value if isinstance(value, Decimal) else Decimal(str(value))


def parse_date(value: Any) -> date | None:
    return date.fromisoformat(value) if value else None


def parse_datetime(value: Any) -> datetime | None:
    """'2024-05-01T12:34:56.000+0000' (also Z or +00:00) -> aware UTC datetime."""
    if not value:
        return None
    text = str(value).replace("Z", "+00:00")
    if len(text) > 5 and text[-5] in "+-" and text[-4:].isdigit():
        text = f"{text[:-2]}:{text[-2:]}"
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"datetime without a timezone: {value!r}")
    return moment.astimezone(UTC)


def _text(record: Mapping[str, Any], name: str) -> str | None:
    value = record.get(name)
    return None if value is None else str(value)


def _flag(value: Any) -> bool | None:
    return None if value is None else bool(value)


def _parent(record: Mapping[str, Any], relationship: str) -> Mapping[str, Any]:
    return record.get(relationship) or {}


def parse_account(record: Mapping[str, Any] | None, account_id: str | None = None) -> SfAccount | None:
    if not record:
        return None
    fields = {f"{kind.lower()}_{snake}": _text(record, f"{kind}{part}")
              for kind in ("Billing", "Shipping")
              for part, snake in (("Street", "street"), ("City", "city"), ("State", "state"),
                                  ("PostalCode", "postal_code"), ("Country", "country"))}
    return SfAccount(
        id=_text(record, "Id") or account_id or "", name=_text(record, "Name"), **fields,
        segment=_text(record, "Segment__c"), tax_exempt=_flag(record.get("Tax_Exempt__c")),
        credit_limit=parse_decimal(record.get("Credit_Limit__c")), phone=_text(record, "Phone"),
        website=_text(record, "Website"),
        tax_exemption_reason=_text(record, "Tax_Exemption_Reason__c"), resale_number=_text(record, "Resale_Number__c"),
        billing_email=_text(record, "Billing_Email__c"),
    )


def parse_line_item(record: Mapping[str, Any]) -> SfLineItem:
    product = _parent(record, "Product2")
    entry = _parent(record, "PricebookEntry")
    return SfLineItem(
        id=str(record["Id"]),
        product_id=_text(record, "Product2Id") or _text(product, "Id"),
        product_name=_text(product, "Name") or _text(entry, "Name") or _text(record, "Name"),
        product_code=_text(record, "ProductCode") or _text(product, "ProductCode"),
        quantity=parse_decimal(record.get("Quantity")),
        unit_price=parse_decimal(record.get("UnitPrice")),
        list_price=parse_decimal(record.get("ListPrice")),
        discount_percent=parse_decimal(record.get("Discount")),
        total_price=parse_decimal(record.get("TotalPrice")),
        service_date=parse_date(record.get("ServiceDate")),
        description=_text(record, "Description"),
    )


def parse_line_items(subquery: Mapping[str, Any] | None) -> tuple[SfLineItem, ...]:
    """A child subquery result ({totalSize, done, records}) or null when the opportunity has no lines."""
    if not subquery:
        return ()
    return tuple(parse_line_item(record) for record in subquery.get("records") or ())


def parse_opportunity(record: Mapping[str, Any]) -> SfOpportunity:
    owner = _parent(record, "Owner")
    return SfOpportunity(
        id=str(record["Id"]), name=str(record.get("Name") or ""),
        account=parse_account(record.get("Account"), _text(record, "AccountId")),
        amount=parse_decimal(record.get("Amount")), close_date=parse_date(record.get("CloseDate")),
        stage_name=_text(record, "StageName"),
        is_won=bool(record.get("IsWon")), is_closed=bool(record.get("IsClosed")),
        owner_id=_text(record, "OwnerId") or _text(owner, "Id"),
        owner_name=_text(owner, "Name"), owner_email=_text(owner, "Email"),
        billing_status=_text(record, "Billing_Status__c"), po_number=_text(record, "PO_Number__c"),
        payment_terms=_text(record, "Payment_Terms__c"),
        qbo_invoice_id=_text(record, "QBO_Invoice_Id__c"),
        qbo_invoice_number=_text(record, "QBO_Invoice_Number__c"),
        qbo_invoice_status=_text(record, "QBO_Invoice_Status__c"),
        qbo_balance=parse_decimal(record.get("QBO_Balance__c")),
        system_modstamp=parse_datetime(record.get("SystemModstamp")),
        last_modified_date=parse_datetime(record.get("LastModifiedDate")),
        lines=parse_line_items(record.get("OpportunityLineItems")),
        raw=dict(record), currency=_text(record, "CurrencyIsoCode"),
    )


@dataclass(frozen=True)
class SfFieldDescription:
    """One field of an sObject Describe, as far as we use it."""

    name: str
    type: str                   # Salesforce's field type: string, picklist, currency, boolean, datetime, ...
    updateable: bool
    createable: bool
    custom: bool


@dataclass(frozen=True)
class SfObjectDescription:
    """An sObject Describe: only the fields the API user can read are listed (field-level security)."""

    name: str
    queryable: bool
    updateable: bool
    fields: tuple[SfFieldDescription, ...]

    def field(self, name: str) -> SfFieldDescription | None:
        wanted = name.lower()
        return next((field for field in self.fields if field.name.lower() == wanted), None)


def parse_description(data: Mapping[str, Any]) -> SfObjectDescription:
    fields = tuple(SfFieldDescription(name=str(field["name"]), type=str(field.get("type", "")),
                                      updateable=field.get("updateable") is True,
                                      createable=field.get("createable") is True, custom=field.get("custom") is True)
                   for field in data.get("fields") or ())
    return SfObjectDescription(name=str(data.get("name", "")), queryable=data.get("queryable") is not False,
                               updateable=data.get("updateable") is True, fields=fields)


@dataclass(frozen=True)
class MilestoneFields:
    """The custom object and fields that hold a deal's billing schedule (from the policy)."""

    object: str
    parent: str
    amount: str
    percent: str
    status: str


@dataclass(frozen=True)
class SfMilestone:
    id: str
    name: str
    amount: Decimal | None
    percent: Decimal | None
    status: str | None
