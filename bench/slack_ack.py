"""Ack latency of POST /slack/events under open-loop load: our AsyncApp endpoint vs a sync-bolt baseline.

    .venv/bin/python -m bench.slack_ack [--rates 50,100,200] [--seconds 3] [--timeout 10]

Both apps run under uvicorn on ephemeral loopback ports in this process, with the three emulators; the
load generator runs in a child process. Each request is a signed `/invoice-status <deal name>`.
"""
from __future__ import annotations

import argparse
import gc
import multiprocessing
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from decimal import Decimal

from app.db import Transactions
from app.intake.service import poll_changes
from app.sandbox.book import Book, Line
from app.sandbox.people import SAM
from app.sandbox.server import RunningServer, serve_in_thread
from app.sandbox.slack.state import DEFAULT_BOT_TOKEN, DEFAULT_CHANNEL_ID, SlackState
from app.sandbox.stack import SANDBOX_SIGNING_SECRET, Stack, sandbox_settings, start_app, start_emulators
from bench.load import LoadResult, run_open_loop
from bench.sync_baseline import create_sync_baseline
from bench.table import fmt, machine_line, markdown_table, percentile

SLACK_ACK_LIMIT_MS = 3000.0
WARMUP_RATE = 100
OURS, BASELINE = "ours (AsyncApp)", "baseline (sync App)"
DEAL_NAMES = [f"Bench deal {n}" for n in range(1, 6)]
COLUMNS = ["rate/s", "variant", "sent", "ok", "errors", "> 3 s", "p50 ms", "p95 ms", "p99 ms", "max ms", "answered"]


@dataclass
class Step:
    position: int               # index in --rates (a rate may repeat)
    rate: int
    variant: str
    load: LoadResult
    answered: int


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.slack_ack", description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="50,100,200", help="comma-separated request rates per second")
    parser.add_argument("--seconds", type=float, default=3.0, help="seconds of load per rate and variant")
    parser.add_argument("--timeout", type=float, default=10.0, help="client timeout per request (s)")
    parser.add_argument("--warmup", type=float, default=2.0,
                        help="seconds at 100/s per variant before measuring (not reported): pools, caches, auth.test")
    parser.add_argument("--drain", type=float, default=10.0, help="max seconds to wait for answers after a step")
    args = parser.parse_args(argv)
    args.rates = [int(rate) for rate in args.rates.split(",") if rate.strip()]
    return args


def start_ours(tmp: str) -> Stack:
    emulators = start_emulators()
    emulators.slack.retry_after_override = 0
    emulators.slack.set_rate_limit(rate=1_000_000.0, burst=1_000_000)
    stack = start_app(emulators, sandbox_settings(emulators, database_url=f"sqlite:///{tmp}/bench.db"))
    seed_deals(stack)
    return stack


def seed_deals(stack: Stack) -> None:
    """A few deals not yet delivered: /invoice-status finds them and the worker has nothing to do."""
    book = Book(stack.emulators.salesforce)
    book.add_account("Globex Inc")
    for name in DEAL_NAMES:
        book.add_deal(name, account="Globex Inc", owner_id=stack.emulators.sf_user_ids["sam"],
                      lines=[Line("Support Plan", Decimal(1))], Billing_Status__c="Not Started")
    rt = stack.runtime
    poll_changes(transactions=Transactions(rt.engine), source=rt.salesforce, customers=rt.quickbooks, policy=rt.policy,
                 clock=rt.clock)


def start_baseline(stack: Stack) -> RunningServer:
    api = create_sync_baseline(stack.runtime, signing_secret=SANDBOX_SIGNING_SECRET, token=DEFAULT_BOT_TOKEN,
                               slack_api_url=stack.emulators.url("slack") + "/api/")
    return serve_in_thread(api)


def slash_commands(state: SlackState, count: int) -> list[dict[str, str]]:
    """The form fields Slack sends for `/invoice-status <name>`, each with its own response_url."""
    return [{"token": "sandbox-verification-token", "team_id": state.team_id, "team_domain": state.team_domain,
             "channel_id": DEFAULT_CHANNEL_ID, "channel_name": state.channel_name(DEFAULT_CHANNEL_ID),
             "user_id": SAM.slack_id, "user_name": SAM.name,
             "command": "/invoice-status", "text": DEAL_NAMES[index % len(DEAL_NAMES)],
             "api_app_id": state.app_id, "is_enterprise_install": "false",
             "response_url": state.issue_response_url(user_id=SAM.slack_id, channel_id=DEFAULT_CHANNEL_ID),
             "trigger_id": state.issue_trigger(SAM.slack_id)} for index in range(count)]


