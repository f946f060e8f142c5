"""The auditor's pages: the approval log (by person, kind, outcome, period) and the audit trail of one deal,
approval, invoice or exception, each row linked to its Slack, Salesforce and QuickBooks records; CSV downloads of
the approval log and the metrics table."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment

from app.approvals.models import ApprovalRequest
from app.db import session_scope
from app.links import invoice_url, record_url, slack_message_url
from app.metrics.roi import WINDOWS, BadWindow, parse_window, roi_metrics
from app.runtime import Runtime
from app.status.audit_trail import DecisionRecord, decision_records
from app.status.audit_view import BadSubject, VendorLinks, subject_of, trail
from app.web import csv_export
from app.web.viewer import remember, viewer_of
from app.web.views import web_link, when

Guard = Callable[[Request], Response | None]
OUTCOMES = ("approved", "rejected")


class BadLogFilter(ValueError):
    """A filter value the approval log cannot use."""


@dataclass(frozen=True, slots=True)
class LogFilter:
    days: int
    person: str | None
    kind: str | None
    outcome: str | None


@dataclass(frozen=True, slots=True)
class LogLine:
    record: DecisionRecord
    when: str
    person: str
    slack_url: str | None
    salesforce_url: str | None
    quickbooks_url: str | None


def parse_log_filter(query: dict[str, str]) -> LogFilter:
    try:
        days = parse_window(query.get("days"))
    except BadWindow as bad:
        raise BadLogFilter(str(bad)) from None
    outcome = (query.get("outcome") or "").strip() or None
    if outcome is not None and outcome not in OUTCOMES:
        raise BadLogFilter(f"outcome must be one of {', '.join(OUTCOMES)}, not {outcome[:40]!r}")
    person = (query.get("person") or "").strip() or None
    kind = (query.get("kind") or "").strip() or None
    for name, value in (("person", person), ("kind", kind)):
        if value is not None and not (len(value) <= 40 and value.replace("_", "").isalnum()):
            raise BadLogFilter(f"{name} must be an id (letters, digits, _), not {value[:40]!r}")
    return LogFilter(days=days, person=person, kind=kind, outcome=outcome)


def matches(record: DecisionRecord, filter_: LogFilter) -> bool:
    return ((filter_.person is None or record.slack_user_id == filter_.person)
            and (filter_.kind is None or record.approval_kind == filter_.kind)
            and (filter_.outcome is None or record.decision == filter_.outcome))


@dataclass(frozen=True, slots=True)
class AuditPages:
    runtime: Runtime
    templates: Environment
    guard: Guard

    def approvals(self, request: Request) -> Response:
        if (refusal := self.guard(request)) is not None:
            return refusal
        try:
            filter_ = parse_log_filter(dict(request.query_params))
        except BadLogFilter as bad:
            return self._error(400, str(bad))
        everything, chosen, messages = self._decisions(filter_)
        viewer = viewer_of(self.runtime, request, people=[record.slack_user_id for record in everything])
        links = self._links()
        lines = [LogLine(record, when(_parse(record.decided_at), viewer.zone), viewer.name_of(record.slack_user_id),
                         messages.get(record.approval_id or 0),
                         web_link(record_url(links.base_salesforce, "Opportunity", record.opportunity_id))
                         if record.opportunity_id else None,
                         web_link(invoice_url(links.quickbooks_app, record.qbo_invoice_id))) for record in chosen]
        people = sorted({(r.slack_user_id, viewer.name_of(r.slack_user_id)) for r in everything}, key=lambda p: p[1])
        kinds = sorted({r.approval_kind for r in everything if r.approval_kind})
        query = {key: value for key, value in {"days": str(filter_.days), "person": filter_.person,
                                               "kind": filter_.kind, "outcome": filter_.outcome}.items() if value}
        html = self.templates.get_template("approval_log.html").render(
            lines=lines, filter=filter_, windows=WINDOWS, people=people, kinds=kinds, outcomes=OUTCOMES,
            zone=viewer.zone_name, csv_url="/dashboard/approvals.csv?" + urlencode(query))
        return remember(HTMLResponse(html), viewer)

    def approvals_csv(self, request: Request) -> Response:
        if (refusal := self.guard(request)) is not None:
            return refusal
        try:
            filter_ = parse_log_filter(dict(request.query_params))
        except BadLogFilter as bad:
            return self._error(400, str(bad))
        _, chosen, _ = self._decisions(filter_)
        viewer = viewer_of(self.runtime, request, people=[record.slack_user_id for record in chosen])
        header = ["decided_at_utc", "zone", "decided_at_local", "decision", "approval_id", "approval_kind",
                  "approval_level", "approval_role", "deal_id", "opportunity_id", "deal_name", "slack_user_id",
                  "person", "salesforce_user_id", "comment", "qbo_invoice_id", "qbo_invoice_number",
                  "policy_version", "audit_seq"]
        rows = [[_parse(r.decided_at), viewer.zone_name, _parse(r.decided_at).astimezone(viewer.zone).isoformat(),
                 r.decision, r.approval_id, r.approval_kind, r.approval_level, r.approval_role, r.deal_id,
                 r.opportunity_id, r.deal_name, r.slack_user_id, viewer.name_of(r.slack_user_id),
                 r.salesforce_user_id, r.comment, r.qbo_invoice_id, r.qbo_invoice_number, r.policy_version,
                 r.audit_seq] for r in chosen]
        return csv_export.download("approval-log.csv", header, rows)

    def audit(self, request: Request) -> Response:
        if (refusal := self.guard(request)) is not None:
            return refusal
        try:
            subject = subject_of(dict(request.query_params))
            with session_scope(self.runtime.engine) as session:
                rows = trail(session, subject, self._links())
        except BadSubject as bad:
            return self._error(400 if "known" not in str(bad) else 404, str(bad))
        viewer = viewer_of(self.runtime, request, people=[row.actor for row in rows])
        html = self.templates.get_template("audit.html").render(
            subject=subject, zone=viewer.zone_name,
            rows=[(row, when(row.occurred_at, viewer.zone), row.actor_name or viewer.name_of(row.actor),
                   web_link(row.slack_url), web_link(row.salesforce_url), web_link(row.quickbooks_url))
                  for row in rows])
        return remember(HTMLResponse(html), viewer)

    def metrics_csv(self, request: Request) -> Response:
        if (refusal := self.guard(request)) is not None:
            return refusal
        try:
            days = parse_window(request.query_params.get("days"))
        except BadWindow as bad:
            return self._error(400, str(bad))
        policy, now = self.runtime.policy, self.runtime.clock.now()
        with session_scope(self.runtime.engine) as session:
            metrics = roi_metrics(session, now=now, days=days, tz=policy.zone, home_currency=policy.currency.home)
        viewer = viewer_of(self.runtime, request)
        header = ["metric", "value", "unit", "part", "whole", "period_days", "since_utc", "as_of_utc", "zone"]
        tail = [days, metrics.since, metrics.now, viewer.zone_name]
        rows = [[*row, *tail] for row in metric_rows(metrics, policy.currency.home)]
        return csv_export.download(f"metrics-{days}d.csv", header, rows)

    def _decisions(self, filter_: LogFilter) -> tuple[list[DecisionRecord], list[DecisionRecord],
                                                      dict[int, str | None]]:
        now = self.runtime.clock.now()
        with session_scope(self.runtime.engine) as session:
            everything = decision_records(session, since=now - timedelta(days=filter_.days), until=now + timedelta(1))
            ids = [r.approval_id for r in everything if r.approval_id is not None]
            messages = {request.id: web_link(slack_message_url(request.slack_channel, request.slack_ts))
                        for request in (session.get(ApprovalRequest, i) for i in ids) if request and request.id}
        everything.reverse()                                          # newest first
        return everything, [r for r in everything if matches(r, filter_)], messages

    def _links(self) -> VendorLinks:
        settings = self.runtime.settings
        return VendorLinks(settings.salesforce_base_url, settings.quickbooks_app_url)

    def _error(self, status: int, message: str) -> HTMLResponse:
        html = self.templates.get_template("error.html").render(message=message, status=status)
        return HTMLResponse(html, status_code=status)


def metric_rows(metrics: Any, currency: str) -> list[list[Any]]:
    """(metric, value, unit, part, whole): values as plain decimals."""
    dti, exceptions = metrics.days_to_invoice, metrics.exceptions

    def rate(name: str, value: Any) -> list[Any]:
        return [name, value.percent, "percent", value.part, value.whole]
    breach = exceptions.breach_rate
    return [["days_to_invoice_median", dti.median, "days", None, dti.count],
            ["days_to_invoice_mean", dti.mean, "days", None, dti.count],
            ["days_to_invoice_p90", dti.p90, "days", None, dti.count],
            rate("first_pass_acceptance", metrics.first_pass), rate("invoice_error_rate", metrics.error_rate),
            rate("credit_memo_frequency", metrics.credit_memos),
            ["invoices_created", metrics.invoices.count, "invoices", None, None],
            ["invoiced_amount", metrics.invoices.home_total, currency, None, None],
            ["open_exceptions", metrics.open_exceptions, "exceptions", None, None],
            ["exceptions_opened", sum(exceptions.by_cause.values()), "exceptions", None, None],
            ["sla_breach_rate", None if breach is None else (Decimal(repr(breach)) * 100).quantize(Decimal("0.1")),
             "percent", None, None],
            *[[f"exceptions_by_cause:{cause}", count, "exceptions", None, None]
              for cause, count in exceptions.by_cause.items()]]


def _parse(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))
