"""`ledgerbridge readiness` on seeded emulator data with known answers: completeness per field and offenders,
customers (exact, look-alike by name, email domain and address, shared), unmapped products and terms, mappings
to inactive QuickBooks entries, last month's approvals per role, and the exceptions to expect. Reads only."""
from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from app.cli import main
from app.db_migrate import upgrade
from app.golive.readiness import months_before, window
from app.integrations.call_outcomes import OUTCOMES
from app.sandbox.book import Book, Line
from app.sandbox.quickbooks.demo import DEMO_REALM_ID
from app.sandbox.stack import DEMO_POLICY, Emulators, sandbox_settings, settings_environment, start_emulators

ONE = Decimal(1)
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def forget_vendor_outcomes() -> Iterator[None]:
    """The vendor failures these checks provoke are noted per process (for /readyz): leave none to other tests."""
    yield
    OUTCOMES.clear()


@pytest.fixture(scope="module")
def today() -> date:
    return datetime.now(ZoneInfo("America/New_York")).date()        # the demo policy's time zone


@pytest.fixture(scope="module")
def seeded(today: date) -> Iterator[Emulators]:
    emulators = start_emulators()
    book, owners = Book(emulators.salesforce), emulators.sf_user_ids
    sam, bob = owners["sam"], owners["bob"]
    book.add_account("Acme Corporation")                                            # exact match in QuickBooks
    book.add_account("ACME Corp.")                                                  # look-alike by name
    book.add_account("Globex Holdings", Website="https://www.globex.example/about", Segment__c="Enterprise")
    book.add_account("Initrode", BillingStreet="25 Court Street", BillingPostalCode="85719")   # Initech's address
    book.add_account("Northwind Traders")                                           # nothing alike
    last_month = window(today, 3).last_month[0] + timedelta(days=1)
    won = {"CloseDate": last_month}
    book.add_deal("Acme - complete", account="Acme Corporation", owner_id=sam, lines=[Line("Support Plan", ONE)], **won)
    book.add_deal("Acme - 25% off", account="Acme Corporation", owner_id=sam,
                  lines=[Line("Annual Subscription", ONE, discount=Decimal(25))], **won)
    book.add_deal("ACME Corp - Net 90", account="ACME Corp.", owner_id=sam, lines=[Line("Implementation", ONE)],
                  Payment_Terms__c="Net 90", **won)
    book.add_deal("Northwind - hardware", account="Northwind Traders", owner_id=sam,
                  lines=[Line("Hardware Bundle", ONE)], **won)
    book.add_deal("Initrode - no terms", account="Initrode", owner_id=bob, lines=[Line("Consulting Services", ONE)],
                  Payment_Terms__c=None, **won)
    book.add_deal("Globex Holdings - no PO", account="Globex Holdings", owner_id=sam,
                  lines=[Line("Implementation", ONE)], **won)
    pipeline = {"StageName": "Negotiation", "Billing_Status__c": None, "CloseDate": today + timedelta(days=30)}
    book.add_deal("Pipeline - complete", account="Acme Corporation", owner_id=sam,
                  lines=[Line("Support Plan", ONE)], **pipeline)
    book.add_deal("Pipeline - Net 45", account="Acme Corporation", owner_id=sam,
                  lines=[Line("Support Plan", ONE)], **{**pipeline, "Payment_Terms__c": "Net 45"})
    book.add_deal("Acme - old win", account="Acme Corporation", owner_id=sam, lines=[Line("Hardware Bundle", ONE)],
                  CloseDate=months_before(today, 5))
    book.add_deal("Lost", account="Northwind Traders", owner_id=sam, lines=[Line("Hardware Bundle", ONE)],
                  StageName="Closed Lost")
    emulators.quickbooks.deactivate(DEMO_REALM_ID, "Item", "Support Plan")
    emulators.quickbooks.deactivate(DEMO_REALM_ID, "Term", "Net 60")
    yield emulators
    emulators.stop()


def operator_env(emulators: Emulators, folder: Path) -> dict[str, str]:
    """The settings an operator would export, with a migrated database in `folder`."""
    database = f"sqlite:///{folder / 'lb.db'}"
    upgrade(database)
    return settings_environment(sandbox_settings(emulators, database_url=database), base=dict(os.environ))


@pytest.fixture(scope="module")
def report(seeded: Emulators, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """The command as an operator runs it, once for the module: its own process, settings from the environment."""
    folder = tmp_path_factory.mktemp("readiness")
    done = subprocess.run([sys.executable, "-m", "app.cli", "readiness", "--policy", str(DEMO_POLICY),
                           "--csv", "ready.csv", "--html", "ready.html", "--slack", "C05D1GESTFIN"],
                          env={**operator_env(seeded, folder), "PYTHONPATH": str(ROOT)}, cwd=folder,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO((folder / "ready.csv").read_text(encoding="utf-8"))))
    return {"out": done.stdout, "err": done.stderr, "rows": rows,
            "html": (folder / "ready.html").read_text(encoding="utf-8")}


