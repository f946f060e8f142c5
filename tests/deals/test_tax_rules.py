"""Tax treatment by policy (pure): line codes per model, regions, exemptions, and every missing mapping named."""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from app.deals.facts import AccountFacts, DealFacts, LineFacts
from app.deals.regions import Region, country_code, ship_to_region, subdivision_code
from app.deals.rules import GateStatus, evaluate_gate
from app.deals.tax import customer_tax, tax_treatment
from app.policy import ExceptionKind, Policy, TaxModel, TaxPolicy, policy_from_data

EXAMPLE = Path(__file__).resolve().parents[2] / "policy.example.yaml"


def policy_with_tax(tax: dict | None) -> Policy:
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    data.pop("tax", None)
    if tax is not None:
        data["tax"] = tax
    policy, problems = policy_from_data(data)
    assert problems == [] and policy is not None, problems
    return policy


def line(name: str, code: str, total: str = "100.00") -> LineFacts:
    return LineFacts(product_name=name, product_code=code, quantity=Decimal(1), unit_price=Decimal(total),
                     discount_percent=None, total_price=Decimal(total))


ACCOUNT = AccountFacts(account_id="001A000001", name="Acme UK", billing_street="1 High St", billing_city="London",
                       billing_postal_code="EC1A 1BB", billing_country="United Kingdom", tax_exempt=False,
                       has_qbo_customer=True)
DEAL = DealFacts(opportunity_id="006A000001", name="Acme renewal", stage="Closed Won", is_won=True,
                 billing_status="Delivered", amount=Decimal("200.00"), close_date=date(2025, 3, 31),
                 payment_terms="Net 30", owner_email="rep@seller.example", account=ACCOUNT,
                 lines=(line("Annual Subscription", "SUB-ANN"), line("Training", "TRAIN")))
VAT = {"model": "global", "calculation": "inclusive", "default_category": "standard",
       "product_categories": {"TRAIN": "exempt"},
       "codes": {"GB": {"standard": "20.0% S", "exempt": "Exempt"}, "CA-ON": {"standard": "HST ON"}}}


def test_regions_read_free_text_countries_and_states() -> None:
    assert country_code("United States") == country_code("usa") == "US" and country_code(" U.K. ") == "GB"
    assert subdivision_code("US", "California") == subdivision_code("US", "ca") == "CA"
    assert subdivision_code("CA", "Ontario") == "ON" and country_code("Narnia") == "NARNIA"
    shipped = replace(ACCOUNT, shipping_country="Canada", shipping_state="Ontario")
    assert ship_to_region(shipped) == Region("CA", "ON") and Region("CA", "ON").keys == ("CA-ON", "CA")
    assert ship_to_region(ACCOUNT) == Region("GB", None) and ship_to_region(replace(ACCOUNT, billing_country=None)) \
        is None


def test_vat_codes_per_region_and_category_and_the_calculation() -> None:
    tax = policy_with_tax(VAT).tax
    assert tax is not None
    treatment = tax_treatment(DEAL, tax)
    assert treatment.line_codes == ("20.0% S", "Exempt") and treatment.calculation == "TaxInclusive"
    assert treatment.problems == ()
    ontario = tax_treatment(replace(DEAL, account=replace(ACCOUNT, billing_country="Canada",
                                                          billing_state="ON")), tax)
    assert ontario.line_codes == ("HST ON", "") and [p.code for p in ontario.problems] == ["unmapped_tax:CA-ON:exempt"]
    assert "tax.codes.CA-ON.exempt" in ontario.problems[0].message and "Training" in ontario.problems[0].message


def test_an_unmapped_region_blocks_the_gate_with_an_unmapped_tax_exception_naming_it() -> None:
    policy = policy_with_tax(VAT)
    germany = replace(DEAL, account=replace(ACCOUNT, billing_country="Germany"))
    result = evaluate_gate(germany, policy)
    assert result.status is GateStatus.INVALID
    tax_problems = [p for p in result.problems if p.field == "tax"]
    assert [p.code for p in tax_problems] == ["unmapped_tax:DE:standard", "unmapped_tax:DE:exempt"]
    assert {p.kind for p in tax_problems} == {ExceptionKind.UNMAPPED_TAX}
    assert "tax.codes.DE.standard" in tax_problems[0].message
    nowhere = evaluate_gate(replace(DEAL, account=replace(ACCOUNT, billing_country=None)), policy)
    assert "missing_field:tax_region" in [p.code for p in nowhere.problems]
    assert [p for p in evaluate_gate(DEAL, policy).problems if p.field == "tax"] == []


