"""Query result paging: `nextRecordsUrl` cursors such as 01gLB0000000001-2000 (id of the result, offset)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.sandbox.salesforce.errors import ApiError
from app.sandbox.salesforce.soql import QueryResult

QueryPage = dict[str, Any]


def _invalid_locator() -> ApiError:
    return ApiError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")


@dataclass
class _Cursor:
    result: QueryResult
    page_size: int


class CursorStore:
    def __init__(self) -> None:
        self._cursors: dict[str, _Cursor] = {}
        self._counter = 0

    def first_page(self, result: QueryResult, *, page_size: int, api_version: str) -> QueryPage:
        self._counter += 1
        cursor_id = f"01gLB{self._counter:010d}"
        self._cursors[cursor_id] = _Cursor(result, page_size)
        return self._page(cursor_id, 0, api_version)

    def next_page(self, locator: str, *, api_version: str) -> QueryPage:
        cursor_id, _, offset_text = locator.partition("-")
        if cursor_id not in self._cursors or not offset_text.isdigit():
            raise _invalid_locator()
        offset = int(offset_text)
        if offset >= self._cursors[cursor_id].result.total_size:
            raise _invalid_locator()
        return self._page(cursor_id, offset, api_version)

    def _page(self, cursor_id: str, offset: int, api_version: str) -> QueryPage:
        cursor = self._cursors[cursor_id]
        end = offset + cursor.page_size
        records = cursor.result.records[offset:end]
        done = end >= len(cursor.result.records)
        page: QueryPage = {"totalSize": cursor.result.total_size, "done": done}
        if done:
            self._cursors.pop(cursor_id, None)
        else:
            page["nextRecordsUrl"] = f"/services/data/v{api_version}/query/{cursor_id}-{end}"
        page["records"] = records
        return page
