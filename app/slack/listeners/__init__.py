"""Thin Bolt listeners: ack, parse, call a use case in a worker thread, render."""
from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from app.runtime import Runtime
from app.slack.listeners import approvals, exceptions, home, status


def register(app: AsyncApp, runtime: Runtime) -> None:
    approvals.register(app, runtime)
    status.register(app, runtime)
    home.register(app, runtime)
    exceptions.register(app, runtime)
