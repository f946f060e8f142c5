"""`ledgerbridge demo`: the whole product offline (SQLite + the three emulators), seeded and narrated.

The emulators and the demo console run in this process; `ledgerbridge web` and `ledgerbridge worker` run as
child processes, as in production (app/sandbox/split.py). Two demos never share a file: each run creates its
database in a fresh temporary folder (removed when it stops), or in a `--db` file that must not exist yet. The
port is bound before anything is created, so a taken port refuses in one line and leaves a running demo alone.
SIGTERM stops the demo like Ctrl-C: the children are stopped first, never left behind.
"""
from __future__ import annotations

import argparse
import errno
import secrets
import shutil
import signal
import socket
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from types import FrameType

from app.logging_setup import configure_logging
from app.sandbox.book import BLOCKED_DEAL, CFO_DEAL, SELF_APPROVAL_DEAL, seed_demo_book
from app.sandbox.console import create_console
from app.sandbox.history import seed_demo_history
from app.sandbox.people import ANN, BOB, CARL, DANA, SAM
from app.sandbox.server import bind_socket
from app.sandbox.slack.openid import DEMO_CLIENT_ID as OPENID_CLIENT_ID
from app.sandbox.slack.openid import DEMO_CLIENT_SECRET as OPENID_CLIENT_SECRET
from app.sandbox.split import SplitStack, start_split
from app.sandbox.stack import sandbox_settings, start_emulators
from app.sandbox.walkthrough import run_walkthrough, say

HOST = "127.0.0.1"
APPROVALS_CHANNEL, EXCEPTIONS_CHANNEL = "C05APPR0VAL", "C05EXCEPT10N"
REFUSED, WALKTHROUGH_FAILED = 2, 1
LOG_TAIL_LINES = 15


class DemoRefused(Exception):
    """An expected reason not to start (port taken, --db exists): one line for the user, exit code 2."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=8000,
                        help="port of the app and its demo console (default 8000; 0 picks a free one)")
    parser.add_argument("--db", type=Path, default=None,
                        help="SQLite file to create for this run; refused if it exists (default: a fresh "
                             "temporary folder, removed when the demo stops)")
    parser.add_argument("--exit-after-walkthrough", action="store_true",
                        help="stop after the scripted walkthrough instead of serving until Ctrl-C")


def run(args: argparse.Namespace) -> int:
    # Explicit, also for SIGINT: a shell may start us with SIGINT ignored, while the children handle it anyway
    previous = {sig: signal.signal(sig, _stop_like_ctrl_c) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        sock = listen(args.port)
        with closing(sock), demo_database(args.db) as database:
            configure_logging()
            return _run(args, sock, database.resolve())
    except DemoRefused as refused:
        print(f"ledgerbridge demo: {refused}", file=sys.stderr)
        return REFUSED
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _stop_like_ctrl_c(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def listen(port: int) -> socket.socket:
    """The app's socket, bound now: nothing else happens while the port may still be taken."""
    if not 0 <= port <= 65535:
        raise DemoRefused(f"--port must be 0..65535, got {port}")
    try:
        return bind_socket(HOST, port)
    except OSError as error:
        hint = "pass --port with a free port, or --port 0 for any free one"
        if error.errno == errno.EADDRINUSE:
            raise DemoRefused(f"port {port} on {HOST} is already in use (another demo or server?): {hint}") from None
        raise DemoRefused(f"cannot listen on {HOST}:{port} ({error.strerror}): {hint}") from None


@contextmanager
def demo_database(chosen: Path | None) -> Iterator[Path]:
    """A database file nobody else uses: `chosen` created exclusively, or one in a fresh temporary folder."""
    if chosen is not None:
        try:
            chosen.open("x").close()        # O_EXCL: of two demos given the same --db, only one gets it
        except FileExistsError:
            raise DemoRefused(f"{chosen} already exists: pass another --db, or leave --db out for a fresh one") \
                from None
        except OSError as error:
            raise DemoRefused(f"cannot create {chosen} ({error.strerror}): pass another --db") from None
        yield chosen
        return
    folder = Path(tempfile.mkdtemp(prefix="ledgerbridge-demo-"))
    try:
        yield folder / "demo.db"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _run(args: argparse.Namespace, sock: socket.socket, database: Path) -> int:
    emulators = start_emulators()
    try:
        settings = sandbox_settings(emulators, database_url=f"sqlite:///{database}", ledgerbridge_poll_seconds=5,
                                    ledgerbridge_scheduler_enabled=True, slack_client_id=OPENID_CLIENT_ID,
                                    slack_client_secret=OPENID_CLIENT_SECRET,     # Sign in with Slack, the emulator's
                                    ledgerbridge_session_secret=secrets.token_hex(32))   # app; a key for this run
        book = seed_demo_book(emulators.salesforce, emulators.sf_user_ids)
        seed_demo_history(settings)
        stack = start_split(emulators, settings, sock=sock, console=create_console)
    except BaseException:
        emulators.stop()
        raise
    try:
        _introduce(stack, len(book.deal_ids), database, temporary=args.db is None)
        try:
            held = run_walkthrough(stack, sys.stdout, opportunities=len(book.deal_ids))
        except TimeoutError as error:
            say(sys.stdout, f"The walkthrough did not complete: {error}.")
            _show_logs(stack)
            return WALKTHROUGH_FAILED
        if args.exit_after_walkthrough:
            say(sys.stdout, "Walkthrough complete." if held else "The walkthrough did not complete.")
            return 0 if held else WALKTHROUGH_FAILED
        _what_to_try(stack)
        threading.Event().wait()            # until Ctrl-C or SIGTERM
        return 0
    finally:
        stack.stop()
        emulators.stop()


