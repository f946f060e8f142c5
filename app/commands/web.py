"""`ledgerbridge web`: the web process only. It verifies, records the intent and its work item, and acks;
workers (`ledgerbridge worker`) do the vendor work."""
from __future__ import annotations

import argparse

import uvicorn

from app.commands.live_start import prepare_live_start
from app.logging_setup import configure_logging
from app.processes.parent_watch import PARENT_PID_HELP, die_with_parent
from app.processes.web import create_web_app
from app.wiring import build_runtime


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--parent-pid", type=int, default=None, help=PARENT_PID_HELP)
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="TCP port (default 8000)")


def run(args: argparse.Namespace) -> int:
    start = prepare_live_start("web")
    if start is None:
        return 2
    settings, policy = start.settings, start.policy
    configure_logging(log_format=settings.ledgerbridge_log_format, secrets=settings.secret_values())
    die_with_parent(args.parent_pid)
    app = create_web_app(build_runtime(settings, policy=policy))
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")
    return 0
