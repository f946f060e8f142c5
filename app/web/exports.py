"""CSV export of the open exceptions list: GET /dashboard/exceptions.csv, the rows /dashboard/exceptions shows
(the same order, the same people: a non-finance person gets only their own deals), every page at once.

Cells that a spreadsheet would run as a formula (starting with = + - @, a tab or a carriage return) are
prefixed with an apostrophe (OWASP's CSV injection advice); times are ISO 8601 UTC.
"""
from __future__ import annotations

import csv
import io
from functools import partial

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from app.db import session_scope
from app.exception_queue import queries
from app.exception_queue.digest import ItemView
from app.links import record_url
from app.runtime import Runtime
from app.web.auth import Access, DashboardGate
from app.web.signin import audience_filter

CSV_PATH = "/dashboard/exceptions.csv"
BATCH = 500
HEADER = ("id", "kind", "deal", "opportunity_id", "opportunity_url", "reason", "fix", "owner_slack_id",
          "root_cause", "cause_is_suggestion", "sla_due_at_utc", "sla_breached", "retry_count")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def row_of(item: ItemView) -> list[str]:
    values = (item.id, item.kind, item.deal_name, item.opportunity_id, item.opportunity_url, item.reason, item.fix,
              item.owner_slack_id, item.root_cause, item.cause_is_suggestion, item.sla_due_at.isoformat(),
              item.breached, item.retry_count)
    return [safe_cell(value) for value in values]


def exceptions_csv(runtime: Runtime, filter_: queries.Filter) -> str:
    now, out = runtime.clock.now(), io.StringIO()
    link = partial(record_url, runtime.settings.salesforce_base_url, "Opportunity")
    writer = csv.writer(out)
    writer.writerow(HEADER)
    with session_scope(runtime.engine) as session:
        offset = 0
        while rows := queries.page_rows(session, filter_=filter_, offset=offset, limit=BATCH):
            for item in queries.views(rows, now=now, policy=runtime.policy, record_link=link):
                writer.writerow(row_of(item))
            offset += BATCH
    return out.getvalue()


def build_exports_router(runtime: Runtime) -> APIRouter:
    """With Sign in with Slack on, app/web/gate.py guards it; else the shared dashboard token does, as the pages."""
    settings = runtime.settings
    gate = DashboardGate(None if settings.slack_sign_in else settings.ledgerbridge_dashboard_token)

    def exceptions(request: Request) -> Response:
        if gate.check(request) is Access.DENIED:
            return JSONResponse({"error": "this export needs the dashboard's token or a sign-in"}, 401,
                                headers={"WWW-Authenticate": "Bearer"})
        stamp = runtime.clock.now().strftime("%Y%m%d-%H%M")
        return Response(exceptions_csv(runtime, audience_filter(request)), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="exceptions-{stamp}.csv"'})
    router = APIRouter(include_in_schema=False)
    router.add_api_route(CSV_PATH, exceptions, methods=["GET"])
    return router
