"""`ledgerbridge db upgrade [--url URL]`: bring the database to the newest schema."""
from __future__ import annotations

import argparse
import sys

from sqlalchemy.exc import ArgumentError, OperationalError

from app.config import load_settings
from app.db_migrate import upgrade


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="db_action", required=True, metavar="ACTION")
    up = actions.add_parser("upgrade", help="apply every pending migration (alembic upgrade head)")
    up.add_argument("--url", help="database URL (default: DATABASE_URL from the environment or .env)")


def run(args: argparse.Namespace) -> int:
    settings = load_settings(database_url=args.url) if args.url else load_settings()
    url = settings.database_url
    try:
        upgrade(url, configure_logging=True)
    except (OperationalError, ArgumentError) as error:
        reason = getattr(error, "orig", None) or error
        print(f"ledgerbridge db: cannot migrate {_redacted(url)}: {reason}", file=sys.stderr)
        return 1
    print(f"database at {_redacted(url)} is at the newest schema")
    return 0


def _redacted(url: str) -> str:
    """Never echo a password from the URL."""
    scheme, sep, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    if not at or ":" not in credentials:
        return url
    user = credentials.split(":", 1)[0]
    return f"{scheme}{sep}{user}:***@{host}"
