"""What runs beside the web app: the queue worker, the scheduler, and the Socket Mode connection."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass

from apscheduler.schedulers.background import BackgroundScheduler
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp

from app.jobs.assembly import build_worker
from app.jobs.scheduler import build_scheduler
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
    worker = build_worker(runtime)
    app_token = runtime.settings.slack_app_token
    return Background(worker=worker, run_worker=run_worker,
                      scheduler=build_scheduler(runtime) if run_scheduler else None,
                      bolt=bolt, app_token=app_token.get_secret_value() if app_token else None)
