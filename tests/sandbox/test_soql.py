"""The emulator's SOQL subset, pure: parser and evaluator over an in-memory record store."""
from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from app.sandbox.salesforce.schema import find_object
from app.sandbox.salesforce.soql import SoqlError, parse_soql, run_soql
from app.sandbox.salesforce.soql_ast import BoolOp, Comparison, FieldRef, InList, Like, Not, SubQuery
from app.sandbox.salesforce.store import RecordStore

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def _spec(name: str):
    spec = find_object(name)
    assert spec is not None
    return spec


@pytest.fixture
def store() -> RecordStore:
    store = RecordStore()
    acme = store.create(_spec("Account"), {"Name": "Acme", "BillingCity": "Paris"}, now=NOW)
    initech = store.create(_spec("Account"), {"Name": "Initech"}, now=NOW)
    rows = [
        ("O'Brien renewal", acme, "Closed Won", "100.50", "2024-05-01T10:00:00.000Z"),
        ("Acme 50% deal", acme, "Prospecting", "200", "2024-05-01T11:30:00.250Z"),
        ("Initech_upgrade", initech, "Closed Lost", None, "2024-06-01T00:00:00Z"),
        ("no account", None, "Closed Won", "5", None),
    ]
    for name, account, stage, amount, last_sync in rows:
        store.create(_spec("Opportunity"), {"Name": name, "AccountId": account, "StageName": stage,
                                            "CloseDate": "2024-05-01", "Amount": amount,
                                            "QBO_Last_Sync__c": last_sync}, now=NOW)
    return store


def names(store: RecordStore, where: str, order: str = "ORDER BY Name") -> list[str]:
    result = run_soql(f"SELECT Name FROM Opportunity WHERE {where} {order}", store.snapshot(), api_version="59.0")
    return [record["Name"] for record in result.records]


def test_parser_builds_the_tree():
    query = parse_soql("select Id, Account.Name, (SELECT Id FROM OpportunityLineItems WHERE Quantity > 1 LIMIT 2) "
                       "FROM Opportunity WHERE (Name LIKE 'A%' OR Amount >= 5) AND NOT Id IN ('006A') "
                       "ORDER BY SystemModstamp DESC NULLS LAST, Id LIMIT 10 OFFSET 3")
    assert query.fields[1] == FieldRef(("Account", "Name"))
    assert isinstance(query.fields[2], SubQuery) and query.fields[2].limit == 2
    assert isinstance(query.where, BoolOp) and query.where.op == "AND"
    inner, negated = query.where.operands
    assert isinstance(inner, BoolOp) and inner.op == "OR" and isinstance(inner.operands[0], Like)
    assert isinstance(negated, Not) and isinstance(negated.operand, InList)
    assert query.order_by[0].descending and query.order_by[0].nulls_last and not query.order_by[1].descending
    assert (query.limit, query.offset) == (10, 3)


def test_datetime_literals_with_offsets_and_fractions_are_utc():
    where = parse_soql("SELECT Id FROM Opportunity WHERE SystemModstamp > 2024-05-01T02:00:00.5+02:00").where
    assert isinstance(where, Comparison)
    assert where.value.value == datetime(2024, 5, 1, 0, 0, 0, 500000, tzinfo=UTC)


def test_string_escapes_and_equality_is_case_insensitive(store):
    assert names(store, "Name = 'o\\'brien RENEWAL'") == ["O'Brien renewal"]


def test_like_wildcards_and_escaped_wildcards(store):
    assert names(store, "Name LIKE '%50\\%%'") == ["Acme 50% deal"]
    assert names(store, "Name LIKE 'initech\\_%'") == ["Initech_upgrade"]
    assert names(store, "Name LIKE 'Initech_upgrad_'") == ["Initech_upgrade"]
    assert names(store, "Name LIKE 'acme%'") == ["Acme 50% deal"]


