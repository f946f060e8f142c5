"""CSV cells: formulas defused, money as plain decimals, times ISO-8601 UTC (pure)."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from app.web.csv_export import cell, render


def test_cells_that_a_spreadsheet_would_run_get_a_quote() -> None:
    assert [cell(text) for text in ("=1+2", "+1", "-3", "@SUM(A1)", "\tx", "plain", "a=b")] == [
        "'=1+2", "'+1", "'-3", "'@SUM(A1)", "'\tx", "plain", "a=b"]


def test_money_times_and_empties() -> None:
    assert cell(Decimal("1200.50")) == "1200.50" and cell(Decimal("1E+3")) == "1000"
    assert cell(Decimal("-5.00")) == "-5.00"                  # a number, not text: left as it is
    assert cell(datetime(2026, 11, 24, 10, 0, tzinfo=timezone(timedelta(hours=-5)))) == "2026-11-24T15:00:00Z"
    assert (cell(None), cell(True), cell(7)) == ("", "true", "7")


def test_render_reads_back() -> None:
    text = render(["a", "b"], [["=x", Decimal("2.50")], ['say "hi", then', None]])
    assert list(csv.reader(io.StringIO(text))) == [["a", "b"], ["'=x", "2.50"], ['say "hi", then', ""]]
