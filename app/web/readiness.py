"""GET /readyz: may this process do its work? (/healthz only says it is alive.)

Ready when the database answers, its schema is at the newest migration, and each vendor's last call
succeeded, or none was made yet, or it failed in a way that is being retried (an outage younger than
OUTAGE_GRACE). Else 503; the body names each part that is not ready and since when.
"""
from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from alembic.runtime.migration import MigrationContext
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import Engine, text

from app.db_migrate import head_revision
from app.integrations.call_outcomes import OUTCOMES, CallOutcome, CallOutcomes, describe

VENDORS = ("salesforce", "quickbooks", "slack")
OUTAGE_GRACE = timedelta(minutes=5)      # about the queue's first six retries
DATABASE_WAIT_SECONDS = 3.0


@dataclass(frozen=True)
class Part:
    ready: bool
    detail: str
    since: datetime | None = None


@dataclass(frozen=True)
class Readiness:
    parts: dict[str, Part]

    @property
    def ready(self) -> bool:
        return all(part.ready for part in self.parts.values())

    def body(self, now: datetime) -> dict[str, Any]:
        return {"status": "ready" if self.ready else "not ready", "checked_at": now.isoformat(),
                "not_ready": [name for name, part in self.parts.items() if not part.ready],
                "parts": {name: {"ready": part.ready, "detail": part.detail,
                                 "since": part.since.isoformat() if part.since else None}
                          for name, part in self.parts.items()}}


def database_part(revision: str | None, head: str | None, error: str | None) -> tuple[Part, Part]:
    """(database, migrations) from what the database said, or the error it raised."""
    if error is not None:
        return Part(False, f"does not answer: {error}"), Part(False, "unknown: the database does not answer")
    if revision != head:
        return Part(True, "answers"), Part(False, f"at {revision or 'no revision'}, newest is {head}: "
                                                   "run `ledgerbridge db upgrade`")
    return Part(True, "answers"), Part(True, f"at {head} (newest)")


def vendor_part(outcome: CallOutcome | None, *, now: datetime, grace: timedelta = OUTAGE_GRACE) -> Part:
    if outcome is None:
        return Part(True, "no call yet")
    if outcome.ok:
        return Part(True, "last call succeeded", outcome.since)
    if outcome.retryable and now - outcome.since < grace:
        return Part(True, f"being retried: {outcome.error}", outcome.since)
    return Part(False, f"failing: {outcome.error}", outcome.since)


def evaluate(*, database: Part, migrations: Part, outcomes: Mapping[str, CallOutcome], now: datetime,
             vendors: Sequence[str] = VENDORS) -> Readiness:
    parts = {"database": database, "migrations": migrations}
    parts |= {vendor: vendor_part(outcomes.get(vendor), now=now) for vendor in vendors}
    return Readiness(parts)


class _Since:
    """When each failing part was first seen failing (the database keeps no record of its own outages)."""

    def __init__(self) -> None:
        self._first: dict[str, datetime] = {}

    def stamp(self, readiness: Readiness, now: datetime) -> Readiness:
        for name, part in readiness.parts.items():
            if part.ready:
                self._first.pop(name, None)
            else:
                self._first.setdefault(name, part.since or now)
        return Readiness({name: part if part.ready else Part(False, part.detail, self._first[name])
                          for name, part in readiness.parts.items()})


def _schema_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
        return MigrationContext.configure(connection).get_current_revision()


def build_readiness_router(engine: Engine, *, outcomes: CallOutcomes = OUTCOMES,
                           now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> APIRouter:
    router, head, since = APIRouter(), head_revision(), _Since()

    @router.get("/readyz")
    async def readyz() -> JSONResponse:
        revision, error = None, None
        try:
            revision = await asyncio.wait_for(asyncio.to_thread(_schema_revision, engine), DATABASE_WAIT_SECONDS)
        except TimeoutError:
            error = f"no answer within {DATABASE_WAIT_SECONDS:g} s"
        except Exception as failure:  # any driver error means "not ready"; the body says which
            error = describe(failure)
        database, migrations = database_part(revision, head, error)
        checked = now()
        readiness = since.stamp(evaluate(database=database, migrations=migrations, outcomes=outcomes.last(),
                                         now=checked), checked)
        return JSONResponse(readiness.body(checked), status_code=200 if readiness.ready else 503)
    return router
