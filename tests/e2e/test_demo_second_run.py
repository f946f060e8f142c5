"""A second `ledgerbridge demo` while one runs, as a user starts it: the first one's files stay untouched.

The first demo is frozen (SIGSTOP to its process group: the demo and its web and worker processes) while the
second runs, so its own worker cannot change its database and any change seen must come from the second demo.
Its listening socket stays open while frozen.
"""
from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

CLI = [sys.executable, "-m", "app.cli", "demo"]


@dataclass
class RunningDemo:
    process: subprocess.Popen[str]
    port: int
    home: Path          # cwd and TMPDIR of every demo in this module
    env: dict[str, str]

    def database_files(self) -> list[Path]:
        return sorted(self.home.rglob("*.db"))

    def fingerprint(self) -> dict[str, tuple[int, int, str]]:
        """(mtime, size, sha256) of every file beside the first demo's database (journal and WAL too)."""
        folder = self.database_files()[0].parent
        return {path.name: (path.stat().st_mtime_ns, path.stat().st_size,
                            hashlib.sha256(path.read_bytes()).hexdigest())
                for path in sorted(folder.iterdir()) if path.is_file()}

    def second(self, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*CLI, *args], cwd=self.home, env=self.env, capture_output=True, text=True,
                              timeout=timeout, check=False)


@pytest.fixture(scope="module")
def first_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDemo]:
    home = tmp_path_factory.mktemp("demos")
    (home / "tmp").mkdir()
    env = {**os.environ, "TMPDIR": str(home / "tmp")}
    env.pop("SLACK_BOT_TOKEN", None)
    port = _free_port()
    log = tmp_path_factory.mktemp("logs") / "first-demo.log"     # a file, so a full pipe never blocks it
    with log.open("w") as output:
        process = subprocess.Popen([*CLI, "--port", str(port)], cwd=home, env=env, text=True,
                                   stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    demo = RunningDemo(process=process, port=port, home=home, env=env)
    try:
        _wait_for_line(process, log, "What to try next")
        yield demo
    finally:
        os.killpg(process.pid, signal.SIGCONT)
        process.terminate()
        process.wait(timeout=30)
        assert _group_members(process.pid) == [], "the demo left processes behind"


def test_a_second_demo_on_the_same_port_refuses_in_one_line_and_touches_nothing(first_demo: RunningDemo) -> None:
    [database] = first_demo.database_files()
    with _frozen(first_demo.process):
        before = first_demo.fingerprint()
        second = first_demo.second("--port", str(first_demo.port), timeout=60)
        after = first_demo.fingerprint()

    assert second.returncode == 2, second.stdout + second.stderr
    assert second.stderr.strip().splitlines() == [
        f"ledgerbridge demo: port {first_demo.port} on 127.0.0.1 is already in use (another demo or server?): "
        "pass --port with a free port, or --port 0 for any free one"]
    assert second.stdout == ""
    assert after == before
    assert first_demo.database_files() == [database]
    assert httpx.get(f"http://127.0.0.1:{first_demo.port}/healthz", timeout=10).status_code == 200


def test_a_second_demo_on_another_port_runs_beside_the_first(first_demo: RunningDemo) -> None:
    [database] = first_demo.database_files()
    with _frozen(first_demo.process):
        before = first_demo.fingerprint()
        second = first_demo.second("--port", "0", "--exit-after-walkthrough")
        after = first_demo.fingerprint()

    assert second.returncode == 0, second.stderr[-3000:]
    assert "Walkthrough complete." in second.stdout
    assert "Traceback" not in second.stderr
    assert after == before
    assert first_demo.database_files() == [database]      # the second removed its own folder when it stopped
    assert httpx.get(f"http://127.0.0.1:{first_demo.port}/healthz", timeout=10).status_code == 200


def test_an_existing_db_file_is_refused_not_recreated(tmp_path: Path) -> None:
    chosen = tmp_path / "mine.db"
    chosen.write_bytes(b"someone's data")
    done = subprocess.run([*CLI, "--port", "0", "--db", str(chosen)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"ledgerbridge demo: {chosen} already exists: pass another --db, or leave --db out for a fresh one"]
    assert chosen.read_bytes() == b"someone's data"


def test_a_port_out_of_range_is_one_line(tmp_path: Path) -> None:
    done = subprocess.run([*CLI, "--port", "70000"], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == ["ledgerbridge demo: --port must be 0..65535, got 70000"]


def test_the_demo_runs_web_and_worker_as_its_own_processes_behind_one_port(first_demo: RunningDemo) -> None:
    children = _group_members(first_demo.process.pid)
    commands = sorted(_command_line(pid).split(" app.cli ")[-1].split(" ")[0] for pid in children)
    assert commands == ["web", "worker"]
    base = f"http://127.0.0.1:{first_demo.port}"
    console = httpx.get(base + "/demo/", timeout=10)
    assert console.status_code == 200 and "Ledgerbridge demo console" in console.text
    dashboard = httpx.get(base + "/dashboard", timeout=10)                    # served by the web process
    assert dashboard.status_code == 303 and dashboard.headers["location"].startswith("/signin?next=")
    signin = httpx.get(base + "/signin", timeout=10)                           # Sign in with Slack is on
    assert signin.status_code == 200 and "Sign in with Slack" in signin.text


class _frozen:
    """SIGSTOP to the demo's process group for the duration of a `with` block, SIGCONT after."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process

    def __enter__(self) -> None:
        os.killpg(self.process.pid, signal.SIGSTOP)
        time.sleep(0.2)

    def __exit__(self, *exc: object) -> None:
        os.killpg(self.process.pid, signal.SIGCONT)


def _group_members(group: int) -> list[int]:
    """Processes of process group `group` other than its leader (its children, here)."""
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != group:
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:                       # gone meanwhile
                continue
            if int(fields[2]) == group and fields[0] != "Z":
                members.append(int(entry.name))
    return members


def _command_line(pid: int) -> str:
    return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()


def _wait_for_line(process: subprocess.Popen[str], log: Path, text: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if text in log.read_text():
            return
        time.sleep(0.2)
    raise AssertionError(f"the first demo never printed {text!r}:\n{log.read_text()[-3000:]}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
