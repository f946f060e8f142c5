"""The emulator's SOQL subset (pure): `parse_soql` text to AST, `execute` it over in-memory records.

Supported: field lists with parent paths (Account.Name), one level of child subqueries with their own
WHERE/ORDER BY/LIMIT, WHERE with AND/OR/NOT/parentheses (mixing AND and OR needs parentheses, as in
Salesforce), = != <> < <= > >=, [NOT] IN, LIKE, null/true/false, strings with escapes, numbers, date
and datetime literals, ORDER BY ... ASC/DESC NULLS FIRST/LAST, LIMIT, OFFSET, COUNT().
"""
from __future__ import annotations

from app.sandbox.salesforce.soql_ast import Query, SoqlError
from app.sandbox.salesforce.soql_eval import QueryResult, RecordSource, execute, like_regex
from app.sandbox.salesforce.soql_parser import parse_soql

__all__ = ["Query", "QueryResult", "RecordSource", "SoqlError", "execute", "like_regex", "parse_soql",
           "run_soql"]


def run_soql(text: str, source: RecordSource, *, api_version: str) -> QueryResult:
    return execute(parse_soql(text), source, api_version=api_version)
