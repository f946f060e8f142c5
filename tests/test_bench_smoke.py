"""The benchmarks run end to end in their smallest configuration and print their tables (no timing asserted)."""
from __future__ import annotations

import os

import pytest

from bench import burst, burst_report, intake, slack_ack
from bench.intake import DEFAULT_PG_URL


def table_header(output: str, first_column: str) -> list[str]:
    line = next(line for line in output.splitlines() if line.startswith(f"| {first_column}"))
    return [cell.strip() for cell in line.strip("|").split("|")]


def test_slack_ack_prints_both_variants_and_the_p99_ratio(capsys: pytest.CaptureFixture[str]):
    assert slack_ack.main(["--seconds", "0.5", "--rates", "20", "--warmup", "0", "--drain", "3"]) == 0
    output = capsys.readouterr().out
    assert table_header(output, "rate/s")[:10] == ["rate/s", "variant", "sent", "ok", "errors", "> 3 s",
                                                    "p50 ms", "p95 ms", "p99 ms", "max ms"]
    rows = [line for line in output.splitlines() if line.startswith("|     20 |")]
    assert any(slack_ack.OURS in row for row in rows) and any(slack_ack.BASELINE in row for row in rows)
    assert all(" 10 | " in row for row in rows if "(" in row)            # 0.5 s at 20/s = 10 sent each
    assert "p99 ratio baseline/ours" in output and "3 s" in output


def test_intake_prints_records_per_second_per_database(capsys: pytest.CaptureFixture[str]):
    pg_url = os.environ.get("LEDGERBRIDGE_TEST_PG_URL") or DEFAULT_PG_URL
    assert intake.main(["-n", "20", "--pg-url", pg_url]) == 0
    output = capsys.readouterr().out
    assert table_header(output, "database") == intake.COLUMNS
    sqlite_row = next(line for line in output.splitlines() if line.startswith("|") and "SQLite" in line)
    assert [cell.strip() for cell in sqlite_row.strip("|").split("|")][1] == "20"      # every record ingested
    assert "records/s ratio SQLite/PostgreSQL" in output or "PostgreSQL not measured" in output
    assert "worker is NOT running" in output


def test_burst_prints_throughput_calls_and_confirmation_lag(capsys: pytest.CaptureFixture[str]):
    assert burst.main(["--deals", "40", "--configs", "sqlite", "--latency-ms", "0", "--announce-wait", "0"]) == 0
    output = capsys.readouterr().out
    assert table_header(output, "configuration")[:3] == ["configuration", "deals", "invoiced"]
    quickbooks_row = next(line for line in output.splitlines() if line.startswith("| SQLite")
                          and len(line.split("|")) == len(burst_report.QUICKBOOKS) + 2)
    cells = [cell.strip() for cell in quickbooks_row.strip("|").split("|")]
    assert cells[9:11] == ["0", "0"]                                    # no duplicates, no losses
    throughput_row = next(line for line in output.splitlines() if line.startswith("| SQLite"))
    assert [cell.strip() for cell in throughput_row.strip("|").split("|")][1:3] == ["40", "40"]
    assert "Ceiling: 1,200 invoices/min" in output
