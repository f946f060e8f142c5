"""The pure rules behind `check --live` and `readiness`, without I/O: customer matching, mapping gaps, the
custom-field verdicts, the date windows, completeness, the tables and the Slack message."""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

from app.golive.customer_matches import address_key, email_domain, match_customers, website_domain
from app.golive.mapping_gaps import mapping_gaps
from app.golive.readiness import estimate_exceptions, months_before, window
from app.golive.readiness_deals import ReadDeal, completeness
from app.golive.readiness_render import as_csv, text_table
from app.golive.readiness_sections import Section, Table
from app.golive.salesforce_check import field_findings
from app.golive.slack_check import policy_channels
from app.integrations.quickbooks_models import QboAddress, QboCustomer, QboItem, QboTerm
from app.integrations.salesforce_fields import CUSTOM_FIELDS
from app.integrations.salesforce_models import SfAccount, SfFieldDescription, SfObjectDescription
from app.policy import load_policy
from app.slack.blocks.readiness import MAX_TABLE_ROWS, readiness_blocks
from tests.deals.test_gate_rules import ACCOUNT, DEAL

POLICY = load_policy(Path(__file__).resolve().parents[2] / "policy.example.yaml")


def customer(name: str, *, email: str | None = None, street: str | None = None,
             postal: str | None = None) -> QboCustomer:
    address = QboAddress(line1=street, postal_code=postal) if street or postal else None
    return QboCustomer(id=name, display_name=name, sync_token="0", email=email, billing_address=address)


def test_domains_and_addresses_are_normalised() -> None:
    assert website_domain("https://www.Acme.com/about") == website_domain("acme.com") == "acme.com"
    assert website_domain("https://gmail.com") is None and website_domain("  ") is None
    assert email_domain("AP@Acme.com") == "acme.com" and email_domain("someone@gmail.com") is None
    assert address_key("25 Court Street, Suite 4", "85 719") == address_key("25 court st. ste 4", "85719")
    assert address_key("25 Court Street", None) is None


def test_exact_look_alike_and_shared_customers() -> None:
    accounts = [SfAccount(id="1", name="Acme Corporation"), SfAccount(id="2", name="ACME corp"),
                SfAccount(id="3", name="Hooli", website="hooli.xyz"),
                SfAccount(id="4", name="Pied Piper", billing_street="5230 Newell Road", billing_postal_code="94303"),
                SfAccount(id="1", name="Acme Corporation"), SfAccount(id="5", name=None)]
    customers = [customer("acme corporation"), customer("Hooli XYZ Inc", email="ar@hooli.xyz"),
                 customer("PP Holdings", street="5230 Newell Rd", postal="94303")]
    found = match_customers(accounts, customers)
    assert found.accounts == 4 and found.exact == {"1"}
    assert found.without_customer == ("ACME corp", "Hooli", "Pied Piper")
    assert [(m.account, m.customer, m.reasons) for m in found.look_alikes] == [
        ("ACME corp", "acme corporation", ("name",)), ("Hooli", "Hooli XYZ Inc", ("email domain",)),
        ("Pied Piper", "PP Holdings", ("billing address",))]
    assert found.shared == (("acme corporation", ("ACME corp", "Acme Corporation")),)
    # only a name look-alike stops customer creation (check_new_customer); the others are listed, not exceptions
    assert found.duplicates_for("ACME corp") and not found.duplicates_for("Acme Corporation")
    assert not found.duplicates_for("Hooli") and not found.duplicates_for("Pied Piper")


def test_mapping_gaps_name_missing_and_inactive_targets_once() -> None:
    items = [QboItem("1", "consulting"), QboItem("2", "Support - Premium", active=False),
             QboItem("3", "Subscription - Annual"), QboItem("4", "Subscription - Annual", active=True)]
    terms = [QboTerm(str(n), name) for n, name in enumerate(("Due on receipt", "Net 15", "Net 30", "Net 60"))]
    gaps = mapping_gaps(POLICY, items, terms)
    assert [(g.kind, g.quickbooks_name, g.salesforce_names, g.state) for g in gaps] == [
        ("item", "Implementation Services", ("Implementation", "IMPL-STD"), "missing"),
        ("item", "Support - Premium", ("Support Plan", "SUP-PREM"), "inactive"),
        ("term", "Net 90", ("Net 90",), "missing")]
    assert gaps[0].policy_key == "mappings.products" and gaps[2].policy_key == "mappings.payment_terms"


def _describe(sobject: str, **changes: tuple[str, bool] | None) -> SfObjectDescription:
    fields = []
    for field in (f for f in CUSTOM_FIELDS if f.sobject == sobject):
        if field.name in changes and changes[field.name] is None:
            continue
        kind, updateable = changes.get(field.name) or (field.types[0], True)
        fields.append(SfFieldDescription(field.name, kind, updateable, updateable, custom=True))
    return SfObjectDescription(sobject, queryable=True, updateable=True, fields=tuple(fields))


