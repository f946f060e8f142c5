"""Several replicas on one PostgreSQL: two `ledgerbridge web` and two `ledgerbridge worker` OS processes, none with a
special flag (every worker runs the scheduler), the three emulators in this process.

A compressed day: the workers poll Salesforce; approval requests are posted; signed clicks go to a web chosen at
random (and a double click to the other one); the daily digest and the weekly review fall due two and three
minutes after start; `/invoice-status` is asked through either web. Then: one decision per request, one invoice
per deal, one digest and one weekly review for their slot, and QuickBooks' limit held across both workers (the
emulator's counters)."""
from __future__ import annotations

import json
import random
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
import yaml
from sqlalchemy import func
from sqlmodel import select

from app.approvals.models import ApprovalDecision, ApprovalRequest
from app.db import make_engine, session_scope
from app.exactly_once.models import JobRun
from app.sandbox.book import Book, Line
from app.sandbox.env_snippets import DEMO_POLICY
from app.sandbox.people import ANN, SAM
from app.sandbox.quickbooks.demo import DEMO_REALM_ID
from app.sandbox.quickbooks.throttle import ThrottleLimits
from app.sandbox.slack.slack_side import SlackSide
from app.sandbox.split import child_environment
from app.sandbox.stack import SANDBOX_SIGNING_SECRET, Emulators, sandbox_settings, start_emulators
from app.slack.ids import ActionId, SlashCommand
from tests.e2e.conftest import eventually
from tests.test_commands import _free_port

CLI = [sys.executable, "-m", "app.cli"]
APPROVALS, DIGEST = "C05APPR0VAL", "C05D1GESTFIN"
ZONE = ZoneInfo("America/New_York")
PLAIN_DEALS, DISCOUNTED_DEALS = 10, 6
WAIT = 180.0          # four app processes and the emulators share two cores with other tests


@dataclass
class Replicas:
    emulators: Emulators
    webs: list[SlackSide]
    processes: list[subprocess.Popen[bytes]]
    database_url: str
    home: Path
    slot: datetime
    deal_ids: list[str]
    discounted: list[str]


@pytest.fixture
def replicas(fresh_pg_database: str, tmp_path: Path) -> Iterator[Replicas]:
    emulators = start_emulators()
    emulators.slack.retry_after_override = 0
    emulators.slack.set_rate_limit(rate=1000.0, burst=1000)
    emulators.quickbooks.set_limits(ThrottleLimits(per_app_per_second=3))
    processes: list[subprocess.Popen[bytes]] = []
    try:
        deal_ids, discounted = _seed(Book(emulators.salesforce), emulators)
        slot = _next_slot()
        settings = sandbox_settings(emulators, database_url=fresh_pg_database,
                                    ledgerbridge_policy=_policy_due_at(slot, tmp_path),
                                    ledgerbridge_scheduler_enabled=True, ledgerbridge_poll_seconds=5,
                                    qbo_limit_per_second=2)
        env = child_environment(settings)
        upgraded = subprocess.run(CLI + ["db", "upgrade"], env=env, cwd=tmp_path, capture_output=True, timeout=120)
        assert upgraded.returncode == 0, upgraded.stderr
        ports = [_free_port(), _free_port()]
        for name, args in (("web1", ["web", "--port", str(ports[0])]), ("web2", ["web", "--port", str(ports[1])]),
                           ("worker1", ["worker"]), ("worker2", ["worker"])):
            with (tmp_path / f"{name}.log").open("wb") as log:
                processes.append(subprocess.Popen(CLI + args, env=env, cwd=tmp_path, stdout=log,
                                                  stderr=subprocess.STDOUT))
        webs = [SlackSide(emulators.slack, request_url=f"http://127.0.0.1:{port}/slack/events",
                          signing_secret=SANDBOX_SIGNING_SECRET, emulator_url=emulators.url("slack"))
                for port in ports]
        for port in ports:
            eventually(lambda port=port: _healthy(port), timeout=WAIT, what=f"web on {port}")
        yield Replicas(emulators, webs, processes, fresh_pg_database, tmp_path, slot, deal_ids, discounted)
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
        emulators.stop()


