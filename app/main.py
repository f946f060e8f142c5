"""create_app(): the FastAPI app. Its lifespan starts the queue worker and, if enabled, the scheduler."""
from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from slack_bolt.adapter.fastapi.async_handler import AsyncSlackRequestHandler
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_sdk.signature import SignatureVerifier

from app.db import session_scope
from app.errors import ConfigError
from app.integrations.slack_api import build_async_web_client
from app.intake.notify import NotifyRejected, parse_notification, verify_notify
from app.jobs.handlers import build_handlers, record_final_failure, resolve_after_success
from app.jobs.scheduler import build_scheduler
from app.jobs.worker import Worker
from app.pipeline.follow_ups import WorkKind
from app.runtime import Runtime
from app.slack.bolt_app import build_bolt_app
from app.slack.endpoint import handle_slack_request
from app.web.routes import build_dashboard_router
from app.work_queue.service import enqueue

log = logging.getLogger(__name__)


def create_app(runtime: Runtime, *, run_worker: bool = True, run_scheduler: bool | None = None) -> FastAPI:
    settings = runtime.settings
    if settings.slack_signing_secret is None:
        raise ConfigError("missing setting SLACK_SIGNING_SECRET")
    bolt = build_bolt_app(runtime, client=build_async_web_client(settings),
                          signing_secret=settings.slack_signing_secret.get_secret_value())
    slack_handler = AsyncSlackRequestHandler(bolt)
    worker = Worker(engine=runtime.engine, handlers=build_handlers(runtime), clock=runtime.clock,
                    on_final_failure=functools.partial(record_final_failure, runtime),
                    on_success=functools.partial(resolve_after_success, runtime))
    runtime.wake_worker = worker.wake
    scheduler_on = settings.ledgerbridge_scheduler_enabled if run_scheduler is None else run_scheduler
    scheduler = build_scheduler(runtime, worker) if scheduler_on else None
    socket_mode = (AsyncSocketModeHandler(bolt, settings.slack_app_token.get_secret_value())
                   if settings.slack_app_token else None)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if run_worker:
            worker.start()
        if scheduler is not None:
            scheduler.start()
        if socket_mode is not None:      # SLACK_APP_TOKEN set: Slack delivers over a WebSocket, not HTTP
            await socket_mode.connect_async()
        yield
        if socket_mode is not None:
            await socket_mode.close_async()
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        if run_worker:
            await asyncio.to_thread(worker.stop)

    api = FastAPI(title="Ledgerbridge", lifespan=lifespan)
    api.state.runtime, api.state.worker, api.state.socket_mode = runtime, worker, socket_mode

    verifier = SignatureVerifier(settings.slack_signing_secret.get_secret_value())

    @api.post("/slack/events")
    async def slack_events(request: Request):
        return await handle_slack_request(request, handler=slack_handler, verifier=verifier)

    @api.post("/salesforce/notify", status_code=202)
    async def salesforce_notify(request: Request):
        return await _salesforce_notify(runtime, await request.body(), request.headers)

    api.include_router(build_dashboard_router(runtime))

    @api.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return api


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
