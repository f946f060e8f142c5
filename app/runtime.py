"""Everything a listener, job or route needs, built once from Settings and passed in explicitly."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from app.clock import Clock
from app.config import Settings
from app.integrations.quickbooks import QuickBooksGateway
from app.integrations.salesforce import SalesforceGateway
from app.integrations.slack_api import SlackApi
from app.policy import Policy


@dataclass
class Runtime:
    settings: Settings
    policy: Policy
    engine: Engine
    clock: Clock
    salesforce: SalesforceGateway
    quickbooks: QuickBooksGateway
    slack: SlackApi
    wake_worker: Callable[[], None] = field(default=lambda: None)
    run_step: Callable[[str, dict[str, Any]], None] = field(default=lambda kind, payload: _no_steps(kind))
    """Run one queued step's handler now, in this thread (Retry). Set with wake_worker when the worker is built."""


def _no_steps(kind: str) -> None:
    raise RuntimeError(f"cannot run {kind!r}: "
                       "no worker steps are wired into this Runtime (see app/jobs/assembly.py build_worker)")