def test_custom_field_verdicts() -> None:
    fine = {"Opportunity": _describe("Opportunity"), "Account": _describe("Account")}
    (only,) = field_findings(CUSTOM_FIELDS, fine)
    assert only.ok and only.summary.startswith("11 custom fields exist")
    broken = {"Opportunity": _describe("Opportunity", QBO_Balance__c=("string", True), PO_Number__c=None,
                                       QBO_Last_Sync__c=("datetime", False), Payment_Terms__c=("picklist", False)),
              "Account": _describe("Account", Tax_Exempt__c=("picklist", True))}
    summaries = [finding.summary for finding in field_findings(CUSTOM_FIELDS, broken)]
    assert summaries == [
        "Opportunity.PO_Number__c is missing, or the integration user cannot read it",
        "Opportunity.QBO_Balance__c is a Text field; Ledgerbridge needs Currency or Number",
        "the integration user may read Opportunity.QBO_Last_Sync__c but not edit it, so invoice write-back would fail",
        "Account.Tax_Exempt__c is a Picklist field; Ledgerbridge needs Checkbox"]     # read-only Payment_Terms__c: fine


def test_policy_channels_name_every_key_that_points_at_a_channel() -> None:
    assert policy_channels(POLICY) == {"C05APPR0VAL": ["channels.approvals"], "C05EXCEPT10N": ["channels.exceptions"],
                                       "C05D1GESTFIN": ["channels.digest"]}


def test_month_arithmetic_and_the_report_window() -> None:
    assert months_before(date(2026, 3, 31), 1) == date(2026, 2, 28)
    assert months_before(date(2024, 3, 31), 1) == date(2024, 2, 29)
    assert months_before(date(2026, 1, 15), 3) == date(2025, 10, 15)
    when = window(date(2026, 3, 10), 1)
    assert when.won_since == date(2026, 2, 10) and when.last_month == (date(2026, 2, 1), date(2026, 2, 28))
    assert when.read_since == date(2026, 2, 1)


def test_completeness_judges_deals_as_if_won_and_eligible() -> None:
    open_deal = replace(DEAL, opportunity_id="2", is_won=False, stage="Negotiation", billing_status=None,
                        payment_terms=None)
    deals = [ReadDeal(DEAL, "Ann", "Enterprise"), ReadDeal(open_deal, "Ann", "Enterprise"),
             ReadDeal(replace(DEAL, opportunity_id="3", po_number=" "), "Bob", "Enterprise")]
    result = completeness("all", deals, POLICY)
    assert (result.deals, result.complete) == (3, 1)
    by_field = {gap.field: (gap.deals, gap.missing) for gap in result.fields}
    assert by_field["payment_terms"] == (1, 1) and by_field["po_number"] == (1, 1) and by_field["amount"] == (0, 0)
    # as many incomplete deals each: the larger share first
    assert [(o.name, o.incomplete, o.total) for o in result.owners] == [("Bob", 1, 1), ("Ann", 1, 2)]


def test_tables_align_numbers_right_and_csv_is_long_format() -> None:
    table = Table("T", ("Name", "Deals", "Share"), (("Acme", "12", "50%"), ("Globex Inc", "3", "-")))
    assert text_table(table) == ["  Name        Deals  Share", "  ----------  -----  -----",
                                 "  Acme           12    50%", "  Globex Inc      3      -"]
    assert text_table(Table("E", ("A",), ())) == ["  (none)"]
    csv_text = as_csv([Section("S", ("a note",), (table,))])
    assert csv_text.splitlines()[:3] == ["section,table,subject,measure,value", "S,,,note,a note", "S,T,Acme,Deals,12"]


def test_the_slack_message_cuts_long_tables_and_keeps_within_block_kit_limits() -> None:
    rows = tuple((f"Account {n}", str(n)) for n in range(40))
    blocks = readiness_blocks("Readiness", [Section("Customers", ("note",), (Table("Many", ("A", "N"), rows),))] * 30)
    assert len(blocks) <= 50
    text = blocks[3].to_dict()["text"]["text"]        # header, divider, the notes, then the table
    assert f"Account {MAX_TABLE_ROWS - 1} " in text and f"Account {MAX_TABLE_ROWS} " not in text
    assert f"... and {40 - MAX_TABLE_ROWS} more" in text and len(text) <= 3000


def test_total_weeks_are_never_zero() -> None:
    assert window(date(2026, 3, 10), 1).weeks == Decimal(28) / 7


def test_exceptions_to_expect_are_those_the_product_would_open() -> None:
    """Invoicing opens an inactive or missing mapped item as unmapped_product and a term as unmapped_terms (the
    name look-ups skip inactive entries); a customer alike by email domain or address is created, not refused."""
    items = [QboItem("1", "Subscription - Annual", active=False), QboItem("2", "Support - Premium"),
             QboItem("3", "Consulting"), QboItem("4", "Implementation Services")]
    terms = [QboTerm("1", "Net 30", active=False), *(QboTerm(str(n), name) for n, name in
                                                     enumerate(("Due on receipt", "Net 15", "Net 60", "Net 90"), 2))]
    accounts = {"Globex": SfAccount(id="2", name="Globex", website="globex.example"),
                "ACME corp": SfAccount(id="3", name="ACME corp")}
    matches = match_customers(list(accounts.values()), [customer("Acme Corporation, Inc."),
                                                        customer("Globe Trade", email="ap@globex.example")])
    won = [ReadDeal(replace(DEAL, opportunity_id=str(n), account=replace(ACCOUNT, name=name, has_qbo_customer=False)),
                    "Ann", "Enterprise") for n, name in enumerate(accounts)]
    when = window(date(2026, 3, 10), 1)
    estimate = estimate_exceptions(won, POLICY, matches, mapping_gaps(POLICY, items, terms), when)
    assert dict(estimate.by_kind) == {"unmapped_product": 2, "unmapped_terms": 2, "duplicate_customer": 1}
    assert estimate.total == 5
