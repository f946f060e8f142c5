"""The web dashboard: ROI tiles, exceptions by root cause, the open exceptions list, and the same numbers as JSON.

Routes are plain `def`s: FastAPI runs them in its thread pool, so database reads never block the event loop.
"""
from __future__ import annotations

from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from app.db import session_scope
from app.exception_queue import queries
from app.exception_queue.digest import ItemView
from app.metrics.roi import WINDOWS, BadWindow, RoiMetrics, parse_window, roi_metrics
from app.runtime import Runtime
from app.slack.presenters import record_url
from app.web import views
from app.web.api_json import metrics_json
from app.web.auth import COOKIE_MAX_AGE, COOKIE_NAME, Access, DashboardGate, address_without_token

PAGE_SIZE = 50
TEMPLATES = Path(__file__).with_name("templates")
UNAUTHORIZED = "This dashboard needs its token: open it once with ?token=... or send Authorization: Bearer ..."


class BadPage(ValueError):
    """A page number that is not a positive whole number."""


def parse_page(raw: str | None) -> int:
    if raw is None or raw.strip() == "":
        return 1
    try:
        page = int(raw.strip())
    except ValueError:
        raise BadPage(f"page must be a whole number from 1, not {raw[:40]!r}") from None
    if page < 1:
        raise BadPage(f"page must be a whole number from 1, not {page}")
    return page


def build_templates() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True),
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def build_dashboard_router(runtime: Runtime) -> APIRouter:
    templates, gate = build_templates(), DashboardGate(runtime.settings.ledgerbridge_dashboard_token)
    router = APIRouter(prefix="/dashboard", include_in_schema=False)

    def page(name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        return HTMLResponse(templates.get_template(name).render(**context), status_code=status_code)

    def error_page(status: int, message: str) -> HTMLResponse:
        return page("error.html", status, message=message, status=status)

    def guard_html(request: Request) -> Response | None:
        access = gate.check(request)
        if access is Access.DENIED:
            return _with_challenge(error_page(401, UNAUTHORIZED))
        if access is Access.SET_COOKIE:
            return _set_cookie(RedirectResponse(address_without_token(request), 303), gate, request)
        return None

    @router.get("")
    def dashboard(request: Request) -> Response:
        if (refusal := guard_html(request)) is not None:
            return refusal
        try:
            days = parse_window(request.query_params.get("days"))
        except BadWindow as bad:
            return error_page(400, str(bad))
        metrics = _read_metrics(runtime, days)
        tz = runtime.policy.zone
        return page("dashboard.html", metrics=metrics, windows=WINDOWS, tiles=views.tiles(metrics, runtime.policy),
                    causes=views.cause_rows(metrics, runtime.policy, tz), as_of=views.when(metrics.now, tz),
                    since=views.when(metrics.since, tz), zone=runtime.policy.timezone)

    @router.get("/exceptions")
    def exceptions(request: Request) -> Response:
        if (refusal := guard_html(request)) is not None:
            return refusal
        try:
            number = parse_page(request.query_params.get("page"))
        except BadPage as bad:
            return error_page(400, str(bad))
        total, items, now = _read_exceptions(runtime, number)
        last = max(1, -(-total // PAGE_SIZE))
        tz = runtime.policy.zone
        return page("exceptions.html", lines=views.exception_lines(items, tz), total=total, page=number, last=last, as_of=views.when(now, tz), zone=runtime.policy.timezone)

    @router.get("/api/metrics")
    def api_metrics(request: Request) -> Response:
        access = gate.check(request)
        if access is Access.DENIED:
            return _with_challenge(JSONResponse({"error": UNAUTHORIZED}, 401))
        try:
            days = parse_window(request.query_params.get("days"))
        except BadWindow as bad:
            return JSONResponse({"error": str(bad)}, 400)
        response = JSONResponse(metrics_json(_read_metrics(runtime, days)))
        return _set_cookie(response, gate, request) if access is Access.SET_COOKIE else response

    return router


def _read_metrics(runtime: Runtime, days: int) -> RoiMetrics:
    with session_scope(runtime.engine) as session:
        return roi_metrics(session, now=runtime.clock.now(), days=days, tz=runtime.policy.zone)


def _read_exceptions(runtime: Runtime, number: int) -> tuple[int, list[ItemView], datetime]:
    """(open count, that page's item views, now): SLA-breached first, then soonest due."""
    now = runtime.clock.now()
    instance = runtime.settings.salesforce_instance_url
    link = partial(record_url, str(instance) if instance else None, "Opportunity")
    with session_scope(runtime.engine) as session:
        everything = queries.Filter()
        total = queries.count_open(session, filter_=everything)
        rows = queries.page_rows(session, filter_=everything, offset=(number - 1) * PAGE_SIZE, limit=PAGE_SIZE)
        items = queries.views(rows, now=now, policy=runtime.policy, record_link=link)
    return total, items, now


def _with_challenge(response: Response) -> Response:
    response.headers["WWW-Authenticate"] = 'Bearer realm="ledgerbridge-dashboard"'
    return response


def _set_cookie(response: Response, gate: DashboardGate, request: Request) -> Response:
    response.set_cookie(COOKIE_NAME, gate.cookie_value(), max_age=COOKIE_MAX_AGE, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https", path="/dashboard")
    return response
