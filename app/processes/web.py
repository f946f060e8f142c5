"""The web process: the FastAPI app. Slack (HTTP, or Socket Mode when SLACK_APP_TOKEN is set), Salesforce
notify, the dashboard, health. It verifies, records the intent and its work item in one transaction, acks and
returns; no worker runs here (`ledgerbridge worker` does the work), and only opening a modal calls Slack."""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from prometheus_client import CollectorRegistry
from slack_bolt.adapter.fastapi.async_handler import AsyncSlackRequestHandler
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp

from app.db import session_scope
from app.errors import ConfigError
from app.intake.notify import MAX_NOTIFY_BYTES, NotifyRejected, parse_notification, verify_notify
from app.integrations.slack_api import build_async_web_client
from app.jobs.lanes import lane_of
from app.processes.policy_record import record_policy_at_start
from app.runtime import Runtime
from app.signing import BodyTooLarge, read_capped
from app.slack.bolt_app import build_bolt_app
from app.slack.endpoint import handle_slack_request
from app.web.exports import build_exports_router
from app.web.gate import SignInGate
from app.web.prometheus import OperationsCollector, PrometheusMiddleware, RequestMetrics, metrics_endpoint
from app.web.readiness import build_readiness_router
from app.web.routes import build_dashboard_router, build_templates
from app.web.session import SessionCodec
from app.web.signin import build_signin_router
from app.work_queue.kinds import WorkKind
from app.work_queue.service import enqueue

log = logging.getLogger(__name__)


def create_web_app(runtime: Runtime) -> FastAPI:
    settings = runtime.settings
    if settings.slack_signing_secret is None:
        raise ConfigError("missing setting SLACK_SIGNING_SECRET")
    signing_secret = settings.slack_signing_secret.get_secret_value()
    bolt = build_bolt_app(runtime, client=build_async_web_client(settings), signing_secret=signing_secret)
    app_token = settings.slack_app_token.get_secret_value() if settings.slack_app_token else None
    record_policy_at_start(runtime)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        socket_mode = await _connect_socket_mode(bolt, app_token) if app_token else None
        api.state.socket_mode = socket_mode
        yield
        if socket_mode is not None:
            await socket_mode.close_async()

    api = FastAPI(title="Ledgerbridge", lifespan=lifespan)
    api.state.runtime, api.state.socket_mode = runtime, None
    _add_routes(api, runtime, slack_handler=AsyncSlackRequestHandler(bolt), signing_secret=signing_secret)
    _add_access_and_metrics(api, runtime)
    return api


def _add_access_and_metrics(api: FastAPI, runtime: Runtime) -> None:
    """Sign in with Slack (when configured) in front of every page, and /metrics with its own registry."""
    settings, registry = runtime.settings, CollectorRegistry(auto_describe=True)
    if settings.slack_sign_in and settings.ledgerbridge_session_secret is not None:
        codec = SessionCodec(settings.ledgerbridge_session_secret.get_secret_value())
        api.include_router(build_signin_router(runtime, codec, build_templates()))
        api.add_middleware(SignInGate, codec=codec, machine_token=settings.ledgerbridge_dashboard_token,
                           public_url=str(settings.ledgerbridge_public_url))
    api.include_router(build_exports_router(runtime))
    registry.register(OperationsCollector(runtime.engine, runtime.clock, _lane_name))
    api.add_api_route("/metrics", metrics_endpoint(registry, token=settings.ledgerbridge_dashboard_token,
                                                   sign_in=settings.slack_sign_in),
                      methods=["GET"], include_in_schema=False)
    api.add_middleware(PrometheusMiddleware, metrics=RequestMetrics(registry))   # outermost: times everything


def _lane_name(kind: str) -> str | None:
    lane = lane_of(kind)
    return lane.name if lane is not None else None


async def _connect_socket_mode(bolt: AsyncApp, app_token: str) -> AsyncSocketModeHandler:
    """Slack delivers over a WebSocket instead of HTTP. Built here: slack_sdk's aiohttp client needs the loop."""
    handler = AsyncSocketModeHandler(bolt, app_token)
    await handler.connect_async()
    return handler


def _add_routes(api: FastAPI, runtime: Runtime, *, slack_handler: AsyncSlackRequestHandler,
                signing_secret: str) -> None:
    @api.post("/slack/events")
    async def slack_events(request: Request):
        return await handle_slack_request(request, handler=slack_handler, signing_secret=signing_secret)

    @api.post("/salesforce/notify", status_code=202)
    async def salesforce_notify(request: Request):
        try:
            body, _ = await read_capped(request, limit=MAX_NOTIFY_BYTES)
        except BodyTooLarge as too_large:
            return JSONResponse({"error": str(too_large)}, 413)
        return await _salesforce_notify(runtime, body, request.headers)

    @api.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    api.include_router(build_dashboard_router(runtime))
    api.include_router(build_readiness_router(runtime.engine))


async def _salesforce_notify(rt: Runtime, body: bytes, headers) -> JSONResponse:
    secret = rt.settings.salesforce_notify_secret
    if secret is None:
        return JSONResponse({"error": "push notifications are off: SALESFORCE_NOTIFY_SECRET is not set"}, 404)
    try:
        verify_notify(secret=secret.get_secret_value(), timestamp=headers.get("x-ledgerbridge-timestamp"),
                      signature=headers.get("x-ledgerbridge-signature"), body=body, now=time.time())
    except NotifyRejected as rejected:
        return JSONResponse({"error": str(rejected)}, 401)
    try:
        notification = parse_notification(body)
    except NotifyRejected as rejected:
        return JSONResponse({"error": str(rejected)}, 400)
    await asyncio.to_thread(_queue_read, rt, list(notification.opportunity_ids))
    return JSONResponse({"queued": len(notification.opportunity_ids)}, 202)


def _queue_read(rt: Runtime, ids: list[str]) -> None:
    with session_scope(rt.engine) as session:
        enqueue(session, kind=WorkKind.READ_OPPORTUNITIES, payload={"ids": ids}, clock=rt.clock)
    rt.wake_worker()
