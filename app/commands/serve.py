"""`ledgerbridge serve`: the one-command default. The web app and a worker, each in its own OS process
(`ledgerbridge web` and `ledgerbridge worker`), supervised: a child that dies is started again."""
from __future__ import annotations

import argparse

from app.commands.live_start import prepare_live_start
from app.logging_setup import configure_logging
from app.processes.supervisor import supervise, web_and_worker
from app.wiring import build_runtime


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="TCP port (default 8000)")


def run(args: argparse.Namespace) -> int:
    start = prepare_live_start("serve")
    if start is None:
        return 2
    settings, policy = start.settings, start.policy
    # an unreachable vendor login stops here, in one line, rather than in both children over and over
    build_runtime(settings, policy=policy).engine.dispose()
    configure_logging(log_format=settings.ledgerbridge_log_format, secrets=settings.secret_values())
    return supervise(web_and_worker(args.host, args.port))
