"""`kill -9` of `ledgerbridge serve` itself: its web and worker children stop too (they die with their parent),
and a restarted `serve` finishes the work it had in flight, each invoice exactly once.

`serve` is started as the README says (`ledgerbridge db upgrade`, then `ledgerbridge serve`) in its own process;
the three emulators run in this one.
"""
from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from app.sandbox.stack import Emulators, start_emulators
from tests.e2e.test_burst_worker_processes import (
    CLI,
    assert_each_deal_invoiced_once,
    created_jobs,
    invoice_count,
    prepare,
    wait_for,
)
from tests.e2e.test_serve import _alive, _children_of, _command_line
from tests.test_commands import _free_port

DEALS = 240                        # 8 batches: some are still queued when serve is killed
CHILDREN_GONE_WITHIN = 30.0        # generous: the worker first finishes the item it is running
STARTED_WITHIN = 180.0             # two Python processes start beside other tests on a shared machine


@pytest.fixture
def emulators() -> Iterator[Emulators]:
    running = start_emulators()
    running.slack.retry_after_override = 0
    running.slack.set_rate_limit(rate=1000.0, burst=1000)
    yield running
    running.stop()


def start_serve(env: dict[str, str], cwd: Path, name: str) -> subprocess.Popen[bytes]:
    with (cwd / f"{name}.log").open("wb") as log:
        return subprocess.Popen(CLI + ["serve", "--port", str(_free_port())], env=env, cwd=cwd, stdout=log,
                                stderr=subprocess.STDOUT)


def children_of(serve: subprocess.Popen[bytes]) -> dict[str, int]:
    """`web` / `worker` -> pid, of the `ledgerbridge` processes whose parent is this serve."""
    found = {}
    for pid in _children_of(serve.pid):
        words = _command_line(pid).split()
        if "app.cli" in words:
            found[words[words.index("app.cli") + 1]] = pid
    return found


def stop_serve(serve: subprocess.Popen[bytes]) -> None:
    if serve.poll() is None:
        serve.send_signal(signal.SIGTERM)
        serve.wait(timeout=60)


def test_kill_9_of_serve_stops_its_children_and_a_restart_finishes_the_work_once(emulators: Emulators,
                                                                                  tmp_path: Path):
    database_url = f"sqlite:///{tmp_path / 'serve.db'}"
    env, deal_ids = prepare(emulators, database_url, tmp_path, DEALS, ledgerbridge_scheduler_enabled=False)
    emulators.quickbooks.settings.latency = timedelta(milliseconds=250)    # invoicing is in flight at the kill

    first = start_serve(env, tmp_path, "first")
    try:
        children = {}
        wait_for(lambda: len(children.update(children_of(first)) or children) == 2, timeout=STARTED_WITHIN,
                 what="serve's web and worker", processes=(first,))
        wait_for(lambda: invoice_count(emulators) >= 5, timeout=STARTED_WITHIN, what="the first invoices",
                 processes=(first,), database_url=database_url)
    finally:
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
    assert sorted(children) == ["web", "worker"]

    wait_for(lambda: not any(_alive(pid) for pid in children.values()), timeout=CHILDREN_GONE_WITHIN,
             what="the web and worker of the killed serve to stop")
    stopped_at = invoice_count(emulators)
    time.sleep(1.0)                                 # nothing of the old serve is left working
    assert invoice_count(emulators) == stopped_at < DEALS
    worker_log = (tmp_path / "first.log").read_text(errors="replace")
    assert "is gone: stopping" in worker_log

    second = start_serve(env, tmp_path, "second")
    try:
        wait_for(lambda: created_jobs(database_url) >= DEALS, timeout=STARTED_WITHIN,
                 what="every invoice after the restart", processes=(second,), database_url=database_url)
    finally:
        stop_serve(second)

    assert_each_deal_invoiced_once(emulators, database_url, deal_ids)
