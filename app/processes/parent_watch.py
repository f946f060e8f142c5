"""A child of `ledgerbridge serve` (or of the demo) dies with its parent, even after `kill -9` of the parent.

Two ways, both ending in the child's own clean stop (the SIGTERM handlers of uvicorn and of the worker):
- on Linux, the kernel sends SIGTERM when the parent goes (`prctl(PR_SET_PDEATHSIG)`, set through ctypes);
- everywhere, a daemon thread watches the parent pid given on the command line (`--parent-pid`) and sends this
  process SIGTERM once that parent is gone (this process was re-parented, or the pid no longer exists).
"""
from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import signal
import sys
import threading

log = logging.getLogger(__name__)
PR_SET_PDEATHSIG = 1
WATCH_SECONDS = 1.0
PARENT_PID_HELP = "stop when the process with this pid is gone (set by `ledgerbridge serve` and the demo)"


def die_with_parent(parent_pid: int | None, *, every: float = WATCH_SECONDS) -> threading.Thread | None:
    """Arrange for this process to stop when `parent_pid` is gone; None (nothing to watch) without a parent pid."""
    if parent_pid is None:
        return None
    set_parent_death_signal(signal.SIGTERM)
    if parent_gone(parent_pid):                 # it went before the kernel was told: nobody will signal us
        _stop_self(parent_pid)
        return None
    watcher = threading.Thread(target=_watch, args=(parent_pid, every), name="ledgerbridge-parent-watch",
                               daemon=True)
    watcher.start()
    return watcher


def set_parent_death_signal(signum: int) -> bool:
    """Linux only: the kernel sends `signum` to this process when the thread that started it exits."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return int(libc.prctl(PR_SET_PDEATHSIG, int(signum), 0, 0, 0)) == 0
    except (OSError, AttributeError):           # no usable libc: the watcher thread alone does it
        log.warning("prctl(PR_SET_PDEATHSIG) is unavailable; watching the parent pid only")
        return False


def parent_gone(parent_pid: int) -> bool:
    """Re-parented (to init or a subreaper) or no such pid any more."""
    if os.getppid() != parent_pid:
        return True
    try:
        os.kill(parent_pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:                     # exists, owned by someone else
        return False
    return False


def _watch(parent_pid: int, every: float) -> None:
    stopped = threading.Event()
    while not stopped.wait(every):
        if parent_gone(parent_pid):
            _stop_self(parent_pid)
            return


def _stop_self(parent_pid: int) -> None:
    log.warning("parent process %s is gone: stopping", parent_pid)
    os.kill(os.getpid(), signal.SIGTERM)
