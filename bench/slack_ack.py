"""Ack latency of `ledgerbridge web` under a mixed signed load while a worker drains a backlog, on SQLite and on
PostgreSQL, against a minimal bolt AsyncApp that only acks (the reference), in the same run.

    .venv/bin/python -m bench.slack_ack [--rates 50,100,200] [--seconds 20] [--engines sqlite,pg] [--quick]

Every process as in production (see bench/ack_stack.py): `ledgerbridge web` and `ledgerbridge worker` each their
own OS process per engine, the QuickBooks emulator in its own with 200 ms per call, the reference app in its own,
and the open-loop load generator (httpx, asyncio) in its own. The load is one third Approve clicks on distinct
real pending approval requests, one third `/invoice-status <deal>`, one third `/exceptions`, each HMAC-signed
with a fresh timestamp. At each rate the reference is measured first, then ours, with the same bodies, so both
see the same machine; the worker keeps draining its backlog throughout (invoices, approval posts, answers).
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import tempfile
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from app.sandbox.stack import SANDBOX_SIGNING_SECRET
from bench.ack_stack import EngineStack, engine_stack, mixed_load, reference_app
from bench.intake import DEFAULT_PG_URL, pg_unreachable
from bench.load import LoadResult, run_open_loop
from bench.table import fmt, machine_line, markdown_table, percentile

REFERENCE = "reference (ack only)"
ENGINES = {"sqlite": "SQLite", "pg": "PostgreSQL"}
COLUMNS = ["rate/s", "engine", "sent", "ok", "errors", "p50 ms", "p95 ms", "p99 ms", "max ms", "p99 / reference p99"]
TARGET_P99_MS, TARGET_RATIO = 50.0, 1.5


@dataclass
class Step:
    rate: int
    engine: str
    load: LoadResult
    reference_p99: float | None = None

    @property
    def p99(self) -> float | None:
        return percentile(self.load.latencies_ms, 99)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.slack_ack", description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="50,100,200", help="comma-separated request rates per second")
    parser.add_argument("--seconds", type=float, default=20.0, help="seconds of load per rate and target")
    parser.add_argument("--engines", default="sqlite,pg", help="comma-separated: sqlite, pg")
    parser.add_argument("--backlog", type=int, default=1000, help="billable deals queued for the worker")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds at the first rate per target, not counted")
    parser.add_argument("--timeout", type=float, default=10.0, help="client timeout per request (s)")
    parser.add_argument("--latency-ms", type=float, default=200.0, help="added to every QuickBooks call")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL, help="PostgreSQL maintenance URL (trust auth)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 20/s for 1 s, a backlog of 20")
    args = parser.parse_args(argv)
    if args.quick:
        args.rates, args.seconds, args.backlog, args.warmup = "20", 1.0, 20, 0.5
    args.rates = [int(rate) for rate in str(args.rates).split(",") if rate.strip()]
    unknown = [key for key in args.engines.split(",") if key not in ENGINES]
    if unknown:
        parser.error(f"unknown engine(s) {', '.join(unknown)}; choose from {', '.join(ENGINES)}")
    args.engines = [ENGINES[key] for key in args.engines.split(",")]
    return args


def clicks_needed(args: argparse.Namespace) -> int:
    sends = sum(round(rate * args.seconds) for rate in args.rates) + round(args.rates[0] * args.warmup)
    return sends // 3 + len(args.rates) + 2


def measure_engine(pool: ProcessPoolExecutor, stack: EngineStack, reference_url: str,
                   args: argparse.Namespace) -> list[Step]:
    def send(url: str, bodies: list[dict[str, str]], rate: int) -> LoadResult:
        return pool.submit(run_open_loop, url=url, secret=SANDBOX_SIGNING_SECRET, commands=bodies, rate=rate,
                           timeout=args.timeout).result()

    if args.warmup > 0:
        warm = mixed_load(stack, max(3, round(args.rates[0] * args.warmup)))
        send(reference_url, warm, args.rates[0])
        send(stack.url, warm, args.rates[0])
    steps = []
    for rate in args.rates:
        bodies = mixed_load(stack, max(3, round(rate * args.seconds)))
        reference = Step(rate, REFERENCE, send(reference_url, bodies, rate))
        ours = Step(rate, stack.engine_name, send(stack.url, bodies, rate), reference_p99=reference.p99)
        if not stack.workers_alive():
            raise RuntimeError(f"{stack.engine_name}: the web or worker process died during the load")
        steps += [reference, ours]
    return steps


def report(steps: list[Step], args: argparse.Namespace, skipped: list[str], load_average: str) -> str:
    rows = []
    for step in steps:
        lat = step.load.latencies_ms
        ratio = (f"{step.p99 / step.reference_p99:,.2f}x" if step.p99 is not None and step.reference_p99
                 else "-")
        rows.append([str(step.rate), step.engine, fmt(step.load.sent), fmt(step.load.ok), fmt(step.load.errors),
                     fmt(percentile(lat, 50)), fmt(percentile(lat, 95)), fmt(step.p99),
                     fmt(max(lat, default=None)), ratio])
    kinds = [f"{s.engine} at {s.rate}/s: " + ", ".join(f"{n} x {k}" for k, n in s.load.error_kinds.most_common())
             for s in steps if s.load.error_kinds]
    return "\n".join([
        f"## Slack ack latency under a mixed load ({machine_line()}; load average {load_average})",
        f"Open loop, {args.seconds:g} s per rate and target; one third Approve clicks on distinct pending requests, "
        "one third `/invoice-status`, one third `/exceptions`, signed. Latency from each request's due time to its "
        f"ack; errors = non-200 or no answer within {args.timeout:g} s. A worker drains {args.backlog:,} billable "
        f"deals and the approval posts meanwhile (QuickBooks at {args.latency_ms:g} ms a call). Target at 100 and "
        f"200/s: no errors, p99 <= {TARGET_RATIO}x the reference and <= {TARGET_P99_MS:g} ms.",
        "", markdown_table(COLUMNS, rows), "",
        *(["errors: " + "; ".join(kinds), ""] if kinds else []),
        *([f"{', '.join(skipped)}"] if skipped else []),
    ])


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    skipped = []
    if "PostgreSQL" in args.engines and (reason := pg_unreachable(args.pg_url)) is not None:
        args.engines.remove("PostgreSQL")
        skipped.append(f"PostgreSQL not measured: {reason}")
    steps: list[Step] = []
    spawn = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory(prefix="lb-ack-") as tmp, \
            ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool, reference_app(Path(tmp)) as reference_url:
        for engine_name in args.engines:
            cwd = Path(tmp) / engine_name
            cwd.mkdir()
            with engine_stack(engine_name, approvals=clicks_needed(args), backlog=args.backlog,
                              latency_ms=args.latency_ms, pg_url=args.pg_url, cwd=cwd) as stack:
                steps += measure_engine(pool, stack, reference_url, args)
        load_average = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(report(steps, args, skipped, load_average))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
