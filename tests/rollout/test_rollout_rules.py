"""The rollout's pure rules: pairing would-be invoices with hand-made ones, and what waits for a backfill."""
from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from app.rollout.rules import Invoice, before_live_reason, compare

DAY = date(2026, 12, 1)
NEW_YORK = ZoneInfo("America/New_York")


def ours(customer: str, amount: str, **extra) -> Invoice:
    return Invoice(customer=customer, amount=Decimal(amount), txn_date=extra.pop("txn_date", DAY),
                   terms=extra.pop("terms", "Net 30"), items=extra.pop("items", ("Support Plan",)),
                   reference=extra.pop("reference", f"006-{customer}-{amount}"), **extra)


def test_pairs_by_closest_amount_across_the_whole_set_and_names_each_difference():
    would_be = [ours("Globex", "5000.00", items=("Implementation",)), ours("Globex", "7200.00")]
    by_hand = [ours("globex", "7200.00", terms="Net 60", reference="1001"),
               ours("Initech", "300.00", reference="1002")]
    rows = compare(would_be, by_hand, window_days=14)
    assert [(r.would_be.amount if r.would_be else None, r.by_hand.reference if r.by_hand else None)
            for r in rows] == [(Decimal("5000.00"), None), (Decimal("7200.00"), "1001"), (None, "1002")]
    assert rows[0].differences == ("missing in QuickBooks: finance made no such invoice",)
    assert rows[1].differences == ("terms: Net 30 would be used, Net 60 by hand",)
    assert rows[2].differences == ("missing in Ledgerbridge: no deal would have made it",)


def test_amount_items_tax_and_dates_differences():
    theirs = ours("Globex", "7300.00", items=("Consulting",), tax=Decimal("20.00"), txn_date=date(2026, 12, 3),
                  due_date=date(2027, 1, 2))
    (row,) = compare([ours("Globex", "7200.00", due_date=date(2026, 12, 31))], [theirs], window_days=14)
    assert row.differences == (
        "amount: 7,200.00 would be invoiced, 7,300.00 by hand",
        "items: Support Plan would be billed, Consulting by hand",
        "tax: no tax would be invoiced, 20.00 tax by hand",
        "date: 2026-12-01 would be used, 2026-12-03 by hand",
        "due date: 2026-12-31 would be used, 2027-01-02 by hand",
    )
    assert not row.matches


def test_outside_the_date_window_nothing_pairs():
    rows = compare([ours("Globex", "7200.00")], [ours("Globex", "7200.00", txn_date=date(2026, 12, 20))],
                   window_days=14)
    assert [r.by_hand is None for r in rows] == [True, False]


def test_same_invoice_matches():
    (row,) = compare([ours("Globex", "7200.00")], [ours("Globex", "7200.00")], window_days=0)
    assert row.matches and row.differences == ()


def test_what_waits_for_a_backfill_after_the_switch_to_live():
    switched = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)
    kwargs = {"live_since": switched, "zone": NEW_YORK, "granted": False}
    assert "won on 2026-11-20, before going live on 2026-12-07" in before_live_reason(
        close_date=date(2026, 11, 20), simulated=False, **kwargs)
    assert before_live_reason(close_date=date(2026, 12, 7), simulated=False, **kwargs) is None
    assert "shadow mode already simulated" in before_live_reason(close_date=date(2026, 12, 7), simulated=True,
                                                                 **kwargs)
    assert before_live_reason(close_date=date(2026, 11, 20), simulated=True, live_since=switched, zone=NEW_YORK,
                              granted=True) is None
    assert before_live_reason(close_date=date(2020, 1, 1), simulated=False, live_since=None, zone=NEW_YORK,
                              granted=False) is None                     # never in shadow: nothing waits
