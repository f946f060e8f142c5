"""The SOQL we send: one field list for opportunities, literal escaping, and the query builders (pure)."""
from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime

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
    "Segment__c", "Tax_Exempt__c", "Credit_Limit__c", "Phone",
)
LINE_ITEM_FIELDS: tuple[str, ...] = (
    "Id", "Product2Id", "Product2.Name", "ProductCode", "Quantity", "UnitPrice", "ListPrice",
    "Discount", "TotalPrice", "ServiceDate", "Description", "SortOrder",
)
ID_PATTERN = re.compile(r"^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$")
_LITERAL_ESCAPES = {"\\": "\\\\", "'": "\\'", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t",
                    "\b": "\\b", "\f": "\\f"}


def soql_quote(value: str) -> str:
    """A SOQL string literal, quotes and backslashes escaped: O'Brien -> 'O\\'Brien'."""
    return "'" + "".join(_LITERAL_ESCAPES.get(char, char) for char in value) + "'"


def soql_like_contains(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, its own % and _ taken literally."""
    escaped = soql_quote(text)[1:-1].replace("%", "\\%").replace("_", "\\_")
    return f"'%{escaped}%'"


def soql_datetime(moment: datetime) -> str:
    """An unquoted SOQL datetime literal in UTC, floored to the second.

    Salesforce documents only whole-second literals (YYYY-MM-DDThh:mm:ssZ) and stores datetimes to
    the second; flooring only widens a `>=` filter, and the watermark drops what it already saw.
    """
    if moment.tzinfo is None:
        raise ValueError("SOQL datetimes need an aware datetime")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def checked_ids(ids: Sequence[str]) -> list[str]:
    """Distinct ids in their given order; ValueError for anything not 15/18 alphanumerics."""
    bad = [record_id for record_id in ids if not isinstance(record_id, str) or not ID_PATTERN.match(record_id)]
    if bad:
        raise ValueError(f"not a Salesforce id: {bad[0]!r}")
    return list(dict.fromkeys(ids))


def opportunity_select() -> str:
    account = ", ".join(f"Account.{name}" for name in ACCOUNT_FIELDS)
    lines = ", ".join(LINE_ITEM_FIELDS)
    return (f"SELECT {', '.join(OPPORTUNITY_FIELDS)}, {account}, "
            f"(SELECT {lines} FROM OpportunityLineItems) FROM Opportunity")


def changed_since_query(watermark: datetime | None, *, limit: int | None = None) -> str:
    where = f" WHERE SystemModstamp >= {soql_datetime(watermark)}" if watermark is not None else ""
    tail = f" LIMIT {int(limit)}" if limit is not None else ""
    return f"{opportunity_select()}{where} ORDER BY SystemModstamp, Id{tail}"


def by_ids_query(ids: Sequence[str]) -> str:
    listed = ", ".join(soql_quote(record_id) for record_id in checked_ids(ids))
    return f"{opportunity_select()} WHERE Id IN ({listed})"


def name_search_query(text: str, *, limit: int) -> str:
    return f"{opportunity_select()} WHERE Name LIKE {soql_like_contains(text)} ORDER BY Name, Id LIMIT {int(limit)}"
