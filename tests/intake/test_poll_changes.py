"""poll_changes on real SQL (SQLite and PostgreSQL) with a plain in-memory Salesforce and QuickBooks directory.

The fake source answers like the SOQL the real one sends: `SystemModstamp >= mark ORDER BY SystemModstamp, Id`.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine, event
from sqlmodel import select

from app.clock import FixedClock
from app.db import Transactions, session_scope
from app.deals.models import Account, Deal
from app.errors import VendorUnavailable
from app.exception_queue.models import ExceptionItem
from app.intake.service import PAGE_SIZE, IntakeReport, load_watermark, poll_changes, read_opportunities
from app.intake.watermark import Watermark
from app.integrations.quickbooks_models import QboCustomer
from app.integrations.salesforce_models import SfAccount, SfLineItem, SfOpportunity
from app.policy import load_policy
from app.sandbox.stack import DEMO_POLICY
from app.work_queue.models import WorkItem

POLICY = load_policy(DEMO_POLICY)
T1 = datetime(2026, 3, 2, 14, 0, 0, tzinfo=UTC)
T2, T3 = T1 + timedelta(seconds=1), T1 + timedelta(seconds=2)
POLL_1 = datetime(2026, 3, 2, 14, 5, tzinfo=UTC)


class ListSource:
    """Changed opportunities from a list; optionally the connection drops after `fail_after` records."""

    def __init__(self, records: list[SfOpportunity], *, fail_after: int | None = None,
                 ignore_mark: bool = False) -> None:
        self.records, self.fail_after, self.ignore_mark = records, fail_after, ignore_mark
        self.asked: list[datetime | None] = []

    def opportunities_changed_since(self, watermark: datetime | None, *,
                                    limit: int | None = None) -> Iterator[SfOpportunity]:
        self.asked.append(watermark)
        watermark = None if self.ignore_mark else watermark
        changed = sorted((record for record in self.records
                          if watermark is None or record.system_modstamp >= watermark),
                         key=lambda record: (record.system_modstamp, record.id))
        for position, record in enumerate(changed[:limit]):
            if position == self.fail_after:
                raise VendorUnavailable("Salesforce connection reset", vendor="salesforce")
            yield record

    def opportunities_by_ids(self, ids: list[str]) -> list[SfOpportunity]:
        return [record for record in self.records if record.id in ids]


class NamedCustomers:
    """QuickBooks customers by exact DisplayName; names in `broken` fail like an outage."""

    def __init__(self, customers: dict[str, str] | None = None, *, broken: frozenset[str] = frozenset()) -> None:
        self.customers, self.broken = customers or {}, broken

    def find_customer_by_display_name(self, display_name: str) -> QboCustomer | None:
        if display_name in self.broken:
            raise VendorUnavailable("QuickBooks timed out", vendor="quickbooks")
        found = self.customers.get(display_name)
        return QboCustomer(id=found, display_name=display_name, sync_token="0") if found else None


def opportunity(number: int, stamp: datetime, *, account_name: str | None = None) -> SfOpportunity:
    account = SfAccount(id=f"001{number:015d}", name=account_name or f"Customer {number}", billing_street="1 Main St",
                        billing_city="Boston", billing_postal_code="02110", billing_country="US",
                        segment="Mid-Market", tax_exempt=False)
    line = SfLineItem(id=f"00k{number:015d}", product_id=None, product_name="Consulting Services",
                      product_code="CONSULT", quantity=Decimal("1"), unit_price=Decimal("500.00"), list_price=None,
                      discount_percent=None, total_price=Decimal("500.00"), service_date=None, description=None)
    return SfOpportunity(
        id=f"006{number:015d}", name=f"Deal {number}", account=account, amount=Decimal("500.00"),
        close_date=date(2026, 2, 27), stage_name="Closed Won", is_won=True, is_closed=True, owner_id=None,
        owner_name="Rita Rep", owner_email="rita@example.com", billing_status="Delivered", po_number=None,
        payment_terms="Net 30", qbo_invoice_id=None, qbo_invoice_number=None, qbo_invoice_status=None,
        qbo_balance=None, system_modstamp=stamp, last_modified_date=stamp, lines=(line,))


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(POLL_1)


def poll(engine: Engine, clock: FixedClock, source: ListSource, customers: NamedCustomers | None = None,
         progress: list[int] | None = None, page_size: int = PAGE_SIZE) -> IntakeReport:
    return poll_changes(transactions=Transactions(engine), source=source, customers=customers or NamedCustomers(),
                        policy=POLICY, clock=clock, progress=progress.append if progress is not None else None,
                        page_size=page_size)


def push(engine: Engine, clock: FixedClock, source: ListSource, ids: list[str]) -> IntakeReport:
    return read_opportunities(transactions=Transactions(engine), source=source, customers=NamedCustomers(), ids=ids,
                              policy=POLICY, clock=clock)


@contextmanager
def commits(engine: Engine) -> Iterator[list[str]]:
    """Every COMMIT on the engine while the block runs. On SQLite, also proves each SAVEPOINT is released
    inside a transaction: pysqlite would otherwise commit the record on its own at RELEASE."""
    counted: list[str] = []

    def on_commit(_connection) -> None:
        counted.append("COMMIT")

    def after_execute(connection, _cursor, statement: str, *_args) -> None:
        if statement.startswith("RELEASE SAVEPOINT") and connection.dialect.name == "sqlite":
            assert connection.connection.dbapi_connection.in_transaction, "a SAVEPOINT outside a transaction"

    event.listen(engine, "commit", on_commit)
    event.listen(engine, "after_cursor_execute", after_execute)
    try:
        yield counted
    finally:
        event.remove(engine, "commit", on_commit)
        event.remove(engine, "after_cursor_execute", after_execute)


def exceptions(engine: Engine) -> list[ExceptionItem]:
    with session_scope(engine) as session:
        return list(session.exec(select(ExceptionItem)))


def watermark(engine: Engine) -> Watermark:
    """The stored mark with its entries reduced to record ids (each entry is "<Id>:<content digest>")."""
    with session_scope(engine) as session:
        mark = load_watermark(session)
    return Watermark(mark.modstamp, frozenset(entry.split(":")[0] for entry in mark.ids_at_modstamp))


def last_stored(engine: Engine) -> dict[str, datetime]:
    """When each deal was last written: a record processed again would carry the later poll's time."""
    with session_scope(engine) as session:
        return {deal.sf_id: deal.updated_at for deal in session.exec(select(Deal))}


