"""The weekly review message names every metric; credit memos issued show their count and totals per currency."""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from app.metrics.invoicing import DaysToInvoice, Rate
from app.metrics.weekly import CreditMemos, WeeklyNumbers
from app.slack.blocks.weekly_review import weekly_review_blocks

UNTIL = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)


def test_every_metric_is_named_and_credit_memos_show_count_and_totals():
    numbers = WeeklyNumbers(
        since=UNTIL - timedelta(days=7), until=UNTIL,
        days_to_invoice=DaysToInvoice(4, Decimal("2.5"), Decimal("3"), Decimal("6")),
        days_to_invoice_before=DaysToInvoice(3, Decimal("4"), Decimal("4"), Decimal("8")),
        first_pass=Rate(3, 4), error_rate=Rate(1, 5),
        credit_memos=CreditMemos(2, {"USD": Decimal("108.25"), "EUR": Decimal("20.00")}),
        opened_by_cause={"missing_po": 2}, closed_by_cause={"missing_po": 1}, sla_breach_rate=0.25,
        billable_completeness=Rate(4, 5))
    text = json.dumps(ensure_ascii=False, obj=[block.to_dict() for block in weekly_review_blocks(
        numbers, cause_label=lambda cause: cause.replace("_", " "), dashboard_url="https://lb.example/dashboard")])
    for name in ("Days to invoice (median)", "Days to invoice (p90)", "First-pass acceptance", "Error rate",
                 "Credit memos issued", "SLA breach rate", "Billable completeness", "Exceptions by root cause",
                 "faster by 1.5 days", "missing po: 2 / 1", "https://lb.example/dashboard"):
        assert name in text, name
    assert "*Credit memos issued*\\n2 ($108.25 + €20.00)" in text
