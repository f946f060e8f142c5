"""bench.slack_ack's processes and data: for one database engine, `ledgerbridge web` and `ledgerbridge worker`
each as its own OS process (configured through the environment, as the README starts them), the QuickBooks
emulator in its own (`ledgerbridge sandbox quickbooks --latency-ms 200`), the Slack and Salesforce emulators
in the benchmark's process (it seeds them and reads them; it sends no load). The reference app runs in its own.

The data: `approvals` deals with a 25% discount (each gets a real pending approval request, clicked once), and a
backlog of `backlog` billable deals; our own intake reads them all before the web process starts, so the worker
drains invoices (QuickBooks lane) and posts approval requests (Slack, one a second in the channel) throughout.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine
from sqlmodel import select

from app.approvals.models import ApprovalRequest, ApprovalStatus
from app.db import make_engine, session_scope
from app.sandbox.book import Book, Line
from app.sandbox.people import ANN, SAM
from app.sandbox.quickbooks.demo import DEMO_REALM_ID
from app.sandbox.slack import payloads
from app.sandbox.slack.state import SlackState
from app.sandbox.stack import SANDBOX_SIGNING_SECRET, Emulators, start_emulators
from app.slack.ids import ActionId, BlockId, SlashCommand
from bench.ack_reference import SECRET_ENV
from bench.burst import intake
from bench.burst_processes import CLI, Child, start_quickbooks_emulator, start_worker
from bench.burst_seed import seed_burst, write_burst_policy
from bench.intake import throwaway_pg_database

APPROVALS_CHANNEL = "C05APPR0VAL"
VERIFICATION_TOKEN = "sandbox-verification-token"
START_TIMEOUT = 180.0     # a busy machine takes long to import and start a process
DISCOUNT_ACCOUNT = "Discount Customer"


@dataclass
class EngineStack:
    engine_name: str
    emulators: Emulators
    engine: Engine
    url: str                    # the web process's /slack/events
    deal_names: list[str]
    children: list[Child]
    _clicked: int = 0

    def pending_requests(self, count: int) -> list[tuple[int, str | None]]:
        """The next `count` pending requests never clicked yet (id, posted ts or None), oldest first."""
        with session_scope(self.engine) as session:
            rows = session.exec(select(ApprovalRequest.id, ApprovalRequest.slack_ts)
                                .where(ApprovalRequest.status == ApprovalStatus.PENDING)
                                .order_by(ApprovalRequest.id).offset(self._clicked).limit(count)).all()
        self._clicked += len(rows)
        return [(int(request_id), ts) for request_id, ts in rows]

    def workers_alive(self) -> bool:
        return all(child.process.poll() is None for child in self.children)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_healthy(url: str, child: Child, timeout: float = START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if child.process.poll() is not None or time.monotonic() > deadline:
            log = Path(child.log.name).read_text(errors="replace")[-2000:] if child.log is not None else ""
            raise RuntimeError(f"{child.name} did not answer /healthz at {url}:\n{log}")
        time.sleep(0.1)


def start_process(argv: list[str], env: dict[str, str], cwd: Path, name: str) -> tuple[Child, str]:
    """`argv --port P` in its own process, its output in cwd/<name>.log; returns it once /healthz answers."""
    port = free_port()
    log = (cwd / f"{name}.log").open("wb")
    child = Child(name, subprocess.Popen(argv + ["--port", str(port)], env=env, cwd=cwd, stdout=log,
                                         stderr=subprocess.STDOUT), log)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, child)
    except RuntimeError:
        child.stop()
        raise
    return child, url


@contextmanager
def reference_app(cwd: Path) -> Iterator[str]:
    """The ack-only bolt AsyncApp in its own process; yields its /slack/events URL."""
    root = str(Path(__file__).resolve().parent.parent)     # `bench` is not installed: run it from this checkout
    env = {**os.environ, SECRET_ENV: SANDBOX_SIGNING_SECRET,
           "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
    child, url = start_process([sys.executable, "-m", "bench.ack_reference"], env, cwd, "reference")
    try:
        yield url + "/slack/events"
    finally:
        child.stop()


@contextmanager
def engine_stack(engine_name: str, *, approvals: int, backlog: int, latency_ms: float, pg_url: str,
                 cwd: Path) -> Iterator[EngineStack]:
    with ExitStack() as stack:
        emulators = start_emulators()
        stack.callback(emulators.stop)
        quickbooks, quickbooks_url = start_quickbooks_emulator(latency_ms=latency_ms, cwd=cwd)
        stack.callback(quickbooks.stop)
        owner = emulators.sf_user_ids["sam"]
        _, backlog_ids = seed_burst(emulators.salesforce, quickbooks_url=quickbooks_url, deals=backlog,
                                    owner_id=owner)
        book = Book(emulators.salesforce)
        _known_customer(book, quickbooks_url, DISCOUNT_ACCOUNT)   # so only the discount needs an approval
        for index in range(approvals):
            book.add_deal(f"Discounted {index:05d}", account=DISCOUNT_ACCOUNT, owner_id=owner,
                          lines=[Line("Annual Subscription", Decimal(2), discount=Decimal(25))])
        database_url = (f"sqlite:///{cwd / 'ack.db'}" if engine_name == "SQLite"
                        else stack.enter_context(throwaway_pg_database(pg_url)))
        env = intake(database_url, emulators, quickbooks_url, write_burst_policy(cwd))
        engine = make_engine(database_url)
        stack.callback(engine.dispose)
        worker = start_worker(env, cwd, f"{engine_name}-worker")
        stack.callback(worker.stop)
        web, web_url = start_process(CLI + ["web"], env, cwd, f"{engine_name}-web")
        stack.callback(web.stop)
        names = [emulators.salesforce.record("Opportunity", deal_id)["Name"] for deal_id in backlog_ids[:50]]
        yield EngineStack(engine_name, emulators, engine, web_url + "/slack/events", names, [worker, web])


def _known_customer(book: Book, quickbooks_url: str, name: str) -> None:
    with httpx.Client(base_url=quickbooks_url, timeout=30) as admin:
        admin.post(f"/_admin/realms/{DEMO_REALM_ID}/objects/Customer",
                   json={"DisplayName": name, "CompanyName": name}).raise_for_status()
    book.add_account(name, Segment__c="SMB")


def slash_command(state: SlackState, command: SlashCommand, text: str, user_id: str, user_name: str
                  ) -> dict[str, str]:
    """The form fields Slack sends for a slash command, with its own response_url and trigger."""
    return {"token": VERIFICATION_TOKEN, "team_id": state.team_id, "team_domain": state.team_domain,
            "channel_id": APPROVALS_CHANNEL, "channel_name": state.channel_name(APPROVALS_CHANNEL),
            "user_id": user_id, "user_name": user_name, "command": command.value, "text": text,
            "api_app_id": state.app_id, "is_enterprise_install": "false",
            "response_url": state.issue_response_url(user_id=user_id, channel_id=APPROVALS_CHANNEL),
            "trigger_id": state.issue_trigger(user_id)}


def approve_click(state: SlackState, request_id: int, ts: str | None) -> dict[str, str]:
    """Ann's Approve click on request `request_id`: on its message when the worker has posted it, else on the
    same button in her `/approvals` list (an ephemeral message: Slack sends no `message` then)."""
    action = {"action_id": ActionId.APPROVE.value, "block_id": BlockId.APPROVAL_ACTIONS.value,
              "text": {"type": "plain_text", "text": "Approve"}, "type": "button", "value": str(request_id),
              "style": "primary", "action_ts": f"{time.time():.6f}"}
    payload: dict[str, Any] = {
        "type": "block_actions", "user": payloads.user_ref(ANN.slack_id, ANN.name, state.team_id),
        "api_app_id": state.app_id, "token": VERIFICATION_TOKEN, "trigger_id": state.issue_trigger(ANN.slack_id),
        "team": {"id": state.team_id, "domain": state.team_domain}, "enterprise": None,
        "is_enterprise_install": False,
        "container": {"type": "message", "message_ts": ts or f"{time.time():.6f}", "channel_id": APPROVALS_CHANNEL,
                      "is_ephemeral": ts is None},
        "channel": {"id": APPROVALS_CHANNEL, "name": state.channel_name(APPROVALS_CHANNEL)},
        "state": {"values": {}},
        "response_url": state.issue_response_url(user_id=ANN.slack_id, channel_id=APPROVALS_CHANNEL,
                                                 message_ts=ts),
        "actions": [action]}
    if ts is not None:
        message = state.find_message(APPROVALS_CHANNEL, ts)
        payload["message"] = message.to_api() if message is not None else {"type": "message", "ts": ts}
    return {"payload": json.dumps(payload)}


def mixed_load(stack: EngineStack, count: int) -> list[dict[str, str]]:
    """`count` signed-request bodies in turn: an Approve click on a distinct pending request, `/invoice-status
    <deal>` by Sam, `/exceptions` by Ann."""
    state = stack.emulators.slack
    requests = iter(stack.pending_requests((count + 2) // 3))
    bodies = []
    for index in range(count):
        kind = index % 3
        if kind == 0 and (clicked := next(requests, None)) is not None:
            bodies.append(approve_click(state, *clicked))
        elif kind == 1 or kind == 0:
            name = stack.deal_names[index % len(stack.deal_names)]
            bodies.append(slash_command(state, SlashCommand.INVOICE_STATUS, name, SAM.slack_id, SAM.name))
        else:
            bodies.append(slash_command(state, SlashCommand.EXCEPTIONS, "", ANN.slack_id, ANN.name))
    return bodies