def test_and_or_not_parentheses_and_parent_fields(store):
    assert names(store, "(StageName = 'Closed Won' OR StageName = 'Closed Lost') AND Account.Name != null") == \
        ["Initech_upgrade", "O'Brien renewal"]
    assert names(store, "NOT (IsWon = true)") == ["Acme 50% deal", "Initech_upgrade"]
    assert names(store, "Account.BillingCity = 'paris' AND IsClosed = false") == ["Acme 50% deal"]


def test_mixing_and_or_without_parentheses_is_malformed(store):
    with pytest.raises(SoqlError) as caught:
        names(store, "IsWon = true AND Amount > 1 OR Name = 'x'")
    assert caught.value.error_code == "MALFORMED_QUERY" and "OR" in caught.value.message


def test_in_not_in_null_and_numbers(store):
    assert names(store, "StageName IN ('closed won', 'Prospecting') AND Amount > 100") == \
        ["Acme 50% deal", "O'Brien renewal"]
    assert names(store, "StageName NOT IN ('Closed Won')") == ["Acme 50% deal", "Initech_upgrade"]
    assert names(store, "Amount = null") == ["Initech_upgrade"]
    assert names(store, "Amount != 5") == ["Acme 50% deal", "Initech_upgrade", "O'Brien renewal"]


def test_dates_and_datetimes_compare_as_values(store):
    assert names(store, "QBO_Last_Sync__c >= 2024-05-01T11:30:00Z") == ["Acme 50% deal", "Initech_upgrade"]
    assert names(store, "QBO_Last_Sync__c > 2024-05-01T11:30:00.250Z") == ["Initech_upgrade"]   # stored to the second
    assert names(store, "QBO_Last_Sync__c < 2024-05-01T12:00:00+01:00") == ["O'Brien renewal"]
    assert names(store, "CloseDate = 2024-05-01 AND CloseDate < 2024-05-02") == \
        ["Acme 50% deal", "Initech_upgrade", "no account", "O'Brien renewal"]  # case-insensitive order


def test_order_by_several_fields_directions_and_nulls(store):
    assert names(store, "Name != null", "ORDER BY Amount DESC NULLS LAST, Name") == \
        ["Acme 50% deal", "O'Brien renewal", "no account", "Initech_upgrade"]
    assert names(store, "Name != null", "ORDER BY Amount NULLS FIRST") == \
        ["Initech_upgrade", "no account", "O'Brien renewal", "Acme 50% deal"]
    assert names(store, "Name != null", "ORDER BY IsWon DESC, Name DESC LIMIT 2 OFFSET 1") == \
        ["no account", "Initech_upgrade"]


def test_count_and_limit(store):
    result = run_soql("SELECT COUNT() FROM Opportunity WHERE IsClosed = true", store.snapshot(), api_version="59.0")
    assert (result.total_size, result.records) == (3, [])


def test_result_shape_parents_nest_with_attributes_and_missing_parent_is_null(store):
    result = run_soql("SELECT Name, Account.Name, Account.BillingCity, Amount FROM Opportunity "
                      "ORDER BY Name", store.snapshot(), api_version="59.0")
    first = result.records[0]
    assert list(first) == ["attributes", "Name", "Account", "Amount"]
    assert first["attributes"]["type"] == "Opportunity"
    assert first["attributes"]["url"].startswith("/services/data/v59.0/sobjects/Opportunity/006")
    assert first["Account"]["attributes"]["type"] == "Account"
    assert first["Account"]["Name"] == "Acme" and first["Account"]["BillingCity"] == "Paris"
    assert first["Amount"] == Decimal("200")
    assert result.records[2]["Name"] == "no account" and result.records[2]["Account"] is None


