"""`ledgerbridge sandbox slack|salesforce|quickbooks --port N`: one emulator on its own, in the foreground."""
from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import uvicorn

from app.sandbox.env_snippets import credentials, env_snippet
from app.sandbox.quickbooks import DEMO_REALM_ID, create_quickbooks_emulator
from app.sandbox.salesforce import create_salesforce_emulator
from app.sandbox.server import bind_socket
from app.sandbox.slack import create_slack_emulator

EMULATORS: dict[str, tuple[Callable[[], Any], str]] = {
    "slack": (create_slack_emulator, "Slack Web API at /api/<method>; admin at /_admin/"),
    "salesforce": (create_salesforce_emulator, "Salesforce REST at /services/data/vNN.N/; admin at /_admin/"),
    "quickbooks": (create_quickbooks_emulator,
                   f"QuickBooks Online at /v3/company/{DEMO_REALM_ID}/ (the demo company), discovery at "
                   "/.well-known/openid_configuration; admin at /_admin/"),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("which", choices=sorted(EMULATORS), help="the API to emulate")
    parser.add_argument("--port", type=int, default=0, help="TCP port (default: a free one, printed)")
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument("--latency-ms", type=float, default=0.0,
                        help="quickbooks only: milliseconds added to every API call (Intuit's is about 200)")


def run(args: argparse.Namespace) -> int:
    if not 0 <= args.port <= 65535:
        print(f"ledgerbridge sandbox: --port must be 0..65535, got {args.port}", file=sys.stderr)
        return 2
    if args.latency_ms and args.which != "quickbooks":
        print("ledgerbridge sandbox: --latency-ms is for the quickbooks emulator", file=sys.stderr)
        return 2
    if not 0 <= args.latency_ms <= 60_000:
        print(f"ledgerbridge sandbox: --latency-ms must be 0..60000, got {args.latency_ms:g}", file=sys.stderr)
        return 2
    factory, description = EMULATORS[args.which]
    try:
        sock = bind_socket(args.host, args.port)
    except OSError as error:
        print(f"ledgerbridge sandbox: cannot listen on {args.host}:{args.port}: {error.strerror}", file=sys.stderr)
        return 1
    sock.listen(128)        # from now on a client may connect: it waits in the backlog until the server runs
    host, port = sock.getsockname()[:2]
    base_url = f"http://{host}:{port}"
    print(f"{args.which} emulator listening on {base_url}  (Ctrl-C to stop)", flush=True)
    print(f"  {description}", flush=True)
    for line in credentials(args.which):
        print(f"  credentials: {line}", flush=True)
    print("Point `ledgerbridge serve` at it with these lines in .env:", flush=True)
    print("\n".join(env_snippet(args.which, base_url)) + "\n", flush=True)
    emulator = factory()
    if args.which == "slack":
        emulator.state.slack.base_url = base_url       # response_urls and Socket Mode URLs name this address
    if args.latency_ms:
        emulator.state.qbo.settings.latency = timedelta(milliseconds=args.latency_ms)
        print(f"  {args.latency_ms:g} ms added to every API call", flush=True)
    uvicorn.Server(uvicorn.Config(emulator, log_level="warning", timeout_keep_alive=75)).run(sockets=[sock])
    return 0