def cell(report: dict[str, object], section: str, table: str, subject: str, measure: str) -> str:
    found = [row["value"] for row in report["rows"] if row["section"].startswith(section)  # type: ignore[attr-defined]
             and row["table"].startswith(table) and row["subject"] == subject and row["measure"] == measure]
    assert len(found) == 1, (section, table, subject, measure, found)
    return found[0]


def subjects(report: dict[str, object], section: str, table: str) -> list[str]:
    return list(dict.fromkeys(row["subject"] for row in report["rows"]  # type: ignore[attr-defined]
                              if row["section"].startswith(section) and row["table"].startswith(table)))


def notes(report: dict[str, object], section: str) -> list[str]:
    return [row["value"] for row in report["rows"]  # type: ignore[attr-defined]
            if row["section"].startswith(section) and row["measure"] == "note"]


def test_billable_completeness_per_field_with_the_worst_owners_and_segments(report: dict[str, object]) -> None:
    won = "Billable completeness: won in the last 3 months"
    assert notes(report, won) == ["6 deals, 3 complete (50%): the others would stop at the billing gate."]
    per_field = "Deals with a problem"
    assert [cell(report, won, per_field, field, "Deals") for field in ("line_items", "payment_terms", "po_number",
                                                                      "amount")] == ["1", "1", "1", "0"]
    assert cell(report, won, per_field, "line_items", "Unmapped") == "1"
    assert cell(report, won, per_field, "payment_terms", "Missing") == "1"
    assert cell(report, won, per_field, "po_number", "Missing") == "1"
    assert subjects(report, won, "Worst offenders by owner") == ["Sam Seller", "Bob Fisher"]
    assert cell(report, won, "Worst offenders by owner", "Sam Seller", "Incomplete") == "2"
    assert cell(report, won, "Worst offenders by owner", "Sam Seller", "Deals") == "5"
    assert subjects(report, won, "Worst offenders by segment") == ["SMB", "Enterprise"]
    pipeline = "Billable completeness: open pipeline"
    assert notes(report, pipeline) == ["2 deals, 1 complete (50%): the others would stop at the billing gate."]
    assert cell(report, pipeline, per_field, "payment_terms", "Unmapped") == "1"


def test_customers_exact_look_alike_and_shared(report: dict[str, object]) -> None:
    assert notes(report, "Customers") == ["5 accounts on the deals read; 1 have a QuickBooks customer of the same "
                                          "name, 4 have none (a new customer each, from the account)."]
    assert subjects(report, "Customers", "Accounts with no QuickBooks customer") == \
        ["ACME Corp.", "Globex Holdings", "Initrode", "Northwind Traders"]
    alike = "Look-alike matches"
    assert cell(report, "Customers", alike, "ACME Corp.", "QuickBooks customer") == "Acme Corporation"
    assert cell(report, "Customers", alike, "ACME Corp.", "Alike by") == "name"
    assert cell(report, "Customers", alike, "Globex Holdings", "Alike by") == "email domain"
    assert cell(report, "Customers", alike, "Initrode", "Alike by") == "billing address"
    assert subjects(report, "Customers", alike) == ["ACME Corp.", "Globex Holdings", "Initrode"]
    assert cell(report, "Customers", "QuickBooks customers two accounts", "Acme Corporation", "Accounts") == \
        "ACME Corp., Acme Corporation"


def test_unmapped_products_and_terms_and_inactive_mappings(report: dict[str, object]) -> None:
    section = "Products and payment terms"
    assert subjects(report, section, "Products used") == ["Hardware Bundle (HW-BUNDLE)"]     # not the old win's
    assert cell(report, section, "Products used", "Hardware Bundle (HW-BUNDLE)", "Deals") == "1"
    assert subjects(report, section, "Payment terms used") == ["Net 45"]
    gaps = "Mappings to missing or inactive"
    assert subjects(report, section, gaps) == ["item", "term"]
    assert cell(report, section, gaps, "item", "QuickBooks name") == "Support Plan"
    assert cell(report, section, gaps, "item", "Mapped from") == "Support Plan, SUPPORT"
    assert cell(report, section, gaps, "term", "State") == "inactive"


