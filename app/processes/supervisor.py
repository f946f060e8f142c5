"""`ledgerbridge serve`: one web process and one worker process, each its own OS process, supervised.

The web process only verifies, records and acks; the worker does the vendor work. A child that dies is
started again (a few times a minute at most); SIGTERM or Ctrl-C stops both cleanly, and a `kill -9` of serve
stops them too (each child watches its parent: app/processes/parent_watch.py). The demo supervises
the same two children from its own process (app/sandbox/split.py).
"""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

log = logging.getLogger(__name__)
STOP_GRACE_SECONDS = 20.0
MAX_RESTARTS_PER_MINUTE = 5
RESTART_PAUSE_SECONDS = 1.0


@dataclass
class Child:
    """One child process, started as `argv` (with `env` and `cwd` when given, else this process's own);
    its output appended to `log_file` when given, else on this process's own stdout and stderr."""

    name: str
    argv: list[str]
    env: Mapping[str, str] | None = None
    cwd: Path | None = None
    log_file: Path | None = None
    process: subprocess.Popen[bytes] | None = None
    restarts: deque[float] = field(default_factory=deque)

    def start(self) -> None:
        env = dict(self.env) if self.env is not None else None
        if self.log_file is None:
            self.process = subprocess.Popen(self.argv, env=env, cwd=self.cwd)
        else:
            with self.log_file.open("ab") as output:        # the child keeps its own copy of the descriptor
                self.process = subprocess.Popen(self.argv, env=env, cwd=self.cwd, stdout=output,
                                                stderr=subprocess.STDOUT)
        log.info("serve: %s started (pid %s)", self.name, self.process.pid)

    @property
    def pid(self) -> int | None:
        return None if self.process is None else self.process.pid

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
    """The same interpreter and package, as `ledgerbridge COMMAND ...` would run it, told this process's pid
    (`--parent-pid`): the child stops when this process is gone, even after a `kill -9` (parent_watch.py)."""
    return [sys.executable, "-m", "app.cli", command, "--parent-pid", str(os.getpid()), *arguments]


def web_and_worker(host: str, port: int, *, env: Mapping[str, str] | None = None,
                   cwd: Path | None = None) -> list[Child]:
    return [Child("web", child_argv("web", "--host", host, "--port", str(port)), env=env, cwd=cwd),
            Child("worker", child_argv("worker"), env=env, cwd=cwd)]


@dataclass
class Supervisor:
    """Starts the children, starts again one that died (MAX_RESTARTS_PER_MINUTE at most), stops them all."""

    children: Sequence[Child]
    poll_seconds: float = 0.5
    clock: Callable[[], float] = time.monotonic
    stopping: threading.Event = field(default_factory=threading.Event)

    def start(self) -> None:
        for child in self.children:
            child.start()

    def watch(self) -> int:
        """Until `stopping` is set: 0 then, or 1 when a child kept dying (the others are still running)."""
        while not self.stopping.wait(self.poll_seconds):
            if not all(self._keep_running(child) for child in self.children):
                return 1
        return 0

    def stop(self) -> None:
        self.stopping.set()
        for child in self.children:
            child.stop()

    def _keep_running(self, child: Child) -> bool:
        code = child.exited()
        if code is None:
            return True
        now = self.clock()
        if not child.may_restart(now):
            log.error("serve: %s exited (code %s) %s times within a minute: stopping", child.name, code,
                      MAX_RESTARTS_PER_MINUTE)
            return False
        log.warning("serve: %s exited (code %s): starting it again", child.name, code)
        child.restarts.append(now)
        if self.stopping.wait(RESTART_PAUSE_SECONDS):   # Ctrl-C reaches the children first: no restart then
            return True
        child.start()
        return True


def supervise(children: Sequence[Child], *, poll_seconds: float = 0.5) -> int:
    """Run the children until SIGTERM or SIGINT; 0 after a clean stop, 1 when a child kept dying."""
    supervisor = Supervisor(children, poll_seconds=poll_seconds)

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("serve: %s received, stopping web and worker", signal.Signals(signum).name)
        supervisor.stopping.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        supervisor.start()
        log.info("serve: supervising %s from pid %s",
                 ", ".join(f"{child.name} (pid {child.pid})" for child in children), os.getpid())
        return supervisor.watch()
    finally:
        supervisor.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