def test_child_subquery_is_null_when_empty_and_filters_its_rows(store):
    opportunity = store.snapshot().rows("Opportunity")[0]
    product = store.create(_spec("Product2"), {"Name": "Widget", "ProductCode": "W-1"}, now=NOW)
    for quantity in (1, 3):
        store.create(_spec("OpportunityLineItem"), {"OpportunityId": opportunity["Id"], "Product2Id": product,
                                                    "Quantity": quantity, "UnitPrice": "10"}, now=NOW)
    result = run_soql("SELECT Name, (SELECT Quantity, Product2.Name FROM OpportunityLineItems "
                      "WHERE Quantity > 2 ORDER BY Quantity DESC) FROM Opportunity ORDER BY Name",
                      store.snapshot(), api_version="59.0")
    by_name = {record["Name"]: record for record in result.records}
    lines = by_name["O'Brien renewal"]["OpportunityLineItems"]
    assert lines["totalSize"] == 1 and lines["done"] is True
    assert lines["records"][0]["Product2"]["Name"] == "Widget"
    assert by_name["Acme 50% deal"]["OpportunityLineItems"] is None


@pytest.mark.parametrize("soql", [
    "SELECT Name FROM Opportunity GROUP BY Name",
    "SELECT SUM(Amount) FROM Opportunity",
    "SELECT Name FROM Opportunity WHERE CloseDate = TODAY",
    "SELECT FROM Opportunity",
    "SELECT Name FROM Opportunity WHERE Name = 'unterminated",
    "SELECT Name FROM Opportunity WHERE Name = 'bad \\q escape'",
    "invalid",
])
def test_outside_the_subset_is_malformed(store, soql):
    with pytest.raises(SoqlError) as caught:
        run_soql(soql, store.snapshot(), api_version="59.0")
    assert caught.value.error_code == "MALFORMED_QUERY"


def test_unknown_field_relationship_object_and_wrong_literal_type(store):
    cases = {
        "SELECT Foo FROM Opportunity": ("INVALID_FIELD", "No such column 'Foo' on entity 'Opportunity'"),
        "SELECT Nope.Name FROM Opportunity": ("INVALID_FIELD", "Didn't understand relationship 'Nope'"),
        "SELECT Id FROM Widget__c": ("INVALID_TYPE", "sObject type 'Widget__c' is not supported"),
        "SELECT Id FROM Opportunity WHERE SystemModstamp > 2024-05-01": ("INVALID_FIELD", "type dateTime"),
        "SELECT Id FROM Opportunity WHERE Amount = '5'": ("INVALID_FIELD", "type currency"),
        "SELECT Id, (SELECT Id FROM Lines) FROM Opportunity": ("INVALID_TYPE", "relationship 'Lines'"),
    }
    for soql, (code, text) in cases.items():
        with pytest.raises(SoqlError) as caught:
            run_soql(soql, store.snapshot(), api_version="59.0")
        assert caught.value.error_code == code, soql
        assert text in caught.value.message, soql


def test_derived_fields(store):
    rows = {row["Name"]: row for row in store.snapshot().rows("Opportunity")}
    assert rows["O'Brien renewal"]["IsWon"] and rows["O'Brien renewal"]["IsClosed"]
    assert not rows["Initech_upgrade"]["IsWon"] and rows["Initech_upgrade"]["IsClosed"]
    opportunity_id = rows["Initech_upgrade"]["Id"]
    store.create(_spec("OpportunityLineItem"), {"OpportunityId": opportunity_id, "Quantity": 3,
                                                "UnitPrice": "33.33", "Discount": "12.5"}, now=NOW)
    snapshot = store.snapshot()
    line = snapshot.rows("OpportunityLineItem")[0]
    assert line["TotalPrice"] == Decimal("87.49")  # 3 * 33.33 * 0.875 = 87.49125
    opportunity = snapshot.row("Opportunity", opportunity_id)
    assert opportunity is not None
    assert opportunity["Amount"] == Decimal("87.49") and opportunity["HasOpportunityLineItem"] is True
    assert snapshot.row("Opportunity", opportunity_id[:15]) == opportunity
    assert rows["no account"]["CloseDate"] == date(2024, 5, 1)
