"""What a listener does before it acks: record the intent as queued work, one local transaction, no vendor call."""
from __future__ import annotations

import asyncio

from app.db import session_scope
from app.runtime import Runtime
from app.slack.intents import WORK_KIND, Intent
from app.work_queue.service import enqueue


async def record(rt: Runtime, intent: Intent, *, dedupe_key: str | None = None) -> None:
    await asyncio.to_thread(_enqueue, rt, intent, dedupe_key)
    rt.wake_worker()            # a worker in this process starts at once; one elsewhere looks within 0.1 s


def _enqueue(rt: Runtime, intent: Intent, dedupe_key: str | None) -> None:
    with session_scope(rt.engine) as session:
        enqueue(session, kind=WORK_KIND[type(intent)], payload=intent.payload(), clock=rt.clock,
                dedupe_key=dedupe_key)