def test_us_automated_marks_lines_tax_or_non_and_needs_no_codes() -> None:
    tax = TaxPolicy(model=TaxModel.US_AUTOMATED, product_categories={"TRAIN": "non_taxable"})
    us = replace(DEAL, account=replace(ACCOUNT, billing_country="US", billing_state="CA"))
    assert tax_treatment(us, tax).line_codes == ("TAX", "NON")
    assert tax_treatment(replace(us, account=replace(us.account, billing_country=None)), tax).problems == ()


def test_us_manual_takes_one_code_per_invoice_by_region() -> None:
    tax = TaxPolicy(model=TaxModel.US_MANUAL, product_categories={"TRAIN": "non_taxable"},
                    codes={"US-CA": {"taxable": "California"}, "US": {"taxable": "Out of state"}})
    california = replace(DEAL, account=replace(ACCOUNT, billing_country="USA", billing_state="California"))
    treatment = tax_treatment(california, tax)
    assert treatment.line_codes == ("TAX", "NON") and treatment.transaction_code == "California"
    texas = replace(DEAL, account=replace(ACCOUNT, billing_country="USA", billing_state="TX"))
    assert tax_treatment(texas, tax).transaction_code == "Out of state"


def test_every_line_of_an_exempt_account_is_non_taxable_in_the_us() -> None:
    exempt = replace(DEAL, account=replace(ACCOUNT, billing_country="USA", billing_state="CA", tax_exempt=True))
    automated = tax_treatment(exempt, TaxPolicy(model=TaxModel.US_AUTOMATED))
    assert set(automated.line_codes) == {"NON"}
    manual = tax_treatment(exempt, TaxPolicy(model=TaxModel.US_MANUAL, codes={"US": {"taxable": "State"}}))
    assert set(manual.line_codes) == {"NON"} and manual.transaction_code is None


def test_an_exempt_account_carries_its_reason_and_resale_number() -> None:
    tax = TaxPolicy(model=TaxModel.US_AUTOMATED, exemption_reasons={"Resale": 9})
    exempt = replace(ACCOUNT, tax_exempt=True, tax_exemption_reason="resale", resale_number="R-77")
    assert customer_tax(exempt, tax) == customer_tax(exempt, tax)
    assert (customer_tax(exempt, tax).taxable, customer_tax(exempt, tax).exemption_reason_id,
            customer_tax(exempt, tax).resale_number) == (False, 9, "R-77")
    assert customer_tax(ACCOUNT, tax).taxable is True
    unknown = replace(exempt, tax_exemption_reason="Diplomat")
    problems = tax_treatment(replace(DEAL, account=unknown), tax).problems
    assert [p.code for p in problems] == ["unmapped_tax:exemption:Diplomat"]


@pytest.mark.parametrize(("tax", "complaint"), [
    ({"model": "us_automated", "codes": {"US": {"taxable": "X"}}}, "leave 'codes' out"),
    ({"model": "us_automated", "calculation": "inclusive"}, "needs model 'global'"),
    ({"model": "global"}, "needs 'codes'"),
    ({"model": "global", "codes": {"United Kingdom": {"standard": "20.0% S"}}}, "is not a region"),
    ({"model": "us_automated", "exemption_reasons": {"Resale": 99}}, "less than or equal to 15"),
])
def test_a_tax_policy_that_cannot_work_is_refused_with_its_path(tax: dict, complaint: str) -> None:
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    data["tax"] = tax
    policy, problems = policy_from_data(data)
    assert policy is None and any(complaint in str(problem) for problem in problems), problems
    assert all(str(problem).startswith("tax") for problem in problems)