def _show_logs(stack: SplitStack) -> None:
    for log_file in stack.logs:
        lines = log_file.read_text(errors="replace").splitlines() if log_file.is_file() else []
        print(f"--- last lines of {log_file.name} ---", *lines[-LOG_TAIL_LINES:], sep="\n", file=sys.stderr)


def _introduce(stack: SplitStack, deal_count: int, database: Path, *, temporary: bool) -> None:
    out = sys.stdout
    say(out, "Ledgerbridge offline demo: SQLite plus local emulators of Slack, Salesforce and QuickBooks Online.")
    say(out, f"  app (Slack request URL):  {stack.app_url}/slack/events")
    web, worker = stack.supervisor.children
    say(out, f"  processes:                ledgerbridge web (pid {web.pid}), ledgerbridge worker (pid {worker.pid});")
    say(out, f"                            their logs in {stack.home}")
    for name in ("slack", "salesforce", "quickbooks"):
        say(out, f"  {name} emulator:{' ' * (11 - len(name))}{stack.emulators.url(name)}")
    say(out, f"  database:                 {database}{' (removed when the demo stops)' if temporary else ''}")
    say(out, f"  Salesforce holds {deal_count} opportunities over 6 accounts; the worker polls them every 5 s.\n")


def _what_to_try(stack: SplitStack) -> None:
    out, console = sys.stdout, f"{stack.app_url}/demo/"
    dm = stack.emulators.slack.open_dm(SAM.slack_id)
    say(out, "\nWhat to try next, in the demo console (it stands in for Slack: act as anyone, click anything):")
    say(out, f"  - A blocked deal, fixed by its rep: {console}?as={SAM.slack_id}&c={dm}")
    say(out, f"    Sam's DM lists what blocks '{BLOCKED_DEAL}' (no PO number) with a link to the record. Open it in")
    say(out, "    the Salesforce emulator, fill PO_Number__c and Save: within seconds the DM says it waits for the")
    say(out, "    controller (a new customer) and #billing-exceptions shows the exception resolved.")
    say(out, f"    Then, as Carl: {console}?as={CARL.slack_id}&c={APPROVALS_CHANNEL} and Approve: the DM says")
    say(out, "    invoiced.")
    say(out, f"  - The CFO-level discount '{CFO_DEAL}': only Dana may approve it.")
    say(out, f"    As Ann (refused): {console}?as={ANN.slack_id}&c={APPROVALS_CHANNEL}")
    say(out, f"    As Dana (approved): {console}?as={DANA.slack_id}&c={APPROVALS_CHANNEL}")
    say(out, f"  - A self-approval attempt: Bob approves for finance, but not his own '{SELF_APPROVAL_DEAL}':")
    say(out, f"    {console}?as={BOB.slack_id}&c={APPROVALS_CHANNEL}")
    say(out, f"  - Exceptions as they happen, with Retry / Tag cause / Assign / Resolve: {console}?as={ANN.slack_id}"
             f"&c={EXCEPTIONS_CHANNEL}")
    say(out, "  - Slash commands from the box at the bottom (/approvals, /exceptions, /invoice-status); App Home in")
    say(out, "    the sidebar; QuickBooks invoices and Salesforce deals in the top bar.")
    say(out, f"  - The ROI dashboard and the open exceptions: {stack.app_url}/dashboard (Sign in with Slack: the")
    say(out, "    Slack emulator lists the demo people; Dana or Ann see every deal, Sam only the ones he owns)")
    say(out, "Press Ctrl-C to stop.")
