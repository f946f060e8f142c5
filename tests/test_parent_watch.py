"""A child started with its parent's pid stops cleanly (through its own SIGTERM handler) once that parent is gone,
even after `kill -9` of the parent; with PR_SET_PDEATHSIG on Linux and, everywhere, by watching the pid."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from app.processes.parent_watch import die_with_parent, parent_gone

DEADLINE = 30.0
CHILD = textwrap.dedent("""
    import signal, sys, threading, time
    from pathlib import Path
    import app.processes.parent_watch as watch
    mark, parent, use_kernel = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "kernel"
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    if not use_kernel:                       # the portable way only: no death signal from the kernel
        watch.set_parent_death_signal = lambda signum: False
    watch.die_with_parent(parent, every=0.2)
    mark.write_text("running")
    stopped.wait(120)
    mark.write_text("stopped cleanly" if stopped.is_set() else "never told")
""")
PARENT = textwrap.dedent("""
    import os, subprocess, sys, time
    child = subprocess.Popen([sys.executable, "-c", sys.argv[1], sys.argv[2], str(os.getpid()), sys.argv[3]])
    print(child.pid, flush=True)
    time.sleep(300)
""")


def wait_for(check, what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def run_and_kill_parent(tmp_path: Path, mode: str) -> str:
    mark = tmp_path / f"child-{mode}.txt"
    parent = subprocess.Popen([sys.executable, "-c", PARENT, CHILD, str(mark), mode], stdout=subprocess.PIPE,
                              text=True, cwd=Path(__file__).resolve().parents[1])
    try:
        child_pid = int(parent.stdout.readline())
        wait_for(lambda: mark.exists() and mark.read_text() == "running", "the child to start")
    finally:
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
    wait_for(lambda: mark.read_text() != "running", "the child to notice its parent is gone")
    wait_for(lambda: not _alive(child_pid), "the child to exit")
    return mark.read_text()


def test_a_child_stops_cleanly_when_its_parent_is_killed(tmp_path: Path):
    assert run_and_kill_parent(tmp_path, "kernel") == "stopped cleanly"


def test_without_the_kernel_s_signal_the_child_notices_by_watching_the_pid(tmp_path: Path):
    assert run_and_kill_parent(tmp_path, "watch") == "stopped cleanly"


def test_the_parent_is_gone_only_when_it_is():
    assert not parent_gone(os.getppid())
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    assert parent_gone(int(finished.stdout))            # exited (and reaped), and never our parent
    assert die_with_parent(None) is None                # started by hand: nothing to watch


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
