"""The burst benchmark's processes, each as it runs in production: the QuickBooks emulator (with Intuit-like
latency) and `ledgerbridge worker`s, started and stopped by id."""
from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx

CLI = [sys.executable, "-m", "app.cli"]
LISTENING = re.compile(r"listening on (http://[\d.]+:\d+)")


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    log: IO[bytes] | None = field(default=None, repr=False)

    def stop(self, timeout: float = 30.0) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.log is not None:
            self.log.close()


def start_quickbooks_emulator(*, latency_ms: float, cwd: Path, timeout: float = 30.0) -> tuple[Child, str]:
    """`ledgerbridge sandbox quickbooks --port 0 --latency-ms N`: its own process; returns it and its URL."""
    path = cwd / "quickbooks-emulator.log"
    log = path.open("wb")
    process = subprocess.Popen(CLI + ["sandbox", "quickbooks", "--port", "0", "--latency-ms", f"{latency_ms:g}"],
                               stdout=log, stderr=subprocess.STDOUT, cwd=cwd)
    child = Child("quickbooks emulator", process, log)
    deadline = time.monotonic() + timeout
    while (match := LISTENING.search(path.read_text(errors="replace"))) is None:
        if process.poll() is not None or time.monotonic() > deadline:
            child.stop()
            raise RuntimeError(f"the QuickBooks emulator did not start: {path.read_text(errors='replace')}")
        time.sleep(0.05)
    _wait_answering(match.group(1), deadline, child)     # the port is bound before uvicorn listens on it
    return child, match.group(1)


def _wait_answering(url: str, deadline: float, child: Child) -> None:
    while True:
        try:
            httpx.get(url + "/_admin/throttle", timeout=2).raise_for_status()
            return
        except httpx.HTTPError:
            if child.process.poll() is not None or time.monotonic() > deadline:
                child.stop()
                raise RuntimeError(f"the QuickBooks emulator at {url} does not answer") from None
            time.sleep(0.05)


def start_worker(env: dict[str, str], cwd: Path, name: str) -> Child:
    log = (cwd / f"{name}.log").open("wb")
    process = subprocess.Popen(CLI + ["worker", "--no-scheduler"], env=env, cwd=cwd, stdout=log,
                               stderr=subprocess.STDOUT)
    return Child(name, process, log)
