"""The exception queue on the dashboard: filters (state, root cause, owner, age), the same controls as Slack
(POST forms with a CSRF token, recorded for the worker: app/web/exception_actions.py) and its CSV download."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment

from app.db import session_scope
from app.exception_queue import queries
from app.exception_queue.digest import ItemView
from app.links import record_url
from app.runtime import Runtime
from app.status import exception_list
from app.web import csrf, csv_export
from app.web.exception_actions import BadAction, Refused, record_action
from app.web.identity import current_viewer
from app.web.viewer import Viewer, remember, viewer_of
from app.web.views import web_link, when

Guard = Callable[[Request], Response | None]
QUEUE_LIMIT = 200
NOTICES = {"retry": "Retry queued: the worker runs the failed step again; its outcome shows here in a moment.",
           "tag": "Root cause tagging queued.", "assign": "Assignment queued.",
           "resolve": "Resolution queued: the item closes in a moment."}
SIGN_IN = ("Acting from the dashboard needs to know who you are: open it through the company's sign-in "
           "(the SSO proxy names you by e-mail), then try again.")


@dataclass(frozen=True, slots=True)
class QueueLine:
    id: int
    status: str
    due: str
    opened: str
    age_days: int
    kind: str
    deal_name: str
    deal_url: str | None
    reason: str
    owner: str
    cause: str
    breached: bool
    resolution: str | None
    last_retry: str | None


@dataclass(frozen=True, slots=True)
class QueuePages:
    runtime: Runtime
    templates: Environment
    guard: Guard

    def page(self, request: Request) -> Response:
        if (refusal := self.guard(request)) is not None:
            return refusal
        try:
            filter_, lines, total, viewer, people = self._read(request)
        except exception_list.BadQueueFilter as bad:
            return self._error(400, str(bad))
        policy = self.runtime.policy
        notice = NOTICES.get(request.query_params.get("done", ""))
        html = self.templates.get_template("queue.html").render(
            lines=lines, total=total, filter=filter_, states=exception_list.STATES, zone=viewer.zone_name,
            causes=[(cause.key, cause.label) for cause in policy.root_causes], people=people,
            csrf_token=csrf.token_for(request), notice=notice, as_of=when(self.runtime.clock.now(), viewer.zone),
            csv_url="/dashboard/queue.csv?" + urlencode(_filter_query(filter_)))
        return csrf.remember(request, remember(HTMLResponse(html), viewer))

    def download(self, request: Request) -> Response:
        if (refusal := self.guard(request)) is not None:
            return refusal
        try:
            filter_ = exception_list.parse_filter(dict(request.query_params), causes=self._causes())
        except exception_list.BadQueueFilter as bad:
            return self._error(400, str(bad))
        now = self.runtime.clock.now()
        with session_scope(self.runtime.engine) as session:
            items = self._views(exception_list.rows(session, filter_, now=now), now)
        viewer = viewer_of(self.runtime, request)
        header = ["id", "status", "kind", "deal", "opportunity_id", "reason", "owner_slack_id", "root_cause",
                  "sla_due_at_utc", "breached", "resolved_by", "resolution", "retry_count", "zone", "sla_due_local"]
        rows = [[item.id, item.status, item.kind, item.deal_name, item.opportunity_id, item.reason,
                 item.owner_slack_id, item.root_cause, item.sla_due_at, item.breached, item.resolved_by,
                 item.resolution, item.retry_count, viewer.zone_name,
                 item.sla_due_at.astimezone(viewer.zone).isoformat()] for item in items]
        return csv_export.download("exceptions.csv", header, rows)

    def act(self, request: Request, item_id: int, action: str, form: dict[str, str]) -> Response:
        if (refusal := self.guard(request)) is not None:
            return refusal
        if not csrf.valid(request, form.get(csrf.FIELD)):
            return self._error(403, "This form has expired or did not come from the dashboard: reload the page "
                                    "and try again. Nothing was changed.")
        actor = current_viewer(request)
        if actor is None:
            return self._error(403, SIGN_IN + " Nothing was changed.")
        try:
            record_action(self.runtime, action=action, item_id=item_id, actor=actor, form=form)
        except BadAction as bad:
            return self._error(400, f"{bad}. Nothing was changed.")
        except Refused as refused:
            return self._error(refused.status, f"{refused}. Nothing was changed.")
        back = {"done": action} | _filter_query_from(form)
        return RedirectResponse(f"/dashboard/queue?{urlencode(back)}#item-{item_id}", 303)

    def _read(self, request: Request) -> tuple[exception_list.QueueFilter, list[QueueLine], int, Viewer,
                                               list[tuple[str, str]]]:
        filter_ = exception_list.parse_filter(dict(request.query_params), causes=self._causes())
        now = self.runtime.clock.now()
        with session_scope(self.runtime.engine) as session:
            total = exception_list.count(session, filter_, now=now)
            rows = exception_list.rows(session, filter_, now=now, limit=QUEUE_LIMIT)
            items = self._views(rows, now)
            opened = {item.id: item.created_at for item, _ in rows if item.id is not None}
        named = sorted({user for role in self.runtime.policy.approver_roles.values() for user in role.users})
        owners = [item.owner_slack_id for item in items]
        viewer = viewer_of(self.runtime, request, people=[*owners, *named])
        lines = [_line(item, opened[item.id], now, viewer) for item in items]
        people = [(person, viewer.name_of(person)) for person in sorted({*named, *(o for o in owners if o)})]
        return filter_, lines, total, viewer, people

    def _views(self, rows: list[tuple[Any, Any]], now: datetime) -> list[ItemView]:
        link = partial(record_url, self.runtime.settings.salesforce_base_url, "Opportunity")
        return queries.views(rows, now=now, policy=self.runtime.policy, record_link=link)

    def _causes(self) -> list[str]:
        return [cause.key for cause in self.runtime.policy.root_causes]

    def _error(self, status: int, message: str) -> HTMLResponse:
        html = self.templates.get_template("error.html").render(message=message, status=status)
        return HTMLResponse(html, status_code=status)


def _line(item: ItemView, opened: datetime, now: datetime, viewer: Viewer) -> QueueLine:
    return QueueLine(id=item.id, status=item.status, due=when(item.sla_due_at, viewer.zone),
                     opened=when(opened, viewer.zone), age_days=max(0, (now - opened).days),
                     kind=item.kind_label, deal_name=item.deal_name or item.opportunity_id or "(no deal)",
                     deal_url=web_link(item.opportunity_url), reason=item.reason,
                     owner=viewer.name_of(item.owner_slack_id),
                     cause=item.root_cause_label or "not tagged", breached=item.breached and item.status == "open",
                     resolution=item.resolution, last_retry=item.last_retry_result)


def _filter_query(filter_: exception_list.QueueFilter) -> dict[str, str]:
    values = {"state": filter_.state, "cause": filter_.cause, "owner": filter_.owner,
              "age": None if filter_.min_age_days is None else str(filter_.min_age_days)}
    return {key: value for key, value in values.items() if value}


def _filter_query_from(form: dict[str, str]) -> dict[str, str]:
    return {key: form[f"back_{key}"] for key in ("state", "cause", "owner", "age") if form.get(f"back_{key}")}
