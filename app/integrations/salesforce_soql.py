"""The SOQL we send: one field list for opportunities and the query builders (pure).

Literals are quoted by simple_salesforce's own `format_soql` (`{}` quotes, `{:like}` escapes a LIKE pattern,
`{:literal}` inserts our own constant SOQL as is), never by hand.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from simple_salesforce import format_soql

OPPORTUNITY_FIELDS: tuple[str, ...] = (
    "Id", "Name", "AccountId", "Amount", "CloseDate", "StageName", "IsWon", "IsClosed",
    "OwnerId", "Owner.Name", "Owner.Email",
    "Billing_Status__c", "PO_Number__c", "Payment_Terms__c", "QBO_Invoice_Id__c",
    "QBO_Invoice_Number__c", "QBO_Invoice_Status__c", "QBO_Balance__c",
    "LastModifiedDate", "SystemModstamp",
)
ACCOUNT_FIELDS: tuple[str, ...] = (
    "Id", "Name", "BillingStreet", "BillingCity", "BillingState", "BillingPostalCode", "BillingCountry",
    "ShippingStreet", "ShippingCity", "ShippingState", "ShippingPostalCode", "ShippingCountry",
    "Segment__c", "Tax_Exempt__c", "Credit_Limit__c", "Phone", "Website",
)
LINE_ITEM_FIELDS: tuple[str, ...] = (
    "Id", "Product2Id", "Product2.Name", "ProductCode", "Quantity", "UnitPrice", "ListPrice",
    "Discount", "TotalPrice", "ServiceDate", "Description", "SortOrder",
)
ID_PATTERN = re.compile(r"^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$")
OPTIONAL_OPPORTUNITY_FIELDS: tuple[str, ...] = ("CurrencyIsoCode", "Business_Unit__c", "RecordType.Name")
"""Read when the org has them: CurrencyIsoCode exists only in a multi-currency org; the business unit and the
record type (an org with record types has RecordTypeId) scope a pilot."""
DESCRIBED_AS: dict[str, str] = {"RecordType.Name": "RecordTypeId"}
"""An optional field read through a relationship exists when its lookup field does."""
OPTIONAL_ACCOUNT_FIELDS: tuple[str, ...] = ("Tax_Exemption_Reason__c", "Resale_Number__c", "Billing_Email__c")
"""Custom fields an org may add: for exempt accounts (the QuickBooks customer gets the reason and the number),
and the billing email a new QuickBooks customer gets (and is matched on before one is created)."""


@dataclass(frozen=True)
class OrgFields:
    """Which optional fields this org has (from the objects' describe)."""

    opportunity: tuple[str, ...] = ()
    account: tuple[str, ...] = ()


NO_OPTIONAL_FIELDS = OrgFields()


def checked_ids(ids: Sequence[str]) -> list[str]:
    """Distinct ids in their given order; ValueError for anything not 15/18 alphanumerics."""
    bad = [record_id for record_id in ids if not isinstance(record_id, str) or not ID_PATTERN.match(record_id)]
    if bad:
        raise ValueError(f"not a Salesforce id: {bad[0]!r}")
    return list(dict.fromkeys(ids))


def opportunity_select(optional: OrgFields = NO_OPTIONAL_FIELDS) -> str:
    account = ", ".join(f"Account.{name}" for name in ACCOUNT_FIELDS + optional.account)
    lines = ", ".join(LINE_ITEM_FIELDS)
    return (f"SELECT {', '.join(OPPORTUNITY_FIELDS + optional.opportunity)}, {account}, "
            f"(SELECT {lines} FROM OpportunityLineItems) FROM Opportunity")


def changed_since_query(watermark: datetime | None, *, limit: int | None = None,
                        optional: OrgFields = NO_OPTIONAL_FIELDS) -> str:
    """Oldest change first. format_soql floors the mark to the second (Salesforce stores no finer), which
    only widens a `>=` filter; the watermark drops what it already saw."""
    if watermark is not None and watermark.tzinfo is None:
        raise ValueError("SOQL datetimes need an aware datetime")
    where = format_soql(" WHERE SystemModstamp >= {}", watermark) if watermark is not None else ""
    tail = format_soql(" LIMIT {}", int(limit)) if limit is not None else ""
    return f"{opportunity_select(optional)}{where} ORDER BY SystemModstamp, Id{tail}"


def by_ids_query(ids: Sequence[str], *, optional: OrgFields = NO_OPTIONAL_FIELDS) -> str:
    return format_soql("{:literal} WHERE Id IN {}", opportunity_select(optional), checked_ids(ids))


def name_search_query(text: str, *, limit: int, optional: OrgFields = NO_OPTIONAL_FIELDS) -> str:
    return format_soql("{:literal} WHERE Name LIKE '%{:like}%' ORDER BY Name, Id LIMIT {}",
                       opportunity_select(optional), text, int(limit))


# The open pipeline and the deals won since a date: what `ledgerbridge readiness` measures.
_PIPELINE_AND_WON_SINCE = "IsClosed = false OR (IsWon = true AND CloseDate >= {})"


def pipeline_and_won_since_query(won_since: date, *, optional: OrgFields = NO_OPTIONAL_FIELDS) -> str:
    return format_soql("{:literal} WHERE " + _PIPELINE_AND_WON_SINCE + " ORDER BY CloseDate, Id",
                       opportunity_select(optional), won_since)


def count_pipeline_and_won_since_query(won_since: date) -> str:
    return format_soql("SELECT COUNT() FROM Opportunity WHERE " + _PIPELINE_AND_WON_SINCE, won_since)
