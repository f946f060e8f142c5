"""The /invoice-status replies and the invoice thread confirmation: pure builders, no I/O."""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from app.slack.blocks.common import to_dicts
from app.slack.blocks.invoice import InvoiceConfirmation, invoice_created_blocks, invoice_created_text
from app.slack.blocks.status import (
    ApprovalLine,
    Candidate,
    InvoiceStatusView,
    invoice_status_blocks,
    status_candidates_blocks,
    status_candidates_text,
    status_not_found_text,
    status_usage_text,
)

NEW_YORK = ZoneInfo("America/New_York")
DECIDED = datetime(2026, 11, 26, 14, 5, tzinfo=UTC)
AT = "<!date^1795701900^{date_short_pretty} {time}|2026-11-26 14:05 UTC>"
HOSTILE = "<!here> <@U0BOSS> & <https://evil.example|x>"


def make_view(**changes: Any) -> InvoiceStatusView:
    view = InvoiceStatusView(
        deal_name="Acme 2027 renewal",
        opportunity_id="0065g00000AbCdE",
        opportunity_url="https://acme.my.salesforce.com/0065g00000AbCdE",
        stage="Closed Won",
        gate_status="Blocked",
        gate_problems=("PO number is missing", "Billing contact has no email"),
        approvals=(
            ApprovalLine("Discount", "approved", "Ann Approver", DECIDED, "ok for this year only"),
            ApprovalLine("Payment terms", "pending"),
        ),
        invoice_number="1037",
        amount=Decimal("12500"),
        balance=Decimal("2500.5"),
        due_date=date(2026, 12, 26),
        invoice_status="Partially paid",
    )
    return replace(view, **changes)


def assert_within_limits(dicts: list[dict[str, Any]]) -> None:
    assert len(dicts) <= 50
    for block in dicts:
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= 150
        if block["type"] == "section":
            assert len(block.get("text", {}).get("text", "")) <= 3000
            assert len(block.get("fields", [])) <= 10
            assert all(len(field["text"]) <= 2000 for field in block.get("fields", []))
        if block["type"] == "context":
            assert all(len(element["text"]) <= 2000 for element in block["elements"])
    json.dumps(dicts)


# ---------- /invoice-status ----------

def test_status_structure_and_content(texts: Callable[[Any], list[str]]) -> None:
    dicts = to_dicts(invoice_status_blocks(make_view(), tz=NEW_YORK))
    assert [b["type"] for b in dicts] == ["header", "section", "section", "section", "section"]
    assert not [b for b in dicts if b["type"] == "actions"]
    body = "\n".join(texts(dicts))
    assert dicts[0]["text"]["text"] == "Acme 2027 renewal"
    assert "<https://acme.my.salesforce.com/0065g00000AbCdE|0065g00000AbCdE>" in body
    assert "Closed Won" in body and "*Billing gate*\nBlocked" in body
    assert "• PO number is missing\n• Billing contact has no email" in body
    assert f"• *Discount*: approved by Ann Approver, {AT} — “ok for this year only”" in body
    assert "• *Payment terms*: pending" in body
    assert "*Amount*\n$12,500.00" in body and "*Balance*\n$2,500.50" in body
    assert "*Invoice*\n1037" in body and "Partially paid" in body and "*Due*\n26 Dec 2026" in body


def test_status_times_are_slack_date_tokens_whatever_the_zone(texts: Callable[[Any], list[str]]) -> None:
    tokyo = "\n".join(texts(to_dicts(invoice_status_blocks(make_view(), tz=ZoneInfo("Asia/Tokyo")))))
    assert AT in tokyo and "JST" not in tokyo and "EST" not in tokyo


def test_status_names_deciders_by_mention(texts: Callable[[Any], list[str]]) -> None:
    decided = ApprovalLine("Discount", "approved", "ann", DECIDED, None, "U0ANN1234")
    body = "\n".join(texts(to_dicts(invoice_status_blocks(make_view(approvals=(decided,)), tz=NEW_YORK))))
    assert "approved by <@U0ANN1234>" in body and "by ann" not in body


def test_status_without_invoice_problems_or_approvals(texts: Callable[[Any], list[str]]) -> None:
    view = make_view(gate_problems=(), approvals=(), invoice_number=None, balance=None, due_date=None,
                     invoice_status=None, amount=None, opportunity_url=None)
    dicts = to_dicts(invoice_status_blocks(view, tz=NEW_YORK))
    body = "\n".join(texts(dicts))
    assert "Blocking" not in body
    assert "*Approvals*\n_None needed._" in body
    assert "No QuickBooks invoice yet" in body
    assert "*Opportunity*\n0065g00000AbCdE" in body and "$" not in body


def test_status_refuses_float_amounts_and_naive_times() -> None:
    with pytest.raises(TypeError):
        invoice_status_blocks(make_view(balance=2500.5), tz=NEW_YORK)
    naive = (ApprovalLine("Discount", "approved", "Ann", datetime(2026, 11, 26, 14, 5)),)
    with pytest.raises(ValueError, match="aware"):
        invoice_status_blocks(make_view(approvals=naive), tz=NEW_YORK)


