"""`ledgerbridge serve`: one web process and one worker process, each its own OS process, supervised.

The web process only verifies, records and acks; the worker does the vendor work. A child that dies is
started again (a few times a minute at most); SIGTERM or Ctrl-C stops both cleanly.
"""
from __future__ import annotations

import logging
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import FrameType

log = logging.getLogger(__name__)
STOP_GRACE_SECONDS = 20.0
MAX_RESTARTS_PER_MINUTE = 5
RESTART_PAUSE_SECONDS = 1.0


@dataclass
class Child:
    name: str
    argv: list[str]
    process: subprocess.Popen[bytes] | None = None
    restarts: deque[float] = field(default_factory=deque)

    def start(self) -> None:
        self.process = subprocess.Popen(self.argv)
        log.info("serve: %s started (pid %s)", self.name, self.process.pid)

    def exited(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def may_restart(self, now: float) -> bool:
        while self.restarts and self.restarts[0] < now - 60:
            self.restarts.popleft()
        return len(self.restarts) < MAX_RESTARTS_PER_MINUTE

    def stop(self, grace: float = STOP_GRACE_SECONDS) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(grace)
        except subprocess.TimeoutExpired:
            log.warning("serve: %s did not stop within %.0f s: killing it", self.name, grace)
            self.process.kill()
            self.process.wait()


def child_argv(command: str, *arguments: str) -> list[str]:
    """The same interpreter and package, as `ledgerbridge COMMAND ...` would run it."""
    return [sys.executable, "-m", "app.cli", command, *arguments]


def web_and_worker(host: str, port: int) -> list[Child]:
    return [Child("web", child_argv("web", "--host", host, "--port", str(port))), Child("worker", child_argv("worker"))]


def supervise(children: Sequence[Child], *, poll_seconds: float = 0.5,
              clock: Callable[[], float] = time.monotonic) -> int:
    """Run the children until a signal; 0 after a clean stop, 1 when a child kept dying."""
    stopping = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("serve: %s received, stopping web and worker", signal.Signals(signum).name)
        stopping.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    status = 0
    try:
        for child in children:
            child.start()
        while not stopping.wait(poll_seconds):
            if not all(_keep_running(child, clock()) for child in children):
                status = 1
                break
    finally:
        for child in children:
            child.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return status


def _keep_running(child: Child, now: float) -> bool:
    code = child.exited()
    if code is None:
        return True
    if not child.may_restart(now):
        log.error("serve: %s exited (code %s) %s times within a minute: stopping", child.name, code,
                  MAX_RESTARTS_PER_MINUTE)
        return False
    log.warning("serve: %s exited (code %s): starting it again", child.name, code)
    child.restarts.append(now)
    time.sleep(RESTART_PAUSE_SECONDS)
    child.start()
    return True
