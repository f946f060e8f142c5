"""`ledgerbridge shadow-report`: would-be invoices beside finance's own, as a table, CSV, or a Slack summary."""
from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

from app.config import load_settings
from app.golive.shadow_report import ShadowReport, ShadowRow, build_shadow_report
from app.runtime import Runtime
from app.wiring import build_runtime

COLUMNS = ("verdict", "deal", "opportunity", "customer", "would_be_amount", "would_be_date", "by_hand_invoice",
           "by_hand_amount", "by_hand_date", "differences")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--csv", type=Path, default=None, metavar="FILE", help="also write the rows as CSV")
    parser.add_argument("--slack", default=None, metavar="CHANNEL",
                        help="also post a summary to this Slack channel id (the bot must be in it)")


def run(args: argparse.Namespace) -> int:
    runtime = build_runtime(load_settings())
    report = build_shadow_report(runtime)
    print(as_text(report))
    if args.csv is not None:
        write_csv(report, args.csv)
        print(f"CSV written to {args.csv}")
    if args.slack:
        post_summary(runtime, args.slack, report)
        print(f"summary posted to {args.slack}")
    return 0


def post_summary(runtime: Runtime, channel: str, report: ShadowReport) -> None:
    """The counts, then each row that is not the same (at most 20), as one Slack message."""
    lines = [summary(report)]
    lines += [f"• {row.verdict}: {row.deal_name or _hand_reference(row)} ({'; '.join(row.comparison.differences)})"
              for row in report.rows if row.verdict != "same"][:20]
    runtime.slack.post_message(channel, text="\n".join(lines))


def _hand_reference(row: ShadowRow) -> str:
    return f"invoice {row.comparison.by_hand.reference}" if row.comparison.by_hand else ""


def rows(report: ShadowReport) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = []
    for row in report.rows:
        ours, theirs = row.comparison.would_be, row.comparison.by_hand
        either = ours or theirs
        out.append((row.verdict, row.deal_name, ours.reference if ours else "", either.customer if either else "",
                    f"{ours.amount:.2f}" if ours else "", ours.txn_date.isoformat() if ours else "",
            theirs.reference if theirs else "", f"{theirs.amount:.2f}" if theirs else "",
            theirs.txn_date.isoformat() if theirs else "", "; ".join(row.comparison.differences)))
    return out


def as_text(report: ShadowReport) -> str:
    if not report.rows:
        return "shadow report: no would-be invoices yet (is the policy's mode shadow?)"
    table: list[tuple[str, ...]] = [COLUMNS, *rows(report)]
    widths = [min(max(len(line[i]) for line in table), 60) for i in range(len(COLUMNS))]
    lines = ["  ".join(cell[:60].ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
             for line in table]
    return "\n".join([*lines, "", summary(report)])


def summary(report: ShadowReport) -> str:
    counts = {verdict: report.count(verdict) for verdict in
              ("same", "differs", "missing in QuickBooks", "missing in Ledgerbridge")}
    return (f"Shadow report: {len(report.rows)} rows within {report.window_days} days: "
            + ", ".join(f"{count} {verdict}" for verdict, count in counts.items()))


def write_csv(report: ShadowReport, path: Path) -> None:
    try:
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(COLUMNS)
            writer.writerows(rows(report))
    except OSError as error:
        print(f"ledgerbridge shadow-report: cannot write {path}: {error.strerror}", file=sys.stderr)
        raise SystemExit(2) from None
