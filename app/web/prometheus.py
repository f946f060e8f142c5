"""Prometheus metrics for the web process, at GET /metrics (prometheus_client's text format).

- ledgerbridge_http_requests_total{route,method,status,payload_type} and the ack latency histogram
  ledgerbridge_http_ack_seconds{route,payload_type} (time to the response's first byte: what Slack waits for),
  where payload_type is the Slack delivery's kind on /slack/events (slash_command, block_actions,
  view_submission, event_callback, ...) and "none" elsewhere;
- read from the shared database at each scrape (app/metrics/operations.py), so any replica answers the same
  and the worker needs neither a port nor multiprocess mode: queue depth and oldest age by lane, failed work
  by vendor lane and error code, items waiting out a vendor's throttle by lane, open exceptions past their
  SLA, and the Salesforce poll's lag.

/metrics needs `Authorization: Bearer <LEDGERBRIDGE_DASHBOARD_TOKEN>` when that token is set; with Sign in
with Slack on and no token it is refused; with neither it is open like the rest of the dashboard.
"""
from __future__ import annotations

import hmac
import json
import time
from collections.abc import Callable, Iterator
from urllib.parse import parse_qs

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from pydantic import SecretStr
from sqlalchemy import Engine
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.clock import Clock
from app.db import session_scope
from app.metrics.operations import operations_snapshot

SLACK_PATH = "/slack/events"
MAX_PEEK_BYTES = 64 * 1024
SLACK_PAYLOAD_TYPES = frozenset({
    "block_actions", "view_submission", "view_closed", "shortcut", "message_action", "block_suggestion",
    "interactive_message", "event_callback", "url_verification", "app_rate_limited"})
ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0)
"""Slack gives up on an ack after 3 seconds: buckets around it."""
LaneOf = Callable[[str], str | None]


def slack_payload_type(body: bytes, content_type: str) -> str:
    """The kind of a Slack delivery from its body, from a closed list (labels stay few)."""
    try:
        if "json" in content_type:
            kind = json.loads(body).get("type")
        else:
            form = parse_qs(body.decode("utf-8"))
            if "command" in form:
                return "slash_command"
            kind = json.loads(form["payload"][0]).get("type") if "payload" in form else None
    except (ValueError, AttributeError, KeyError, IndexError, TypeError, RecursionError):
        return "malformed"         # the endpoint answers it 4xx; here it only needs a label
    return kind if isinstance(kind, str) and kind in SLACK_PAYLOAD_TYPES else "other"    # any JSON value may be sent


class RequestMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter("ledgerbridge_http_requests", "HTTP requests answered, by route template",
                                ["route", "method", "status", "payload_type"], registry=registry)
        self.ack = Histogram("ledgerbridge_http_ack_seconds", "Seconds from request to the response's first byte",
                             ["route", "payload_type"], buckets=ACK_BUCKETS, registry=registry)


class PrometheusMiddleware:
    """Counts and times every HTTP request by the route that answered it (never the raw path: ids stay out)."""

    def __init__(self, app: ASGIApp, *, metrics: RequestMetrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, peeked = time.perf_counter(), bytearray()
        watch = scope["path"] == SLACK_PATH

        async def peek() -> Message:
            message = await receive()
            if watch and message["type"] == "http.request" and len(peeked) < MAX_PEEK_BYTES:
                peeked.extend(message.get("body", b"")[:MAX_PEEK_BYTES - len(peeked)])
            return message

        async def timed(message: Message) -> None:
            if message["type"] == "http.response.start":
                self._record(scope, message["status"], time.perf_counter() - started, bytes(peeked) if watch else None)
            await send(message)
        await self.app(scope, peek, timed)

    def _record(self, scope: Scope, status: int, seconds: float, body: bytes | None) -> None:
        route = getattr(scope.get("route"), "path", None) or "unmatched"
        headers = dict(scope.get("headers") or [])
        kind = slack_payload_type(body, headers.get(b"content-type", b"").decode("latin-1")) \
            if body is not None else "none"
        self.metrics.requests.labels(route, scope["method"], str(status), kind).inc()
        self.metrics.ack.labels(route, kind).observe(seconds)


class OperationsCollector(Collector):
    def __init__(self, engine: Engine, clock: Clock, lane_of: LaneOf) -> None:
        self.engine, self.clock, self.lane_of = engine, clock, lane_of

    def collect(self) -> Iterator[Metric]:
        now = self.clock.now()
        with session_scope(self.engine) as session:
            snapshot = operations_snapshot(session, now=now)
        depth = GaugeMetricFamily("ledgerbridge_queue_depth", "Work items queued or running, by lane",
                                  labels=["lane"])
        age = GaugeMetricFamily("ledgerbridge_queue_oldest_age_seconds", "Age of the oldest waiting item, by lane",
                                labels=["lane"])
        throttled = GaugeMetricFamily("ledgerbridge_throttle_waits",
                                      "Items waiting out a vendor's rate limit, by lane", labels=["lane"])
        by_lane: dict[str, tuple[int, float, int]] = {}
        for queue in snapshot.queues:
            lane = self.lane_of(queue.kind) or "unknown"
            count, oldest, waits = by_lane.get(lane, (0, 0.0, 0))
            seconds = (now - queue.oldest).total_seconds() if queue.oldest else 0.0
            by_lane[lane] = (count + queue.waiting, max(oldest, seconds), waits + queue.throttled)
        for lane, (count, oldest, waits) in sorted(by_lane.items()):
            depth.add_metric([lane], count)
            age.add_metric([lane], oldest)
            throttled.add_metric([lane], waits)
        yield from (depth, age, throttled, self._failures(snapshot.failures), self._sla(snapshot.sla_breached))
        lag = GaugeMetricFamily("ledgerbridge_poll_lag_seconds", "Seconds since the Salesforce poll last saved "
                                "its mark (-1: never polled)")
        lag.add_metric([], (now - snapshot.poll_saved_at).total_seconds() if snapshot.poll_saved_at else -1.0)
        yield lag

    def _failures(self, failures) -> Metric:
        family = GaugeMetricFamily("ledgerbridge_work_failures", "Work items failed for good, by vendor lane and "
                                   "error code", labels=["vendor", "error_code"])
        for failure in failures:
            family.add_metric([self.lane_of(failure.kind) or "unknown", failure.error_code], failure.count)
        return family

    @staticmethod
    def _sla(breached: int) -> Metric:
        family = GaugeMetricFamily("ledgerbridge_sla_breaches", "Open exceptions past their SLA")
        family.add_metric([], breached)
        return family


def metrics_endpoint(registry: CollectorRegistry, *, token: SecretStr | None,
                     sign_in: bool) -> Callable[[Request], Response]:
    def metrics(request: Request) -> Response:
        if token is not None or sign_in:
            scheme, _, given = request.headers.get("authorization", "").partition(" ")
            expected = token.get_secret_value().encode() if token else b""
            if not (expected and scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(),
                                                                                    expected)):
                return JSONResponse({"error": "send Authorization: Bearer <LEDGERBRIDGE_DASHBOARD_TOKEN>"}, 401,
                                    headers={"WWW-Authenticate": "Bearer"})
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
    return metrics
