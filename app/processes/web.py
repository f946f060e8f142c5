"""The web process: Slack endpoint (or Socket Mode), Salesforce notify, dashboard, health. No worker runs here."""
from __future__ import annotations

from fastapi import FastAPI

from app.main import create_app
from app.runtime import Runtime


def create_web_app(runtime: Runtime) -> FastAPI:
    return create_app(runtime, run_worker=False, run_scheduler=False)
