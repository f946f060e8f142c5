"""The benchmarks run end to end in their smallest configuration and print their tables (no timing asserted)."""
from __future__ import annotations

import os

import pytest

from bench import burst, burst_report, intake, slack_ack
from bench.intake import DEFAULT_PG_URL


def table_header(output: str, first_column: str) -> list[str]:
    line = next(line for line in output.splitlines() if line.startswith(f"| {first_column}"))
    return [cell.strip() for cell in line.strip("|").split("|")]


def test_slack_ack_prints_each_engine_beside_the_ack_only_reference(capsys: pytest.CaptureFixture[str]):
    pg_url = os.environ.get("LEDGERBRIDGE_TEST_PG_URL") or DEFAULT_PG_URL
    assert slack_ack.main(["--quick", "--pg-url", pg_url]) == 0
    output = capsys.readouterr().out
    assert table_header(output, "rate/s") == slack_ack.COLUMNS
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in output.splitlines()
            if line.startswith("|     20 |")]
    engines = [row[1] for row in rows]
    assert engines[:2] == [slack_ack.REFERENCE, "SQLite"]                # the reference first, at the same rate
    assert "PostgreSQL" in engines or "PostgreSQL not measured" in output
    assert all(row[2] == "20" for row in rows)                           # 1 s at 20/s = 20 sent to each
    assert all(row[9].endswith("x") for row in rows if row[1] != slack_ack.REFERENCE)


def test_intake_prints_first_sync_memory_and_incremental_poll_per_size(capsys: pytest.CaptureFixture[str]):
    pg_url = os.environ.get("LEDGERBRIDGE_TEST_PG_URL") or DEFAULT_PG_URL
    assert intake.main(["--quick", "--pg-url", pg_url]) == 0
    output = capsys.readouterr().out
    assert table_header(output, "database") == intake.COLUMNS
    sqlite_rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in output.splitlines()
                   if line.startswith("|") and "SQLite" in line]
    assert [row[1] for row in sqlite_rows] == ["20", "40"]              # every size, every record ingested
    assert all(row[6] == "10" for row in sqlite_rows)                   # 10 edited, then polled again
    assert "PostgreSQL" in output
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
