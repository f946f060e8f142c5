"""Property tests: whatever reaches /slack/events or /salesforce/notify, the answer is never a 5xx and junk
writes no business row. Requests are driven in-process (httpx's ASGI transport) into the app the stack
built, in concurrent batches (bolt polls for a listener's ack every 10 ms: batches overlap those waits),
so ten thousand of them fit CI's time budget; the settings make each run the same run.
"""
from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from app.sandbox.stack import Stack
from app.work_queue.kinds import INTERACTIVE_KINDS, WorkKind
from tests.e2e.conftest import start_stack
from tests.e2e.inbound_strategies import Delivery, notify_deliveries, slack_deliveries

BATCH = 20
# The app runs beside hypothesis in its own thread, and its clients draw jitter from `random` meanwhile:
# that is the app's randomness, not the test data's (which the settings keep deterministic).
pytestmark = pytest.mark.filterwarnings("ignore:Do not use the `random` module inside strategies")
SLACK_BATCHES = 350                 # 7,000 requests
NOTIFY_BATCHES = 175                # 3,500: 10,500 generated requests per run in all
BUSINESS_TABLES = ("approval_request", "approval_decision", "exception_item", "audit_event", "deal", "invoice_job")
"""A signed request from a real user is recorded as an intent (a work item of an interactive kind) that the worker
answers politely, however odd its text or value; junk must never reach these tables."""
DETERMINISTIC = {"deadline": None, "derandomize": True, "database": None, "phases": [Phase.generate, Phase.shrink],
                 "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.large_base_example]}


@dataclass
class Inbound:
    """The stack's app, called in an event loop of its own thread: work a listener starts after its ack runs
    on there while the next requests are served, and a RecursionError the app catches (a JSON bomb) stays
    in that thread (CPython 3.11 can leave the catching thread's recursion count off, which breaks ast)."""

    stack: Stack
    loop: asyncio.AbstractEventLoop
    client: httpx.AsyncClient

    def post_all(self, path: str, batch: list[Delivery]) -> list[httpx.Response]:
        async def concurrently() -> list[httpx.Response]:
            return await asyncio.gather(*(self.client.post(path, content=delivery.body, headers=list(delivery.headers))
                                          for delivery in batch))
        return asyncio.run_coroutine_threadsafe(concurrently(), self.loop).result(timeout=120)

    def rows(self) -> dict[str, int]:
        with self.stack.runtime.engine.connect() as connection:
            counts = {table: connection.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one()
                      for table in BUSINESS_TABLES}
            kinds = dict(connection.execute(text("SELECT kind, COUNT(*) FROM work_item GROUP BY kind")).all())
        counts["queued reads"] = kinds.pop(WorkKind.READ_OPPORTUNITIES.value, 0)
        counts["other work"] = sum(count for kind, count in kinds.items() if kind not in INTERACTIVE_KINDS)
        return counts

    def settle(self) -> None:
        """Let listener work that runs after the ack finish before rows are counted."""
        async def others_done() -> None:
            pending = asyncio.all_tasks() - {asyncio.current_task()}
            if pending:
                await asyncio.wait(pending, timeout=30)
        asyncio.run_coroutine_threadsafe(others_done(), self.loop).result(timeout=60)


@pytest.fixture(scope="module")
def inbound(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Inbound]:
    stack = start_stack(f"sqlite:///{tmp_path_factory.mktemp('inbound') / 'app.db'}")
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="inbound-asgi", daemon=True)
    thread.start()
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=stack.app, raise_app_exceptions=False),
                               base_url="http://ledgerbridge.test")
    yield Inbound(stack=stack, loop=loop, client=client)
    asyncio.run_coroutine_threadsafe(client.aclose(), loop).result(timeout=30)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=30)
    loop.close()
    stack.stop()


@pytest.fixture(scope="module")
def rows_before(inbound: Inbound) -> dict[str, int]:
    return inbound.rows()


@settings(max_examples=SLACK_BATCHES, **DETERMINISTIC)
@given(batch=st.lists(slack_deliveries(), min_size=BATCH, max_size=BATCH))
def test_slack_endpoint_never_answers_5xx(inbound: Inbound, rows_before: dict[str, int], batch: list[Delivery]):
    for delivery, response in zip(batch, inbound.post_all("/slack/events", batch), strict=True):
        assert response.status_code < 500, delivery
        # a signed body that is not UTF-8 cannot be verified (slack_sdk's SignatureVerifier decodes it): 401
        signed_ok = (200, 400, 404, 413) if _utf8(delivery.body) else (401, 413)
        assert response.status_code in (signed_ok if delivery.signed else (401, 413)), delivery


def test_slack_junk_wrote_no_business_row(inbound: Inbound, rows_before: dict[str, int]):
    inbound.settle()
    assert inbound.rows() == rows_before


@dataclass
class Accepted:
    count: int = 0


ACCEPTED = Accepted()


@settings(max_examples=NOTIFY_BATCHES, **DETERMINISTIC)
@given(batch=st.lists(notify_deliveries(), min_size=BATCH, max_size=BATCH))
def test_salesforce_notify_never_answers_5xx(inbound: Inbound, rows_before: dict[str, int], batch: list[Delivery]):
    for delivery, response in zip(batch, inbound.post_all("/salesforce/notify", batch), strict=True):
        assert response.status_code < 500, delivery
        assert response.status_code in ((202, 400, 413) if delivery.signed else (401, 413)), delivery
        ACCEPTED.count += response.status_code == 202


def test_only_accepted_notifications_queued_work(inbound: Inbound, rows_before: dict[str, int]):
    inbound.settle()
    after = inbound.rows()
    assert after["queued reads"] - rows_before["queued reads"] == ACCEPTED.count > 0
    assert {table: count for table, count in after.items() if table != "queued reads"} == {
        table: count for table, count in rows_before.items() if table != "queued reads"}


def _utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
