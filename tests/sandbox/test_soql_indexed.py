"""The emulator answers an incremental poll in O(changes): a `SystemModstamp >=` query goes through its
SystemModstamp index and the line items per opportunity, so the rows it examines do not grow with the org
(issue 8: a 1,000-opportunity org made a 200-change poll take 46 s, every query deriving every row and each
opportunity's Amount scanning every line). No timing: the snapshot counts the rows it derived."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.integrations.salesforce_soql import changed_since_query
from app.sandbox.salesforce.schema import find_object
from app.sandbox.salesforce.soql import run_soql
from app.sandbox.salesforce.store import RecordStore, Snapshot

START = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
EDITED = START + timedelta(hours=1)


def _spec(name: str):
    spec = find_object(name)
    assert spec is not None
    return spec


def _org(size: int, changed: int) -> tuple[RecordStore, list[str]]:
    """`size` opportunities with two lines each; the first `changed` get a new PO number, the next `changed` a
    new line quantity (a line edit moves its opportunity's SystemModstamp too)."""
    store = RecordStore()
    account = store.create(_spec("Account"), {"Name": "Acme"}, now=START)
    ids, lines = [], []
    for number in range(size):
        opportunity = store.create(_spec("Opportunity"), {"Name": f"Deal {number}", "AccountId": account,
                                                          "StageName": "Closed Won", "CloseDate": "2024-05-01"},
                                   now=START + timedelta(seconds=number))
        ids.append(opportunity)
        lines.append([store.create(_spec("OpportunityLineItem"), {"OpportunityId": opportunity, "Quantity": q,
                                                                  "UnitPrice": "10.00"},
                                   now=START + timedelta(seconds=number)) for q in (1, 2)])
    for number in range(changed):
        store.update(_spec("Opportunity"), ids[number], {"PO_Number__c": f"PO-{number}"},
                     now=EDITED + timedelta(seconds=number))
        store.update(_spec("OpportunityLineItem"), lines[changed + number][0], {"Quantity": 5},
                     now=EDITED + timedelta(seconds=number))
    return store, ids


def _poll(snapshot: Snapshot) -> list[dict]:
    query = changed_since_query(EDITED, limit=None)
    return run_soql(query, snapshot, api_version="59.0").records


@pytest.mark.parametrize("size", [60, 600])
def test_a_poll_examines_the_changed_records_only(size: int):
    store, ids = _org(size, changed=10)
    snapshot = store.snapshot()
    records = _poll(snapshot)
    assert sorted(record["Id"] for record in records) == sorted(ids[:20])
    lines = sum(len(record["OpportunityLineItems"]["records"]) for record in records)
    assert lines == 40
    # 20 opportunities, their 40 lines and the one account of `Account.Name`: the same at 60 as at 600.
    assert snapshot.derived == 20 + 40 + 1


def test_the_index_answers_like_a_scan():
    store, _ = _org(40, changed=5)
    unindexed = Snapshot(store._rows)        # no indexes: every query scans, as before
    queries = [changed_since_query(EDITED, limit=None),
               changed_since_query(EDITED + timedelta(seconds=3), limit=2),
               changed_since_query(None, limit=None),
               "SELECT Id, Amount FROM Opportunity WHERE SystemModstamp > 2024-05-01T13:00:02Z AND Amount > 35 "
               "ORDER BY Id",
               "SELECT Id FROM Opportunity WHERE SystemModstamp = 2024-05-01T13:00:01Z OR Name = 'Deal 30' "
               "ORDER BY Id"]
    for query in queries:
        indexed = run_soql(query, store.snapshot(), api_version="59.0")
        scanned = run_soql(query, unindexed, api_version="59.0")
        assert indexed == scanned, query
    amounts = run_soql("SELECT Id, Amount FROM Opportunity WHERE SystemModstamp >= 2024-05-01T13:00:00Z "
                       "ORDER BY SystemModstamp, Id", store.snapshot(), api_version="59.0").records
    assert sorted(str(record["Amount"]) for record in amounts) == ["30.00"] * 5 + ["70.00"] * 5
