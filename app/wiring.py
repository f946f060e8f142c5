"""Build the Runtime from Settings: engine, policy, the three vendor gateways."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from app.clock import Clock, SystemClock
from app.config import Settings
from app.db import make_engine
from app.integrations.quickbooks import build_quickbooks_gateway
from app.integrations.quickbooks_connection import INLINE_MAX_WAIT as QBO_INLINE_MAX_WAIT
from app.integrations.salesforce import SalesforceGateway
from app.integrations.slack_api import INLINE_MAX_WAIT as SLACK_INLINE_MAX_WAIT
from app.integrations.slack_api import RATE_LIMIT_RETRIES, build_slack_api
from app.integrations.throttle import with_quickbooks_pace
from app.integrations.throttle_buckets import throttle_for_database
from app.integrations.token_store_db import DbTokenStore
from app.policy import Policy, RolloutMode, load_policy
from app.runtime import Runtime


@dataclass(frozen=True)
class VendorWait:
    """How long a vendor call may wait for a throttle slot, and how often slack_sdk retries a 429 itself."""

    quickbooks_seconds: float = QBO_INLINE_MAX_WAIT
    slack_seconds: float = SLACK_INLINE_MAX_WAIT
    slack_rate_limit_retries: int = RATE_LIMIT_RETRIES


INLINE_VENDOR_WAIT = VendorWait()
"""Commands and tests that call a vendor inline wait a little for a slot."""
WORKER_VENDOR_WAIT = VendorWait(quickbooks_seconds=0.0, slack_seconds=0.0, slack_rate_limit_retries=0)
"""A worker never waits: a full throttle or a 429 raises RateLimited and the lane reschedules the item."""


def build_runtime(settings: Settings, *, policy: Policy | None = None, engine: Engine | None = None,
                  clock: Clock | None = None, vendor_wait: VendorWait = INLINE_VENDOR_WAIT) -> Runtime:
    """The pieces every process kind shares; throttles are shared by every process on PostgreSQL."""
    clock = clock or SystemClock()
    engine = engine or make_engine(settings.database_url)
    throttle = throttle_for_database(engine, limits=with_quickbooks_pace(
        per_second=settings.qbo_limit_per_second, per_minute=settings.qbo_limit_per_minute,
        batches_per_minute=settings.qbo_batch_limit_per_minute))
    policy = policy or load_policy(settings.ledgerbridge_policy)
    runtime = Runtime(
        settings=settings, policy=policy, engine=engine, clock=clock,
        salesforce=SalesforceGateway.from_settings(
            settings, clock=clock, submitter_field=policy.approval_controls.submitter_field),
        quickbooks=build_quickbooks_gateway(settings, token_store=DbTokenStore(engine, clock=clock), clock=clock,
                                            throttle=throttle, max_wait=vendor_wait.quickbooks_seconds),
        slack=build_slack_api(settings, throttle=throttle, max_wait=vendor_wait.slack_seconds,
                              rate_limit_retries=vendor_wait.slack_rate_limit_retries),
    )
    guard_writes(runtime)
    return runtime


def guard_writes(runtime: Runtime) -> None:
    """Shadow mode is enforced in the gateways: while the policy (read at each write) says shadow, no write to
    QuickBooks or Salesforce leaves the process, whichever path asks for it."""
    def live() -> bool:
        return runtime.policy.mode == RolloutMode.LIVE
    runtime.quickbooks.guard.allowed = live
    runtime.salesforce.guard.allowed = live
