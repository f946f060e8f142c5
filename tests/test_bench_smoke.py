"""The benchmarks run end to end in their smallest configuration and print their tables (no timing asserted)."""
from __future__ import annotations

import os

import pytest

from bench import intake, slack_ack
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