def test_records_sharing_one_modstamp_are_all_processed_once(engine, clock):
    a, b, c = (opportunity(number, T1) for number in (3, 1, 2))
    source = ListSource([a, b, c])
    progress: list[int] = []
    first = poll(engine, clock, source, progress=progress)
    assert (first.read, first.processed) == (3, 3) and progress == [1, 2, 3]
    assert watermark(engine) == Watermark(T1, frozenset({a.id, b.id, c.id}))

    clock.advance(timedelta(minutes=5))
    again = poll(engine, clock, source)
    assert source.asked == [None, T1]              # the second poll asks with >= the mark...
    assert (again.read, again.processed, again.queued) == (3, 0, 0)   # ...and repeats nothing it returns
    assert last_stored(engine) == {a.id: POLL_1, b.id: POLL_1, c.id: POLL_1}


def test_a_late_record_with_an_already_seen_modstamp_is_still_picked_up(engine, clock):
    early, late = opportunity(1, T1), opportunity(2, T1)
    source = ListSource([early])
    poll(engine, clock, source)
    source.records.append(late)
    clock.advance(timedelta(minutes=5))
    report = poll(engine, clock, source)
    assert (report.read, report.processed) == (2, 1)
    assert last_stored(engine) == {early.id: POLL_1, late.id: clock.now()}
    assert watermark(engine) == Watermark(T1, frozenset({early.id, late.id}))


