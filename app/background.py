"""What runs beside the web app: the queue worker, the scheduler, and the Socket Mode connection."""
from __future__ import annotations

import asyncio
import functools
from dataclasses import dataclass

from apscheduler.schedulers.background import BackgroundScheduler
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp

from app.jobs.handlers import build_handlers, record_final_failure, resolve_after_success
from app.jobs.lanes import LANES
from app.jobs.scheduler import build_scheduler, tick_handlers
from app.jobs.worker import Worker
from app.runtime import Runtime


@dataclass
class Background:
    worker: Worker
    run_worker: bool
    scheduler: BackgroundScheduler | None
    bolt: AsyncApp
    app_token: str | None
    socket_mode: AsyncSocketModeHandler | None = None

    async def start(self) -> None:
        if self.run_worker:
            self.worker.start()
        if self.scheduler is not None:
            self.scheduler.start()
        if self.app_token:      # SLACK_APP_TOKEN set: Slack delivers over a WebSocket, not HTTP
            # built here: slack_sdk's aiohttp client needs the running event loop
            self.socket_mode = AsyncSocketModeHandler(self.bolt, self.app_token)
            await self.socket_mode.connect_async()

    async def stop(self) -> None:
        if self.socket_mode is not None:
            await self.socket_mode.close_async()
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
        if self.run_worker:
            await asyncio.to_thread(self.worker.stop)


def build_background(runtime: Runtime, bolt: AsyncApp, *, run_worker: bool, run_scheduler: bool) -> Background:
    worker = Worker(engine=runtime.engine, handlers={**build_handlers(runtime), **tick_handlers(runtime)},
                    clock=runtime.clock, lanes=LANES,
                    on_final_failure=functools.partial(record_final_failure, runtime),
                    on_success=functools.partial(resolve_after_success, runtime))
    runtime.wake_worker, runtime.run_step = worker.wake, worker.run_now
    app_token = runtime.settings.slack_app_token
    return Background(worker=worker, run_worker=run_worker,
                      scheduler=build_scheduler(runtime) if run_scheduler else None,
                      bolt=bolt, app_token=app_token.get_secret_value() if app_token else None)