def answered(state: SlackState, commands: list[dict[str, str]]) -> int:
    return sum(1 for fields in commands if state.responses(fields["response_url"].rsplit("/", 1)[1]))


def run_step(pool: ProcessPoolExecutor, state: SlackState, *, url: str, rate: int, variant: str,
             args: argparse.Namespace, position: int = -1) -> Step:
    commands = slash_commands(state, max(1, round(rate * args.seconds)))
    gc.collect()    # else the first full collection of the start-up heap (~90 ms here) lands in the first step
    load = pool.submit(run_open_loop, url=url, secret=SANDBOX_SIGNING_SECRET, commands=commands,
                       rate=rate, timeout=args.timeout).result()
    deadline = time.monotonic() + args.drain
    while (done := answered(state, commands)) < load.ok and time.monotonic() < deadline:
        time.sleep(0.1)
    return Step(position=position, rate=rate, variant=variant, load=load, answered=done)


def measure(stack: Stack, baseline: RunningServer, args: argparse.Namespace) -> list[Step]:
    """All rates on ours, then all on the baseline, so a collapsed baseline's backlog never overlaps ours."""
    state = stack.emulators.slack
    targets = {OURS: stack.app_url + "/slack/events", BASELINE: baseline.url + "/slack/events"}
    steps = []
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        for variant, url in targets.items():
            if args.warmup > 0:
                run_step(pool, state, url=url, rate=WARMUP_RATE, variant=variant, args=_warm_up(args))
            steps += [run_step(pool, state, url=url, rate=rate, variant=variant, args=args, position=position)
                      for position, rate in enumerate(args.rates)]
    return steps


def _warm_up(args: argparse.Namespace) -> argparse.Namespace:
    return argparse.Namespace(**{**vars(args), "seconds": args.warmup})


def report(steps: list[Step], args: argparse.Namespace) -> str:
    rows = [_row(step) for step in sorted(steps, key=lambda s: (s.position, s.variant != OURS))]
    ratio_rows = []
    for position, rate in enumerate(args.rates):
        p99 = {s.variant: percentile(s.load.latencies_ms, 99) for s in steps if s.position == position}
        ours, base = p99.get(OURS), p99.get(BASELINE)
        ratio = f"{base / ours:,.1f}x" if ours and base else "-"
        ratio_rows.append([str(rate), fmt(ours), fmt(base), ratio])
    kinds = [f"{s.variant} at {s.rate}/s: " + ", ".join(f"{n} x {k}" for k, n in s.load.error_kinds.most_common())
             for s in steps if s.load.error_kinds]
    return "\n".join([
        f"## Slack ack latency, POST /slack/events ({machine_line()})",
        f"`/invoice-status <name>`, signed (v0 HMAC), open loop for {args.seconds:g} s per rate; latency from each "
        "request's due time to the ack; errors = non-200 or no answer within "
        f"{args.timeout:g} s. Slack's limit for an ack is 3 s. `answered` = response_url posts received. "
        f"Warm-up: {args.warmup:g} s at {WARMUP_RATE}/s per variant, not counted. Ours runs every rate first, "
        "then the baseline. Both apps and the three emulators share this process (gc.collect() between steps); "
        "the load generator has its own.",
        "",
        markdown_table(COLUMNS, rows), "", *(["errors: " + "; ".join(kinds), ""] if kinds else []),
        markdown_table(["rate/s", f"p99 {OURS} ms", f"p99 {BASELINE} ms", "p99 ratio baseline/ours"], ratio_rows),
    ])


def _row(step: Step) -> list[str]:
    lat = step.load.latencies_ms
    late = sum(1 for value in lat if value > SLACK_ACK_LIMIT_MS)
    return [str(step.rate), step.variant, fmt(step.load.sent), fmt(step.load.ok), fmt(step.load.errors), fmt(late),
            fmt(percentile(lat, 50)), fmt(percentile(lat, 95)), fmt(percentile(lat, 99)), fmt(max(lat, default=None)),
            fmt(step.answered)]


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="lb-bench-") as tmp:
        stack = start_ours(tmp)
        baseline = start_baseline(stack)
        try:
            steps = measure(stack, baseline, args)
        finally:
            baseline.stop()
            stack.stop()
    print(report(steps, args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