def test_a_source_failing_halfway_leaves_the_mark_at_the_last_committed_record(engine, clock):
    a, b, c, d = opportunity(1, T1), opportunity(2, T2), opportunity(3, T2), opportunity(4, T3)
    with pytest.raises(VendorUnavailable):
        poll(engine, clock, ListSource([a, b, c, d], fail_after=2))
    assert watermark(engine) == Watermark(T2, frozenset({b.id}))
    assert set(last_stored(engine)) == {a.id, b.id}

    clock.advance(timedelta(minutes=5))
    source = ListSource([a, b, c, d])
    resumed = poll(engine, clock, source)
    assert source.asked == [T2]
    assert (resumed.read, resumed.processed) == (3, 2)         # b comes back (>=) and is skipped
    assert last_stored(engine) == {a.id: POLL_1, b.id: POLL_1, c.id: clock.now(), d.id: clock.now()}
    assert watermark(engine) == Watermark(T3, frozenset({d.id}))


def test_a_failure_while_handling_a_record_keeps_it_for_the_next_poll(engine, clock):
    first, second = opportunity(1, T1, account_name="Alpha"), opportunity(2, T1, account_name="Beta")
    source = ListSource([first, second])
    with pytest.raises(VendorUnavailable):
        poll(engine, clock, source, NamedCustomers(broken=frozenset({"Beta"})))
    assert watermark(engine) == Watermark(T1, frozenset({first.id}))
    assert set(last_stored(engine)) == {first.id}

    clock.advance(timedelta(minutes=5))
    report = poll(engine, clock, source)
    assert (report.read, report.processed) == (2, 1)
    assert last_stored(engine) == {first.id: POLL_1, second.id: clock.now()}


def test_an_existing_quickbooks_customer_is_linked_by_exact_name_and_the_deal_goes_to_invoicing(engine, clock):
    known, new = opportunity(1, T1, account_name="Acme Corp"), opportunity(2, T2, account_name="Brand New Inc")
    report = poll(engine, clock, ListSource([known, new]), NamedCustomers({"Acme Corp": "58"}))
    assert (report.processed, report.queued) == (2, 2)
    with session_scope(engine) as session:
        linked = {account.name: account.qbo_customer_id for account in session.exec(select(Account))}
        statuses = {deal.sf_id: deal.gate_status for deal in session.exec(select(Deal))}
        kinds = sorted(item.kind for item in session.exec(select(WorkItem)))
    assert linked == {"Acme Corp": "58", "Brand New Inc": None}
    assert statuses == {known.id: "billable", new.id: "awaiting_approval"}   # a new customer needs activation
    assert kinds == ["create_invoice", "post_approval_request"]


def test_nothing_changed_means_nothing_processed_and_no_mark(engine, clock):
    report = poll(engine, clock, ListSource([]))
    assert report == IntakeReport(read=0, processed=0, queued=0)
    assert watermark(engine) == Watermark()


def test_a_record_older_than_the_mark_is_not_processed_again(engine, clock):
    old, new = opportunity(1, T1), opportunity(2, T2)
    poll(engine, clock, ListSource([old, new]))
    clock.advance(timedelta(minutes=5))
    replayed = replace(old, name="Renamed after the fact")
    source = ListSource([replayed, new], ignore_mark=True)
    report = poll(engine, clock, source)
    assert (report.read, report.processed) == (2, 0)
    assert last_stored(engine) == {old.id: POLL_1, new.id: POLL_1}




def test_decimal_amounts_in_the_raw_record_are_stored(engine, clock):
    # simple-salesforce parses JSON numbers as Decimal: the snapshot must still fit a JSON column
    fractional = replace(opportunity(1, T1), raw={"Id": "006000000000000001", "Amount": Decimal("337.50"),
                                                   "OpportunityLineItems": {
                                                       "records": [{"UnitPrice": Decimal("0.5")}]}})
    assert poll(engine, clock, ListSource([fractional])).processed == 1
    with session_scope(engine) as session:
        assert session.exec(select(Deal)).one().snapshot["Amount"] == "337.50"


