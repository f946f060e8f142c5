"""`ledgerbridge web`: the web process only. It verifies, records the intent and its work item, and acks;
workers (`ledgerbridge worker`) do the vendor work."""
from __future__ import annotations

import argparse
import sys

import uvicorn

from app.commands.live_settings import missing_for_live_use
from app.config import load_settings
from app.db_migrate import current_revision, head_revision
from app.logging_setup import configure_logging
from app.policy import load_policy
from app.processes.web import create_web_app
from app.wiring import build_runtime


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="TCP port (default 8000)")


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    missing = missing_for_live_use(settings)
    for name in missing:
        print(f"ledgerbridge web: missing setting {name}", file=sys.stderr)
    if missing:
        return 2
    policy = load_policy(settings.ledgerbridge_policy)
    if current_revision(settings.database_url) != head_revision():
        print("ledgerbridge web: the database schema is not current: run `ledgerbridge db upgrade` first",
              file=sys.stderr)
        return 2
    configure_logging()
    app = create_web_app(build_runtime(settings, policy=policy))
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")
    return 0