def test_last_months_approvals_per_role(report: dict[str, object]) -> None:
    section = "Approvals last month"
    assert notes(report, section)[0].startswith("6 deals won ")
    assert cell(report, section, "Approvals per role", "Controller", "Approvals") == "4"
    assert cell(report, section, "Approvals per role", "Controller", "For") == "customer_activation 4"
    assert cell(report, section, "Approvals per role", "Finance approver", "For") == "discount 1, payment_terms 1"
    assert cell(report, section, "Approvals per role", "CFO", "Approvals") == "0"


def test_exceptions_to_expect_per_week(report: dict[str, object], today: date) -> None:
    section = "Exceptions to expect"
    by_kind = {kind: cell(report, section, "Exceptions by kind", kind, "Exceptions")
               for kind in subjects(report, section, "Exceptions by kind")}
    # ACME Corp. is refused as a duplicate (a name look-alike); Globex Holdings and Initrode, alike only by email
    # domain and address, are created. The inactive Support Plan is opened as an unmapped product, like the
    # Hardware Bundle no mapping names.
    assert by_kind == {"duplicate_customer": "1", "missing_field": "2", "unmapped_product": "2"}
    weeks = Decimal((today - months_before(today, 3)).days) / 7
    per_week = (Decimal(5) / weeks).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    assert notes(report, section)[0].startswith(f"About {per_week} exceptions a week: 5 from the deals won since")


def test_the_same_report_in_the_terminal_html_and_slack(report: dict[str, object], seeded: Emulators) -> None:
    assert "Reading Salesforce [" in str(report["err"]) and "8/8 100%" in str(report["err"])
    out = str(report["out"])
    assert out.startswith("Ledgerbridge data readiness, ")
    assert "  ACME Corp.       Acme Corporation     name\n" in out
    assert "  Northwind Traders  -\n" in out          # text columns stay left-aligned
    html = str(report["html"])
    assert html.startswith("<!doctype html>") and "<caption>Look-alike matches</caption>" in html
    assert "<td>Initrode</td><td>Initech LLC</td><td>billing address</td>" in html
    (posted,) = seeded.slack.messages("C05D1GESTFIN")
    assert posted.text.startswith("Ledgerbridge data readiness, ")
    texts = [block["text"]["text"] for block in posted.blocks if block.get("type") == "section"]
    assert any("Look-alike matches" in text and "Initrode" in text for text in texts)


def test_readiness_only_reads(report: dict[str, object], seeded: Emulators) -> None:
    salesforce_writes = [call for call in seeded.salesforce.calls() if call.method != "GET"]
    assert salesforce_writes == []
    quickbooks_writes = [call for call in seeded.quickbooks.calls if call.method == "POST"
                         and "/v3/company/" in call.path and not call.path.endswith("/query")]
    assert quickbooks_writes == []
    assert len(seeded.quickbooks.objects(DEMO_REALM_ID, "Customer")) == 3


def test_bad_months_and_an_unmigrated_database_are_refused(seeded: Emulators, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in operator_env(seeded, tmp_path).items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    assert main(["readiness", "--policy", str(DEMO_POLICY), "--months", "0"]) == 2
    assert "--months must be 1..24" in capsys.readouterr().err
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'none.db'}")
    assert main(["readiness", "--policy", str(DEMO_POLICY)]) == 2
    assert "run `ledgerbridge db upgrade` first" in capsys.readouterr().err
    assert not (tmp_path / "none.db").exists()


def test_a_report_file_that_cannot_be_written_is_refused_before_any_read(
        seeded: Emulators, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in operator_env(seeded, tmp_path).items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    reads_before = len(seeded.salesforce.calls())
    for option, target, reason in (("--csv", tmp_path / "no-such-folder" / "r.csv", "does not exist"),
                                   ("--html", tmp_path, "it is a folder")):
        assert main(["readiness", "--policy", str(DEMO_POLICY), option, str(target)]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"ledgerbridge readiness: cannot write the report to {target}: ") and reason in err
        assert "Traceback" not in err and len(err.splitlines()) == 1
    assert len(seeded.salesforce.calls()) == reads_before         # refused before reading anything


def test_a_channel_the_bot_cannot_post_in_is_one_line_with_its_fix(
        seeded: Emulators, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in operator_env(seeded, tmp_path).items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    seeded.slack.add_channel("C0NOBOT01", "ar-team", bot_member=False)
    assert main(["readiness", "--policy", str(DEMO_POLICY), "--slack", "C0NOBOT01"]) == 1
    captured = capsys.readouterr()
    assert captured.out.startswith("Ledgerbridge data readiness, ")          # the report itself is printed
    (line,) = [line for line in captured.err.splitlines() if line.startswith("ledgerbridge readiness:")]
    assert line == ("ledgerbridge readiness: cannot post to Slack channel C0NOBOT01 (not_in_channel): check the id "
                    "(channel details > About, at the bottom) and invite the bot there (/invite @Ledgerbridge)")