def test_a_record_that_cannot_be_stored_is_reported_and_does_not_block_the_rest(engine, clock):
    broken = replace(opportunity(1, T1), raw={"Id": "006000000000000001", "weird": {1, 2}})   # not JSON
    records = [broken, opportunity(2, T2), opportunity(3, T3)]
    report = poll(engine, clock, ListSource(records))
    assert (report.read, report.processed) == (3, 3)
    assert set(last_stored(engine)) == {records[1].id, records[2].id}
    with session_scope(engine) as session:
        item = session.exec(select(ExceptionItem)).one()
        assert (item.kind, item.status, item.dedupe_key) == ("invalid_field", "open", f"intake:{broken.id}")
        assert broken.id in item.reason and "serializable" in item.reason
    assert poll(engine, clock, ListSource(records)).processed == 0          # not retried until it changes

    fixed = replace(broken, raw={"Id": broken.id}, system_modstamp=T3 + timedelta(seconds=1))
    clock.advance(timedelta(minutes=1))
    assert poll(engine, clock, ListSource([fixed, *records[1:]])).processed == 1
    with session_scope(engine) as session:
        assert session.exec(select(ExceptionItem)).one().status == "resolved"
        assert broken.id in {deal.sf_id for deal in session.exec(select(Deal))}


def test_each_page_is_one_commit_together_with_its_mark(engine, clock):
    records = [opportunity(number, T1 + timedelta(seconds=number)) for number in range(1, 6)]
    with commits(engine) as counted:
        report = poll(engine, clock, ListSource(records), page_size=2)
    assert (report.read, report.processed) == (5, 5)
    assert counted == ["COMMIT"] * 3                          # pages of 2, 2 and 1 records
    assert watermark(engine) == Watermark(T1 + timedelta(seconds=5), frozenset({records[-1].id}))


def test_a_page_with_one_bad_record_commits_the_good_ones_and_opens_one_exception(engine, clock):
    broken = replace(opportunity(2, T1), raw={"Id": "006000000000000002", "weird": {1, 2}})   # not JSON
    records = [opportunity(1, T1), broken, opportunity(3, T2)]
    with commits(engine) as counted:
        report = poll(engine, clock, ListSource(records))
    assert (report.read, report.processed) == (3, 3) and counted == ["COMMIT"]
    assert set(last_stored(engine)) == {records[0].id, records[2].id}
    (item,) = exceptions(engine)
    assert (item.kind, item.status, item.dedupe_key) == ("invalid_field", "open", f"intake:{broken.id}")
    assert watermark(engine) == Watermark(T2, frozenset({records[2].id}))


def test_a_pushed_read_then_a_poll_of_the_same_versions_stores_nothing_twice(engine, clock):
    early, pushed_one, later = opportunity(1, T1), opportunity(2, T2), opportunity(3, T3)
    source = ListSource([early, pushed_one, later])
    assert push(engine, clock, source, [pushed_one.id]).processed == 1
    assert watermark(engine) == Watermark()                  # the mark stays: `early` is still unread

    clock.advance(timedelta(minutes=1))
    report = poll(engine, clock, source)
    assert (report.read, report.processed) == (3, 2)         # `pushed_one` is passed over, not stored again
    assert last_stored(engine) == {early.id: clock.now(), pushed_one.id: POLL_1, later.id: clock.now()}
    with session_scope(engine) as session:
        assert load_watermark(session).read_ahead == frozenset()     # the note is spent once the mark passes it

    changed = replace(pushed_one, name="Renamed", system_modstamp=T3 + timedelta(seconds=1),
                      raw={"Id": pushed_one.id, "Name": "Renamed"})
    source.records[1] = changed
    clock.advance(timedelta(minutes=1))
    assert poll(engine, clock, source).processed == 1        # a later change is read as usual
    assert last_stored(engine)[pushed_one.id] == clock.now()


def test_a_push_of_versions_the_poll_already_stored_is_processed_and_noted_harmlessly(engine, clock):
    record = opportunity(1, T1)
    source = ListSource([record])
    poll(engine, clock, source)
    clock.advance(timedelta(minutes=1))
    assert push(engine, clock, source, [record.id]).processed == 1          # a push always stores what it read
    with session_scope(engine) as session:
        assert load_watermark(session).read_ahead == frozenset()          # the mark covers it already
    assert poll(engine, clock, source).processed == 0

