"""`ledgerbridge serve` as the README starts it (`ledgerbridge db upgrade`, then `ledgerbridge serve`), in its own
process, the three emulators in this one: a web and a worker OS process, acks within Slack's 3 s, the golden path
end to end, a worker killed with -9 replaced, and SIGTERM stopping everything.

The tests share one `serve` and run in file order; the last one stops it.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from app.sandbox.book import Book, Line
from app.sandbox.people import ANN, SAM
from app.sandbox.quickbooks.demo import DEMO_REALM_ID
from app.sandbox.slack.slack_side import SlackSide
from app.sandbox.split import child_environment
from app.sandbox.stack import SANDBOX_SIGNING_SECRET, Emulators, sandbox_settings, start_emulators
from app.slack.ids import ActionId, SlashCommand
from tests.e2e.conftest import eventually
from tests.test_commands import _free_port

CLI = [sys.executable, "-m", "app.cli"]
APPROVALS = "C05APPR0VAL"
WAIT = 60.0            # the worker polls Salesforce every 5 s and posts at Slack's pace, beside other tests


@dataclass
class Served:
    emulators: Emulators
    book: Book
    process: subprocess.Popen[bytes]
    url: str
    side: SlackSide
    log: Path

    def children(self) -> dict[str, int]:
        """`web` / `worker` -> pid, of the processes whose parent is serve."""
        found = {}
        for pid in _children_of(self.process.pid):
            words = _command_line(pid).split()
            if "app.cli" in words:
                found[words[words.index("app.cli") + 1]] = pid
        return found


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    home = tmp_path_factory.mktemp("serve")
    emulators = start_emulators()
    try:
        book = Book(emulators.salesforce)
        book.add_account("Globex Inc", Segment__c="SMB")
        for name in ("Globex - Expansion", "Globex - Second site"):
            book.add_deal(name, account="Globex Inc", owner_id=emulators.sf_user_ids["sam"],
                          lines=[Line("Annual Subscription", Decimal(2), discount=Decimal(25))])
        settings = sandbox_settings(emulators, database_url=f"sqlite:///{home / 'ledgerbridge.db'}",
                                    ledgerbridge_scheduler_enabled=True, ledgerbridge_poll_seconds=5)
        env = child_environment(settings)
        upgraded = subprocess.run(CLI + ["db", "upgrade"], env=env, cwd=home, capture_output=True, timeout=120)
        assert upgraded.returncode == 0, upgraded.stderr
        port, log = _free_port(), home / "serve.log"
        with log.open("wb") as output:
            process = subprocess.Popen(CLI + ["serve", "--port", str(port)], env=env, cwd=home, stdout=output,
                                       stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        side = SlackSide(emulators.slack, request_url=url + "/slack/events", signing_secret=SANDBOX_SIGNING_SECRET,
                         emulator_url=emulators.url("slack"))
        served = Served(emulators, book, process, url, side, log)
        try:
            eventually(lambda: _healthy(url), timeout=WAIT, what="serve to answer /healthz")
            yield served
        finally:
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=60)
    finally:
        emulators.stop()


def test_serve_runs_a_web_and_a_worker_process(served: Served):
    children = eventually(lambda: len(c := served.children()) == 2 and c, what="the two children")
    assert sorted(children) == ["web", "worker"]
    assert served.process.pid not in children.values()
    assert httpx.get(served.url + "/healthz", timeout=5).json() == {"status": "ok"}


def test_the_golden_path_through_serve(served: Served):
    """Approval request posted -> Approve -> invoice -> write-back -> confirmation in the thread."""
    request = eventually(lambda: _request_for(served, "Globex - Expansion"), timeout=WAIT, what="the approval request")
    assert _invoices(served) == []

    click = served.side.click_button(ANN.slack_id, APPROVALS, request.ts, ActionId.APPROVE)

    assert click.status_code == 200
    invoice = eventually(lambda: _invoices(served), timeout=WAIT, what="the invoice")[0]
    assert Decimal(str(invoice["TotalAmt"])) == Decimal("18000.00")
    deal_id = invoice["DocNumber"]
    written = eventually(lambda: (o := served.emulators.salesforce.record("Opportunity", deal_id))
                         and o.get("QBO_Invoice_Number__c") and o, timeout=WAIT, what="the write-back")
    assert written["QBO_Invoice_Id__c"] == invoice["Id"]
    eventually(lambda: "Approved" in json.dumps(served.emulators.slack.find_message(APPROVALS, request.ts).blocks),
               timeout=WAIT, what="the decision in the request's message")
    thread = eventually(lambda: [m for m in served.emulators.slack.messages(APPROVALS) if m.thread_ts == request.ts],
                        timeout=WAIT, what="the confirmation in the thread")
    assert invoice["DocNumber"] in thread[0].text


def test_a_signed_command_is_acked_within_three_seconds_and_answered_by_the_worker(served: Served):
    asked = served.side.send_slash_command(SAM.slack_id, SlashCommand.INVOICE_STATUS.value, "Globex - Expansion")
    assert asked.status_code == 200 and "Looking up" in asked.body
    answer = eventually(lambda: served.emulators.slack.responses(asked.payload["response_url"]), timeout=WAIT,
                        what="the /invoice-status answer")[-1]
    assert "Invoiced" in json.dumps(answer)


def test_a_worker_killed_with_minus_9_is_replaced_and_the_work_goes_on(served: Served):
    old = served.children()["worker"]
    os.kill(old, signal.SIGKILL)
    new = eventually(lambda: (pid := served.children().get("worker")) not in (None, old) and pid, timeout=WAIT,
                     what="a new worker")
    assert new != old and served.process.poll() is None
    request = eventually(lambda: _request_for(served, "Globex - Second site"), timeout=WAIT,
                         what="the second approval request")

    click = served.side.click_button(ANN.slack_id, APPROVALS, request.ts, ActionId.APPROVE)

    assert click.status_code == 200
    eventually(lambda: len(_invoices(served)) == 2, timeout=WAIT, what="the second invoice, from the new worker")


def test_sigterm_stops_serve_and_both_children(served: Served):
    children = served.children()
    assert sorted(children) == ["web", "worker"]

    served.process.send_signal(signal.SIGTERM)

    assert served.process.wait(timeout=60) == 0
    assert [pid for pid in children.values() if _alive(pid)] == []          # no orphan left behind
    output = served.log.read_text(errors="replace")
    assert "Traceback" not in output
    assert SANDBOX_SIGNING_SECRET not in output and "xoxb-" not in output


def _request_for(served: Served, deal_name: str):
    return next((m for m in served.emulators.slack.messages(APPROVALS)
                 if not m.thread_ts and m.text.startswith("Approval needed") and deal_name in m.text), None)


def _invoices(served: Served) -> list[dict]:
    return list(served.emulators.quickbooks.objects(DEMO_REALM_ID, "Invoice"))


def _healthy(url: str) -> bool:
    try:
        return httpx.get(url + "/healthz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def _children_of(parent: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:                     # gone meanwhile
                continue
            if int(fields[1]) == parent and fields[0] != "Z":
                children.append(int(entry.name))
    return children


def _command_line(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
