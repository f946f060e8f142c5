"""What the dashboard's overview page reads, in one session: the period's tiles and charts for one scope."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import col, select

from app.audit.models import AuditEvent
from app.db import session_scope
from app.metrics.dashboard import SEEDED_HISTORY_ACTION, ChartData, chart_data, scope_choices
from app.metrics.invoicing import Rate
from app.metrics.roi import RoiMetrics, roi_metrics
from app.metrics.series import Scope
from app.metrics.weekly import billable_completeness
from app.runtime import Runtime


class BadFilter(ValueError):
    """A segment or company the data does not hold."""


@dataclass(frozen=True, slots=True)
class Overview:
    metrics: RoiMetrics
    charts: ChartData
    completeness: Rate
    segments: list[str]
    realms: list[str]
    scope: Scope
    seeded_history: bool


def pick(raw: str | None, choices: list[str], what: str) -> str | None:
    """'' or nothing: all; else one of `choices`, or BadFilter with a clear message."""
    if raw is None or raw.strip() == "":
        return None
    if raw.strip() not in choices:
        offered = ", ".join(choices) or "none yet"
        raise BadFilter(f"{what} must be one of: {offered} (not {raw[:40]!r})")
    return raw.strip()


def read_overview(runtime: Runtime, *, days: int, segment: str | None, realm: str | None) -> Overview:
    policy, now = runtime.policy, runtime.clock.now()
    with session_scope(runtime.engine) as session:
        segments, realms = scope_choices(session)
        scope = Scope(pick(segment, segments, "segment"), pick(realm, realms, "QuickBooks company"),
                      policy.mappings.entities.default_realm_id)
        window = timedelta(days=policy.metrics.first_pass_window_days)
        metrics = roi_metrics(session, now=now, days=days, tz=policy.zone, home_currency=policy.currency.home,
                              scope=scope, window=window)
        charts = chart_data(session, now=now, days=days, tz=policy.zone, home_currency=policy.currency.home,
                            scope=scope, policy=policy.metrics)
        completeness = billable_completeness(session, since=metrics.since, until=now)
        seeded = session.exec(select(AuditEvent.id).where(col(AuditEvent.action) == SEEDED_HISTORY_ACTION)).first()
    return Overview(metrics, charts, completeness, segments, realms, scope, seeded is not None)
