"""/readyz: the pure verdict, the call recorder the wrappers feed, and the route over a database that is down."""
from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import create_engine

from app.errors import AuthenticationFailed, ConfigError, RateLimited, VendorNotFound, VendorUnavailable
from app.integrations.call_outcomes import CallOutcome, CallOutcomes, describe
from app.web.readiness import OUTAGE_GRACE, Part, build_readiness_router, database_part, evaluate, vendor_part

T0 = datetime(2026, 11, 24, 13, 0, tzinfo=UTC)
UP = Part(True, "answers")


def _failed(*, retryable: bool, since: datetime = T0) -> CallOutcome:
    return CallOutcome(ok=False, at=since, since=since, error="VendorUnavailable: Slack auth.test", retryable=retryable)


def test_no_call_yet_and_a_last_success_are_ready():
    ok = CallOutcome(ok=True, at=T0, since=T0)
    verdict = evaluate(database=UP, migrations=UP, outcomes={"slack": ok}, now=T0)
    assert verdict.ready and verdict.parts["salesforce"].detail == "no call yet"
    assert verdict.parts["slack"] == Part(True, "last call succeeded", T0)


def test_an_outage_being_retried_is_ready_until_the_grace_runs_out():
    outcome = _failed(retryable=True)
    assert vendor_part(outcome, now=T0 + OUTAGE_GRACE - timedelta(seconds=1)).ready
    late = vendor_part(outcome, now=T0 + OUTAGE_GRACE)
    assert not late.ready and late.since == T0 and late.detail.startswith("failing: VendorUnavailable")


def test_a_failure_nobody_retries_is_not_ready_at_once():
    verdict = evaluate(database=UP, migrations=UP, outcomes={"quickbooks": _failed(retryable=False)}, now=T0)
    body = verdict.body(T0)
    assert (verdict.ready, body["status"], body["not_ready"]) == (False, "not ready", ["quickbooks"])
    assert body["parts"]["quickbooks"]["since"] == T0.isoformat()


@pytest.mark.parametrize(("revision", "error", "ready", "says"), [
    ("0005", None, (True, True), "at 0005 (newest)"),
    ("0004", None, (True, False), "at 0004, newest is 0005: run `ledgerbridge db upgrade`"),
    (None, None, (True, False), "at no revision"),
    (None, "OperationalError: connection refused", (False, False), "unknown"),
])
def test_the_database_and_its_migrations(revision, error, ready, says):
    database, migrations = database_part(revision, "0005", error)
    assert (database.ready, migrations.ready) == ready and says in migrations.detail


def test_the_recorder_keeps_when_a_run_of_failures_began():
    clock = [T0]
    outcomes = CallOutcomes(now=lambda: clock[0])
    outcomes.note("slack", None)
    clock[0] = T0 + timedelta(minutes=1)
    outcomes.note("slack", VendorUnavailable("Slack chat.update: URLError", vendor="slack"))
    clock[0] = T0 + timedelta(minutes=2)
    outcomes.note("slack", RateLimited("Slack chat.update failed: ratelimited", vendor="slack"))
    failing = outcomes.last()["slack"]
    assert (failing.ok, failing.since, failing.at, failing.retryable) == (False, T0 + timedelta(minutes=1),
                                                                           T0 + timedelta(minutes=2), True)
    outcomes.note("slack", VendorNotFound("Slack users.lookupByEmail failed: users_not_found", vendor="slack"))
    assert outcomes.last()["slack"].ok                                 # the vendor answered: it works
    outcomes.note("slack", KeyError("ts"))                             # our own bug is not the vendor's outage
    assert outcomes.last()["slack"].ok
    outcomes.note("quickbooks", ConfigError("no QuickBooks refresh token: set QBO_REFRESH_TOKEN"))
    outcomes.note("salesforce", AuthenticationFailed("Salesforce login failed (401)", vendor="salesforce"))
    assert not outcomes.last()["quickbooks"].retryable and not outcomes.last()["salesforce"].retryable


@pytest.mark.parametrize("secret", ["xoxb-123-456-abcdef", "xapp-1-A1-123-abc", "Bearer eyJhbGciOi.x.y",
                                    "refresh_token=AB11.cdef", "postgresql://lb:hunter2@db:5432/lb"])
def test_recorded_errors_never_carry_a_secret(secret: str):
    described = describe(RuntimeError(f"failed calling with {secret} today"))
    assert "[redacted]" in described and secret.split("=")[-1].split("//")[-1] not in described


def test_a_database_that_does_not_answer_is_503_naming_it():
    api = FastAPI()
    api.include_router(build_readiness_router(create_engine("postgresql+psycopg://lb:hunter2@127.0.0.1:1/lb")))
    reply = asyncio.run(_get(api, "/readyz"))
    body = reply.json()
    assert reply.status_code == 503 and body["not_ready"] == ["database", "migrations"]
    assert body["parts"]["database"]["detail"].startswith("does not answer: OperationalError")
    assert body["parts"]["database"]["since"] and "hunter2" not in reply.text


async def _get(api: FastAPI, path: str) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://test") as client:
        return await client.get(path)
