"""The web dashboard: ROI tiles, exceptions by root cause, the open exceptions list, and the same numbers as JSON.

Routes are plain `def`s: FastAPI runs them in its thread pool, so database reads never block the event loop.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from app.db import session_scope
from app.errors import IntegrationError
from app.exception_queue import queries
from app.exception_queue.digest import ItemView
from app.golive.shadow_report import build_shadow_report
from app.links import record_url
from app.metrics.roi import WINDOWS, BadWindow, RoiMetrics, parse_window, roi_metrics
from app.runtime import Runtime
from app.web import chart_views, views
from app.web.api_json import metrics_json
from app.web.auth import COOKIE_MAX_AGE, COOKIE_NAME, Access, DashboardGate, address_without_token
from app.web.operations import add_operation_routes
from app.web.overview import BadFilter, read_overview
from app.web.signin import audience_filter
from app.web.viewer import remember, viewer_of

PAGE_SIZE = 50
MAX_PAGE = 100_000
"""Keeps the OFFSET within what every database takes."""
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
        raise BadPage(f"page must be a whole number from 1 to {MAX_PAGE}, not {raw[:40]!r}") from None
    if not 1 <= page <= MAX_PAGE:
        raise BadPage(f"page must be a whole number from 1 to {MAX_PAGE}, not {page}")
    return page


def build_templates() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True),
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


@dataclass(frozen=True, slots=True)
class Dashboard:
    """The three pages, bound to the runtime they read from."""

    runtime: Runtime
    templates: Environment
    gate: DashboardGate

    def overview(self, request: Request) -> Response:
        if (refusal := self._guard(request)) is not None:
            return refusal
        query = request.query_params
        try:
            days = parse_window(query.get("days"))
            overview = read_overview(self.runtime, days=days, segment=query.get("segment"), realm=query.get("realm"))
        except (BadWindow, BadFilter) as bad:
            return self._error(400, str(bad))
        metrics, policy = overview.metrics, self.runtime.policy
        viewer = viewer_of(self.runtime, request)
        causes = views.cause_rows(metrics, policy, policy.zone)
        return remember(self._page(
            "dashboard.html", metrics=metrics, windows=WINDOWS, overview=overview, causes=causes,
            tiles=views.tiles(metrics, policy) + chart_views.more_tiles(overview, policy),
            charts=[Markup(chart) for chart in chart_views.charts(overview.charts,
                                                                  partial(views.cause_label, policy=policy))],
            definitions=chart_views.definitions(policy.metrics.first_pass_window_days,
                                                policy.metrics.minutes_per_manual_invoice,
                                                policy.metrics.minutes_per_exception_fix, policy.currency.home,
                                                viewer.zone_name),
            zone=viewer.zone_name, as_of=views.when(metrics.now, viewer.zone),
            since=views.when(metrics.since, viewer.zone)), viewer)

    def exceptions(self, request: Request) -> Response:
        if (refusal := self._guard(request)) is not None:
            return refusal
        try:
            number = parse_page(request.query_params.get("page"))
        except BadPage as bad:
            return self._error(400, str(bad))
        total, items, now = _read_exceptions(self.runtime, number, audience_filter(request))
        viewer = viewer_of(self.runtime, request, people=[item.owner_slack_id for item in items])
        lines = views.exception_lines(items, viewer.zone, name_of=viewer.name_of)
        return remember(self._page("exceptions.html", lines=lines, total=total, page=number,
                                   last=max(1, -(-total // PAGE_SIZE)), as_of=views.when(now, viewer.zone),
                                   zone=viewer.zone_name), viewer)

    def shadow(self, request: Request) -> Response:
        """Reads QuickBooks (queries only) for finance's invoices; a vendor failure is a clear 503 page."""
        if (refusal := self._guard(request)) is not None:
            return refusal
        try:
            report = build_shadow_report(self.runtime)
        except IntegrationError as error:
            return self._error(503, f"QuickBooks could not be read for the shadow report: {error}")
        return self._page("shadow.html", rows=views.shadow_rows(report), mode=self.runtime.policy.mode.value,
                          window=report.window_days, summary=views.shadow_summary(report))

    def api_metrics(self, request: Request) -> Response:
        access = self.gate.check(request)
        if access is Access.DENIED:
            return _with_challenge(JSONResponse({"error": UNAUTHORIZED}, 401))
        try:
            days = parse_window(request.query_params.get("days"))
        except BadWindow as bad:
            return JSONResponse({"error": str(bad)}, 400)
        response = JSONResponse(metrics_json(_read_metrics(self.runtime, days)))
        return _set_cookie(response, self.gate, request) if access is Access.SET_COOKIE else response

    def _guard(self, request: Request) -> Response | None:
        access = self.gate.check(request)
        if access is Access.DENIED:
            return _with_challenge(self._error(401, UNAUTHORIZED))
        if access is Access.SET_COOKIE:
            return _set_cookie(RedirectResponse(address_without_token(request), 303), self.gate, request)
        return None

    def _page(self, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        return HTMLResponse(self.templates.get_template(name).render(**context), status_code=status_code)

    def _error(self, status: int, message: str) -> HTMLResponse:
        return self._page("error.html", status, message=message, status=status)


def build_dashboard_router(runtime: Runtime) -> APIRouter:
    """GET /dashboard, /dashboard/exceptions and /dashboard/api/metrics (plain defs: run in the thread pool)."""
    settings = runtime.settings        # with Sign in with Slack on, app/web/gate.py guards (token for the JSON API)
    dashboard = Dashboard(runtime, build_templates(),
                          DashboardGate(None if settings.slack_sign_in else settings.ledgerbridge_dashboard_token))
    router = APIRouter(prefix="/dashboard", include_in_schema=False)
    router.add_api_route("", dashboard.overview, methods=["GET"])
    router.add_api_route("/exceptions", dashboard.exceptions, methods=["GET"])
    router.add_api_route("/shadow", dashboard.shadow, methods=["GET"])
    router.add_api_route("/api/metrics", dashboard.api_metrics, methods=["GET"])
    add_operation_routes(router, runtime, dashboard.templates, dashboard._guard)
    return router


def _read_metrics(runtime: Runtime, days: int) -> RoiMetrics:
    with session_scope(runtime.engine) as session:
        return roi_metrics(session, now=runtime.clock.now(), days=days, tz=runtime.policy.zone,
                           home_currency=runtime.policy.currency.home)


def _read_exceptions(runtime: Runtime, number: int,
                     everything: queries.Filter) -> tuple[int, list[ItemView], datetime]:
    """(open count, that page's item views, now): SLA-breached first, then soonest due."""
    now = runtime.clock.now()
    link = partial(record_url, runtime.settings.salesforce_base_url, "Opportunity")
    with session_scope(runtime.engine) as session:
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
