"""Thin Bolt listeners in the web process: parse the body into an intent, record it as queued work, ack.

The worker does the rest (app/jobs/interactive.py); only a modal is opened from here (its trigger_id lives 3 s)."""
from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from app.runtime import Runtime
from app.slack.listeners import approvals, corrections, exceptions, home, status


def register(app: AsyncApp, runtime: Runtime) -> None:
    approvals.register(app, runtime)
    status.register(app, runtime)
    home.register(app, runtime)
    exceptions.register(app, runtime)
    corrections.register(app, runtime)