def test_status_escapes_and_bounds_hostile_and_huge_inputs(texts: Callable[[Any], list[str]]) -> None:
    huge = HOSTILE * 200
    view = make_view(
        deal_name=huge, opportunity_id=huge, stage=huge, gate_status=huge, gate_problems=(huge,) * 300,
        approvals=tuple(ApprovalLine(huge, huge, huge, DECIDED, huge) for _ in range(300)),
        invoice_number=huge, invoice_status=huge,
    )
    dicts = to_dicts(invoice_status_blocks(view, tz=NEW_YORK))
    assert_within_limits(dicts)
    mrkdwn = "\n".join(t for b in dicts[1:] for t in texts(b))
    assert "<!here>" not in mrkdwn and "<@U0BOSS>" not in mrkdwn and "|x>" not in mrkdwn
    assert "&lt;!here&gt;" in mrkdwn
    assert "more" in dicts[2]["text"]["text"].split("\n")[-1]


# ---------- ambiguous / not found / usage ----------

def test_candidates_list_each_match_and_explain_how_to_pick() -> None:
    candidates = [
        Candidate("0065g00000AAAAA", "Acme renewal", "Closed Won", Decimal("12500")),
        Candidate("0065g00000BBBBB", "Acme expansion", "Negotiation", None),
        Candidate("0065g00000CCCCC", "Acme EU", "Closed Won", Decimal("999.999"), "EUR"),
    ]
    dicts = to_dicts(status_candidates_blocks("  Acme ", candidates))
    assert [b["type"] for b in dicts] == ["section", "context"]
    text = dicts[0]["text"]["text"]
    assert text.startswith("3 deals match “Acme”:")
    assert "• *Acme renewal* (Closed Won, $12,500.00) · `0065g00000AAAAA`" in text
    assert "• *Acme expansion* (Negotiation) · `0065g00000BBBBB`" in text
    assert "€1,000.00" in text
    assert "/invoice-status &lt;opportunity id&gt;" in dicts[1]["elements"][0]["text"]
    assert status_candidates_text("Acme", 3) == "3 deals match “Acme”."


def test_many_candidates_are_capped_with_and_n_more() -> None:
    candidates = [Candidate(f"006{i:012d}", HOSTILE * 20, "Closed Won", Decimal(i)) for i in range(250)]
    dicts = to_dicts(status_candidates_blocks(HOSTILE * 100, candidates))
    assert_within_limits(dicts)
    text = dicts[0]["text"]["text"]
    shown = text.count("\n• ")
    assert 0 < shown <= 10
    assert text.endswith(f"…and {250 - shown} more")
    assert "<!here>" not in text


def test_not_found_and_usage_texts_are_helpful_and_escaped() -> None:
    missing = status_not_found_text("<!channel> nope")
    assert "&lt;!channel&gt; nope" in missing and "<!channel>" not in missing
    assert "opportunity id" in missing and "invoice number" in missing
    usage = status_usage_text()
    assert "/invoice-status &lt;opportunity id | deal name | invoice number&gt;" in usage
    assert "<" not in usage


# ---------- invoice thread confirmation ----------

def make_confirmation(**changes: Any) -> InvoiceConfirmation:
    confirmation = InvoiceConfirmation(
        invoice_number="1037",
        invoice_id="130",
        qbo_url="https://app.sandbox.qbo.intuit.com/app/invoice?txnId=130",
        amount=Decimal("12500"),
        due_date=date(2026, 12, 26),
        customer_name="Acme Corp",
    )
    return replace(confirmation, **changes)


def test_invoice_confirmation_text_and_blocks() -> None:
    text = invoice_created_text(make_confirmation())
    assert text == (
        "🧾 Invoice <https://app.sandbox.qbo.intuit.com/app/invoice?txnId=130|1037> created in QuickBooks "
        "for Acme Corp: $12,500.00, due 26 Dec 2026."
    )
    dicts = to_dicts(invoice_created_blocks(make_confirmation()))
    assert [b["type"] for b in dicts] == ["section", "context"]
    assert dicts[0]["text"]["text"] == text
    assert "invoice id 130" in dicts[1]["elements"][0]["text"]


def test_invoice_confirmation_without_url_or_due_date_and_with_hostile_customer() -> None:
    text = invoice_created_text(make_confirmation(qbo_url=None, due_date=None, customer_name=HOSTILE * 100))
    assert text.startswith("🧾 Invoice 1037 created in QuickBooks for &lt;!here&gt;")
    assert "due" not in text and "<!here>" not in text and len(text) <= 3000
    assert_within_limits(to_dicts(invoice_created_blocks(make_confirmation(invoice_number="9" * 5000))))
    with pytest.raises(TypeError):
        invoice_created_text(make_confirmation(amount=12500.0))
