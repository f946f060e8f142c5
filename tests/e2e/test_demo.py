"""`ledgerbridge demo` as the README starts it: an approval request, an approval, the invoice in QuickBooks."""
from __future__ import annotations

import sqlite3
import subprocess
import sys


def test_the_demo_walkthrough_takes_an_approval_and_creates_the_invoice(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", "demo", "--exit-after-walkthrough", "--port", "0",
         "--db", str(tmp_path / "demo.db")],
        capture_output=True, text=True, timeout=180, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert "approval requests are waiting in #finance-approvals" in out
    assert "Approval needed: Globex - Platform expansion (25% discount)" in out
    assert "clicks Approve" in out and "HTTP 200" in out
    assert "QuickBooks invoice" in out and "created for $18,000.00" in out
    assert "Invoiced" in out
    assert "6. Bob, a finance approver, clicks Approve on his own deal" in out
    assert "own request" in out.split("\n6. ")[1].split("\n")[0]       # the refusal's words may change
    assert "7. Ann clicks Approve on the CFO-level discount" in out and ": refused: " in out.split("\n7. ")[1]
    assert "Traceback" not in done.stderr
    with sqlite3.connect(tmp_path / "demo.db") as db:                     # the dashboard's made-up history
        seeded = db.execute("SELECT count(*) FROM audit_event WHERE action = 'demo.history_seeded'").fetchone()
        history = db.execute("SELECT count(*) FROM deal WHERE sf_id LIKE '006HIST%'").fetchone()
    assert (seeded, history) == ((1,), (320,))
