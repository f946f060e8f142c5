"""The burst benchmark's tables: throughput against the ceiling, QuickBooks calls, Slack confirmation lag."""
from __future__ import annotations

import argparse
import math

from bench.burst_measure import Measured
from bench.burst_seed import BurstMix
from bench.table import fmt, machine_line, markdown_table

BATCHES_PER_MINUTE, OPERATIONS_PER_BATCH = 40, 30
CEILING_PER_MINUTE = BATCHES_PER_MINUTE * OPERATIONS_PER_BATCH
STEADY_AFTER = 60.0     # the first minute spends budgets that start full: a rate after it is the sustained one
THROUGHPUT = ["configuration", "deals", "invoiced", "first invoice s", "last invoice s", "invoices/min",
              "% of ceiling", "after 1st min /min", "% of ceiling after 1st min"]
QUICKBOOKS = ["configuration", "QB calls", "calls/invoice", "batch requests", "invoices/batch", "peak req/s",
              "peak req/min", "peak batches/min", "429s", "duplicates", "losses"]
SLACK = ["configuration", "confirmed", "still queued", "lag p50 s", "lag p95 s", "lag max s"]


def per_minute(run: Measured) -> float | None:
    return run.invoiced / run.seconds * 60 if run.seconds else None


def after_first_minute(run: Measured) -> float | None:
    later = [at for at in run.created_after if at > STEADY_AFTER]
    span = run.seconds - STEADY_AFTER
    return len(later) / span * 60 if span >= 30 and later else None


def share(rate: float | None) -> str:
    return "-" if rate is None else f"{rate / CEILING_PER_MINUTE:.0%}"


def lag(values: list[float | None], q: float) -> str:
    """A percentile of the confirmation lags, where a confirmation still queued counts as later than any."""
    if not values:
        return "-"
    ranked = sorted(values, key=lambda value: float("inf") if value is None else value)
    value = ranked[max(1, math.ceil(q / 100 * len(ranked))) - 1]        # nearest rank, as bench.table's
    return "still queued" if value is None else fmt(value)


def _rows(runs: list[Measured]) -> tuple[list[list[str]], list[list[str]], list[list[str]]]:
    throughput, quickbooks, slack = [], [], []
    for run in runs:
        rate, steady = per_minute(run), after_first_minute(run)
        throughput.append([run.label, fmt(run.deals), fmt(run.invoiced), fmt(min(run.created_after, default=None)),
                           fmt(run.seconds), fmt(rate, 0), share(rate), fmt(steady, 0), share(steady)])
        batches = run.counters.get("batches", 0)
        quickbooks.append([run.label, fmt(run.calls), fmt(run.calls / run.invoiced if run.invoiced else None, 3),
                           fmt(batches), fmt(run.invoiced / batches if batches else None),
                           fmt(run.counters.get("peak_per_second")), fmt(run.counters.get("peak_per_minute")),
                           fmt(run.counters.get("peak_batch_per_minute")), fmt(run.counters.get("throttled_429")),
                           fmt(run.duplicates), fmt(run.losses)])
        done = [value for value in run.lags if value is not None]
        slack.append([run.label, fmt(len(done)), fmt(len(run.lags) - len(done)), lag(run.lags, 50),
                      lag(run.lags, 95), fmt(max(done, default=None))])
    return throughput, quickbooks, slack


def report(runs: list[Measured], mix: BurstMix | None, args: argparse.Namespace, no_pg: str | None) -> str:
    throughput, quickbooks, slack = _rows(runs)
    lines = [f"## Month-end burst, `ledgerbridge worker` processes ({machine_line()})",
             f"{args.deals} billable deals" + (f" ({mix.lines} lines, 1 to 20 each; {mix.existing_accounts} "
                                               f"existing customers; {mix.deals_for_new_accounts} deals of "
                                               f"{mix.new_accounts} new customers)" if mix else "")
             + f", read by our intake before the clock; the QuickBooks emulator in its own process with "
             f"{args.latency_ms:g} ms per call and Intuit's limits (10/s, 500/min per company, 40 batch "
             "requests/min); Salesforce and Slack emulators in the benchmark's process; times from the "
             "workers' launch (their start-up included) to each invoice's record in our database.",
             f"Ceiling: {CEILING_PER_MINUTE:,} invoices/min = {BATCHES_PER_MINUTE} batch requests/min x "
             f"{OPERATIONS_PER_BATCH} operations. Single creates top out at 500/min (the per-company limit; 10/s "
             "would allow 600), so batches are the only way above it. A run shorter than a minute can beat the "
             "ceiling: every per-minute budget starts full.", "",
             markdown_table(THROUGHPUT, throughput), "", markdown_table(QUICKBOOKS, quickbooks), "",
             f"Slack confirmations (ANNOUNCE_INVOICE done minus invoice recorded), waited for at most "
             f"{args.announce_wait:g} s after the last invoice; chat.postMessage allows about 1 message a second "
             "per channel and every confirmation here goes to the approvals channel.", "",
             markdown_table(SLACK, slack)]
    if no_pg is not None:
        lines += ["", f"PostgreSQL not measured: {no_pg}."]
    return "\n".join(lines)
