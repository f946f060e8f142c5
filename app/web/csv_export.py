"""CSV downloads: money as plain decimals, times ISO-8601 UTC beside the viewer's zone, and no cell a spreadsheet
would run as a formula (a leading = + - @, tab or carriage return gets a quote in front)."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from decimal import Decimal

from starlette.responses import Response

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
Cell = str | int | Decimal | datetime | bool | None


def cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, int):
        return str(value)
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def render(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([cell(value) for value in row] for row in rows)
    return buffer.getvalue()


def download(filename: str, header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> Response:
    return Response(render(header, rows), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"',
                             "Cache-Control": "no-store"})
