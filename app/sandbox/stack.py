"""The whole product offline: three emulators plus the app, wired through real HTTP (tests and benchmarks).

The Stack runs the web app and the worker in this one process (the worker in threads, woken at once when the
web app queues work), for speed. The demo runs them as separate OS processes instead (app/sandbox/split.py).
"""
from __future__ import annotations

import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from fastapi import FastAPI

from app.clock import Clock, SystemClock
from app.config import Settings, load_settings
from app.db import Transactions, make_engine
from app.db_migrate import upgrade
from app.intake.service import IntakeReport, poll_changes
from app.jobs.worker import Worker
from app.processes.web import create_web_app
from app.processes.worker import WorkerProcess, build_worker_process
from app.runtime import Runtime
from app.sandbox.env_snippets import SANDBOX_SIGNING_SECRET
from app.sandbox.people import seed_people
from app.sandbox.quickbooks import create_quickbooks_emulator, seed_demo_company
from app.sandbox.quickbooks.demo import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_REALM_ID, DEMO_REFRESH_TOKEN
from app.sandbox.quickbooks.state import QuickBooksState
from app.sandbox.salesforce import create_salesforce_emulator
from app.sandbox.salesforce.state import DEFAULT_ACCESS_TOKEN, SalesforceState
from app.sandbox.server import RunningServer, serve_in_thread
from app.sandbox.slack import create_slack_emulator
from app.sandbox.slack.slack_side import SlackSide
from app.sandbox.slack.state import DEFAULT_BOT_TOKEN, SlackState
from app.wiring import INLINE_VENDOR_WAIT, VendorWait, build_runtime

DEMO_POLICY = Path(__file__).with_name("demo_policy.yaml")
SANDBOX_NOTIFY_SECRET = "ledgerbridge-sandbox-notify-secret"


@dataclass
class Emulators:
    slack: SlackState
    salesforce: SalesforceState
    quickbooks: QuickBooksState
    servers: dict[str, RunningServer] = field(default_factory=dict)
    sf_user_ids: dict[str, str] = field(default_factory=dict)

    def url(self, name: str) -> str:
        return self.servers[name].url

    def stop(self) -> None:
        for server in self.servers.values():
            server.stop()


class Sandbox(Protocol):
    """What the demo console needs from a running sandbox (the embedded Stack or the demo's SplitStack)."""

    emulators: Emulators
    slack_side: SlackSide

    @property
    def app_url(self) -> str: ...


@dataclass
class Stack:
    emulators: Emulators
    runtime: Runtime
    app_server: RunningServer
    slack_side: SlackSide
    app: FastAPI
    worker_process: WorkerProcess

    @property
    def app_url(self) -> str:
        return self.app_server.url

    @property
    def worker(self) -> Worker:
        return self.worker_process.worker

    def poll(self) -> IntakeReport:
        """One Salesforce poll, as the scheduler's job runs it, then let the worker catch up."""
        rt = self.runtime
        report = poll_changes(transactions=Transactions(rt.engine), source=rt.salesforce, customers=rt.quickbooks,
                              policy=rt.policy, clock=rt.clock)
        rt.wake_worker()
        return report

    def stop(self) -> None:
        self.app_server.stop()
        self.worker_process.stop()
        self.emulators.stop()
        self.runtime.engine.dispose()


def start_emulators(*, ports: dict[str, int] | None = None, clock: Clock | None = None) -> Emulators:
    ports = ports or {}
    slack, salesforce, quickbooks = SlackState(), SalesforceState(), QuickBooksState()
    emulators = Emulators(slack=slack, salesforce=salesforce, quickbooks=quickbooks)
    apps = {"slack": create_slack_emulator(slack), "salesforce": create_salesforce_emulator(salesforce),
            "quickbooks": create_quickbooks_emulator(quickbooks)}
    for name, asgi in apps.items():
        emulators.servers[name] = serve_in_thread(asgi, port=ports.get(name, 0))
    slack.base_url = emulators.url("slack")
    emulators.sf_user_ids = seed_people(slack=slack, salesforce=salesforce)
    seed_demo_company(quickbooks)
    return emulators


def sandbox_settings(emulators: Emulators, *, database_url: str, policy_path: Path = DEMO_POLICY,
                     **overrides: object) -> Settings:
    """Settings that point every client at the emulators, exactly as production points them at vendors."""
    values: dict[str, object] = {
        "database_url": database_url, "ledgerbridge_policy": policy_path,
        "slack_bot_token": DEFAULT_BOT_TOKEN, "slack_signing_secret": SANDBOX_SIGNING_SECRET,
        "slack_api_url": emulators.url("slack") + "/api/",
        "salesforce_instance_url": emulators.url("salesforce"), "salesforce_access_token": DEFAULT_ACCESS_TOKEN,
        "salesforce_notify_secret": SANDBOX_NOTIFY_SECRET,
        "qbo_client_id": DEMO_CLIENT_ID, "qbo_client_secret": DEMO_CLIENT_SECRET,
        "qbo_refresh_token": DEMO_REFRESH_TOKEN, "qbo_realm_id": DEMO_REALM_ID,
        "qbo_api_url": emulators.url("quickbooks") + "/v3",
        "qbo_discovery_url": emulators.url("quickbooks") + "/.well-known/openid_configuration",
        "qbo_app_url": emulators.url("quickbooks"),
        "ledgerbridge_http_timeout": 10.0, "ledgerbridge_scheduler_enabled": False,
    }
    values.update(overrides)
    return load_settings(**values)


def start_app(emulators: Emulators, settings: Settings, *, port: int = 0, clock: Clock | None = None,
              run_scheduler: bool = False, sock: socket.socket | None = None,
              vendor_wait: VendorWait = INLINE_VENDOR_WAIT) -> Stack:
    """The web app on `port` (or on `sock`, bound already) and a worker in threads, the database migrated first.
    `vendor_wait`: WORKER_VENDOR_WAIT makes the worker meet throttles and 429s as `ledgerbridge worker` does."""
    upgrade(settings.database_url)
    runtime = build_runtime(settings, engine=make_engine(settings.database_url), clock=clock or SystemClock(),
                            vendor_wait=vendor_wait)
    worker = build_worker_process(runtime, run_scheduler=run_scheduler)
    app = create_web_app(runtime)
    worker.start()
    try:
        server = serve_in_thread(app, port=port, sock=sock)
    except BaseException:
        worker.stop()
        raise
    side = SlackSide(emulators.slack, request_url=server.url + "/slack/events",
                     signing_secret=SANDBOX_SIGNING_SECRET, emulator_url=emulators.url("slack"))
    return Stack(emulators=emulators, runtime=runtime, app_server=server, slack_side=side, app=app,
                 worker_process=worker)


def settings_environment(settings: Settings, *, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment variables an operator would export for `settings` (to start `ledgerbridge worker` and the
    other commands as their own processes), on top of `base` less any vendor settings it carries."""
    env = {key: value for key, value in (base or {}).items()
           if not key.startswith(("SLACK_", "SALESFORCE_", "QBO_", "LEDGERBRIDGE_", "DATABASE_URL"))}
    for name, value in settings.model_dump().items():
        if value is not None:
            env[name.upper()] = value.get_secret_value() if hasattr(value, "get_secret_value") else str(value)
    return env