def test_two_webs_and_two_workers_on_one_postgresql(replicas: Replicas) -> None:
    emulators, chooser = replicas.emulators, random.Random(13)
    requests = eventually(lambda: _all_requests(replicas), timeout=WAIT, what="every approval request")

    for request_ts in requests:
        first, second = chooser.sample(replicas.webs, 2)
        assert first.click_button(ANN.slack_id, APPROVALS, request_ts, ActionId.APPROVE).status_code == 200
        assert second.click_button(ANN.slack_id, APPROVALS, request_ts, ActionId.APPROVE).status_code == 200
    asked = chooser.choice(replicas.webs).send_slash_command(SAM.slack_id, SlashCommand.INVOICE_STATUS.value,
                                                             "Replica 00")
    assert asked.status_code == 200

    eventually(lambda: len(_invoices(emulators)) >= len(replicas.deal_ids), timeout=WAIT, what="every invoice")
    eventually(lambda: _posts(emulators, "Weekly billing review") and _digests(emulators), timeout=WAIT,
               what="the digest and the weekly review of the slot")
    answer = eventually(lambda: emulators.slack.responses(asked.payload["response_url"]), timeout=WAIT,
                        what="the /invoice-status answer")
    time.sleep(12)     # two more poll periods and scheduler ticks: a duplicate, if any, would show now

    numbers = Counter(invoice["DocNumber"] for invoice in _invoices(emulators))
    assert sorted(numbers) == sorted(replicas.deal_ids) and set(numbers.values()) == {1}
    assert "Replica 00" in json.dumps(answer[-1])
    _assert_one_decision_per_request(replicas, len(requests))
    assert len(_digests(emulators)) == 1 and len(_posts(emulators, "Weekly billing review")) == 1
    _assert_one_run_per_slot(replicas)
    with emulators.quickbooks.lock:
        counters = emulators.quickbooks.throttle.stats(emulators.quickbooks.now())[DEMO_REALM_ID]
    assert counters["throttled_429"] == 0 and counters["peak_per_second"] <= 3
    assert [process.args for process in replicas.processes if process.poll() is not None] == []
    for log in replicas.home.glob("*.log"):
        assert "Traceback" not in log.read_text(errors="replace"), log.name


def _seed(book: Book, emulators: Emulators) -> tuple[list[str], list[str]]:
    for name in ("Globex Inc", "Initech LLC"):
        book.add_account(name, Segment__c="SMB")
    owner = emulators.sf_user_ids["sam"]
    plain = [book.add_deal(f"Replica {index:02d}", account="Globex Inc", owner_id=owner,
                           lines=[Line("Support Plan", Decimal(1 + index))], PO_Number__c=f"PO-R{index}")
             for index in range(PLAIN_DEALS)]
    discounted = [book.add_deal(f"Replica discount {index:02d}", account="Initech LLC", owner_id=owner,
                                lines=[Line("Annual Subscription", Decimal(1), discount=Decimal(25))],
                                PO_Number__c=f"PO-D{index}")
                  for index in range(DISCOUNTED_DEALS)]
    return plain + discounted, discounted


def _next_slot() -> datetime:
    """A minute far enough ahead for four processes to start, in the policy's zone."""
    now = datetime.now(ZONE)
    return (now + timedelta(minutes=2 if now.second < 30 else 3)).replace(second=0, microsecond=0)


def _policy_due_at(slot: datetime, home: Path) -> Path:
    policy = yaml.safe_load(DEMO_POLICY.read_text(encoding="utf-8"))
    day = slot.strftime("%a").lower()
    policy["digest"].update(hour=slot.hour, minute=slot.minute, days=[day])
    weekly = slot + timedelta(minutes=1)    # a minute apart: both go to one channel, Slack's 1 post/s per channel
    policy["weekly_review"].update(enabled=True, hour=weekly.hour, minute=weekly.minute,
                                   days=[weekly.strftime("%a").lower()])
    path = home / "policy.yaml"
    path.write_text(yaml.safe_dump(policy, sort_keys=False), encoding="utf-8")
    return path


def _all_requests(replicas: Replicas) -> list[str] | None:
    found = [m.ts for m in replicas.emulators.slack.messages(APPROVALS)
             if not m.thread_ts and m.text.startswith("Approval needed")]
    return found if len(found) >= len(replicas.discounted) else None


def _invoices(emulators: Emulators) -> list[dict]:
    return list(emulators.quickbooks.objects(DEMO_REALM_ID, "Invoice"))


def _posts(emulators: Emulators, opening: str) -> list[object]:
    return [m for m in emulators.slack.messages(DIGEST) if not m.thread_ts and m.text.startswith(opening)]


def _digests(emulators: Emulators) -> list[object]:
    return [m for m in emulators.slack.messages(DIGEST)
            if not m.thread_ts and not m.text.startswith("Weekly billing review")]


def _assert_one_decision_per_request(replicas: Replicas, requests: int) -> None:
    engine = make_engine(replicas.database_url)
    try:
        with session_scope(engine) as session:
            asked = session.exec(select(func.count()).select_from(ApprovalRequest)).one()
            decided = session.exec(select(ApprovalDecision.request_id, ApprovalDecision.decision)).all()
    finally:
        engine.dispose()
    assert asked == requests == len(replicas.discounted)
    assert len(decided) == requests and len({request for request, _ in decided}) == requests
    assert {decision for _, decision in decided} == {"approved"}


def _assert_one_run_per_slot(replicas: Replicas) -> None:
    engine = make_engine(replicas.database_url)
    try:
        with session_scope(engine) as session:
            runs = session.exec(select(JobRun.job_name, JobRun.scheduled_for)).all()
    finally:
        engine.dispose()
    per_job = Counter(name for name, _ in runs)
    assert per_job and set(per_job.values()) == {1}, runs


def _healthy(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False
