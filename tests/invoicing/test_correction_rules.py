"""Corrections (pure): the value of a proposal against the invoice, the approver the amount bands name, keys."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from app.integrations.quickbooks_models import QboInvoice, QboInvoiceLine
from app.invoicing.correction_models import CorrectionKind
from app.invoicing.correction_rules import (
    Proposal,
    ProposalRefused,
    doc_number_for,
    idempotency_key_for,
    value_proposal,
)
from app.policy import load_policy, policy_from_data

EXAMPLE = Path(__file__).resolve().parents[2] / "policy.example.yaml"
POLICY = load_policy(EXAMPLE)
INVOICE = QboInvoice(id="7", doc_number="1042", sync_token="0", customer_id="1", total=Decimal("1090.00"),
                     balance=Decimal("1090.00"), due_date=date(2025, 1, 31), txn_date=date(2025, 1, 1), terms_id=None,
                     status="Open", total_tax=Decimal("90.00"),
                     lines=(QboInvoiceLine("1", "Subscription", Decimal(1), Decimal("600"), Decimal("600.00"), "TAX"),
                            QboInvoiceLine("2", "Support", Decimal(1), Decimal("400"), Decimal("400.00"), "TAX")))


def propose(**fields: object) -> Proposal:
    return Proposal(**{"kind": CorrectionKind.CREDIT_MEMO, "reason": "Support never delivered",
                       "root_cause": "rep_data_entry", **fields})


def test_a_line_credit_is_its_lines_net_with_the_tax_share_estimated() -> None:
    valued = value_proposal(propose(line_indexes=(1,)), INVOICE, POLICY)
    assert valued.amount == Decimal("400.00") and valued.estimate == Decimal("436.00")
    assert valued.lines == ({"index": 1, "label": "Support", "amount": "400.00"},)


def test_an_amount_credit_and_a_write_off_are_bounded_by_the_open_balance() -> None:
    assert value_proposal(propose(amount=Decimal("250")), INVOICE, POLICY).amount == Decimal("250.00")
    assert value_proposal(propose(kind=CorrectionKind.WRITE_OFF), INVOICE, POLICY).amount == Decimal("1090.00")
    with pytest.raises(ProposalRefused, match="more than the invoice's open balance"):
        value_proposal(propose(amount=Decimal("2000")), INVOICE, POLICY)
    paid = INVOICE.__class__(**{**INVOICE.__dict__, "balance": Decimal("0.00")})
    with pytest.raises(ProposalRefused, match="no open balance"):
        value_proposal(propose(kind=CorrectionKind.WRITE_OFF), paid, POLICY)


@pytest.mark.parametrize(("fields", "complaint"), [
    ({"reason": "no"}, "reason of at least"),
    ({"root_cause": "astrology"}, "root cause"),
    ({"line_indexes": (5,)}, "open it again"),
    ({"amount": Decimal("-1")}, "more than zero"),
])
def test_a_proposal_that_cannot_stand_is_refused_with_the_reason(fields: dict, complaint: str) -> None:
    with pytest.raises(ProposalRefused, match=complaint):
        value_proposal(propose(**fields), INVOICE, POLICY)


def test_the_highest_amount_band_crossed_names_the_approver() -> None:
    corrections = POLICY.corrections
    assert corrections is not None
    assert corrections.role_for("credit_memo", Decimal("100")) == ("finance_approver", 1)
    assert corrections.role_for("credit_memo", Decimal("5000.01")) == ("controller", 2)
    assert corrections.role_for("write_off", Decimal("0.01")) == ("controller", 1)
    assert corrections.role_for("write_off", Decimal("25000")) == ("cfo", 2)


@pytest.mark.parametrize(("bands", "complaint"), [
    ([{"above": 100, "role": "finance_approver"}], "first band must start at 0"),
    ([{"above": 0, "role": "finance_approver"}, {"above": 0, "role": "cfo"}], "smallest amount to the largest"),
    ([{"above": 0, "role": "ceo"}], "unknown role 'ceo'"),
])
def test_bands_must_start_at_zero_increase_and_name_known_roles(bands: list, complaint: str) -> None:
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    data["corrections"]["credit_memo_levels"] = bands
    policy, problems = policy_from_data(data)
    assert policy is None and any(complaint in str(problem) for problem in problems), problems
    assert all(str(problem).startswith("corrections.credit_memo_levels") for problem in problems)


def test_keys_fit_quickbooks_limits() -> None:
    assert doc_number_for("006Lb000000000EIAQ", 12) == "006Lb000000000E-C12"
    assert len(doc_number_for("0" * 18, 999)) <= 21
    assert len(idempotency_key_for("006Lb000000000EIAQ", 9999)) + len("-a") <= 50
