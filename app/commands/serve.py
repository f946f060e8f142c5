"""`ledgerbridge serve`: the one-command default. The web app and a worker, each in its own OS process
(`ledgerbridge web` and `ledgerbridge worker`), supervised: a child that dies is started again."""
from __future__ import annotations

import argparse
import sys

from app.commands.live_settings import missing_for_live_use
from app.config import load_settings
from app.db_migrate import current_revision, head_revision
from app.logging_setup import configure_logging
from app.policy import load_policy
from app.processes.supervisor import supervise, web_and_worker
from app.wiring import build_runtime


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="TCP port (default 8000)")


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    missing = missing_for_live_use(settings)
    for name in missing:
        print(f"ledgerbridge serve: missing setting {name}", file=sys.stderr)
    if missing:
        return 2
    if current_revision(settings.database_url) != head_revision():
        print("ledgerbridge serve: the database schema is not current: run `ledgerbridge db upgrade` first",
              file=sys.stderr)
        return 2
    policy = load_policy(settings.ledgerbridge_policy)     # a broken policy stops here, not in both children
    build_runtime(settings, policy=policy).engine.dispose()  # and so does a vendor it cannot reach, in one line
    configure_logging()
    return supervise(web_and_worker(args.host, args.port))
