"""`ledgerbridge qbo connect`: connect a QuickBooks company (one run per realm) and store its tokens.

Prints Intuit's authorization URL; once the person consents, Intuit redirects the browser to QBO_REDIRECT_URI
with a one-use code. The command takes that answer from a one-shot listener on the redirect URI's port
(`--listen`), from `--answer`, or pasted on its input, exchanges the code (intuit-oauth) and stores the tokens in
the database, where every Ledgerbridge process reads them (`oauth_token`, one row per realm)."""
from __future__ import annotations

import argparse
import sys

from app.clock import SystemClock
from app.commands.qbo_listener import wait_for_redirect
from app.config import Settings, load_settings
from app.db import make_engine
from app.db_migrate import current_revision, head_revision
from app.errors import ConfigError
from app.integrations.quickbooks_oauth import (
    ConnectApp,
    authorization_url,
    exchange_code,
    new_state,
    parse_callback,
)
from app.integrations.token_store_db import DbTokenStore


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="qbo_action", required=True, metavar="ACTION")
    connect = actions.add_parser("connect", help="authorize a QuickBooks company and store its tokens")
    connect.add_argument("--listen", action="store_true",
                         help="wait for Intuit's redirect on QBO_REDIRECT_URI's host and port (one request)")
    connect.add_argument("--answer", metavar="URL_OR_CODE",
                         help="the redirected URL, or 'CODE REALM_ID' (default: read it from the input)")
    connect.add_argument("--timeout", type=float, default=600.0,
                         help="seconds --listen waits for the redirect (default 600)")


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    app = connect_app(settings)
    _require_schema(settings.database_url)
    state = new_state()
    print("Open this address in a browser signed in to QuickBooks, and connect the company:", flush=True)
    print(authorization_url(app, state), flush=True)
    answer = _answer(args, app.redirect_uri)
    callback = parse_callback(answer)
    tokens = exchange_code(app, callback, expected_state=state, now=SystemClock().now())
    engine = make_engine(settings.database_url)
    try:
        DbTokenStore(engine).save(callback.realm_id, tokens)
    finally:
        engine.dispose()
    print(f"QuickBooks company {callback.realm_id} connected: its tokens are stored in the database.")
    if settings.qbo_realm_id != callback.realm_id:
        print(f"Set QBO_REALM_ID={callback.realm_id} to invoice in this company.")
    return 0


def connect_app(settings: Settings) -> ConnectApp:
    missing = [name.upper() for name in ("qbo_client_id", "qbo_client_secret", "qbo_redirect_uri")
               if not getattr(settings, name)]
    if missing:
        raise ConfigError(f"missing setting {', '.join(missing)} (needed to connect QuickBooks)")
    secret = settings.qbo_client_secret
    assert secret is not None  # checked above
    discovery = str(settings.qbo_discovery_url) if settings.qbo_discovery_url else None
    return ConnectApp(client_id=str(settings.qbo_client_id), client_secret=secret.get_secret_value(),
                      redirect_uri=str(settings.qbo_redirect_uri),
                      environment=discovery or settings.qbo_environment.value,
                      timeout=settings.ledgerbridge_http_timeout)


def _answer(args: argparse.Namespace, redirect_uri: str) -> str:
    if args.answer:
        return str(args.answer)
    if args.listen:
        print(f"Waiting for QuickBooks to redirect to {redirect_uri} ...", flush=True)
        return wait_for_redirect(redirect_uri, timeout=args.timeout)
    print("Then paste the address QuickBooks redirected to (or the code and the realmId):", flush=True)
    line = sys.stdin.readline()
    if not line.strip():
        raise ConfigError("no answer pasted: run `ledgerbridge qbo connect` again")
    return line


def _require_schema(database_url: str) -> None:
    if current_revision(database_url) != head_revision():
        raise ConfigError("the database is not at the newest schema: run `ledgerbridge db upgrade` first")
