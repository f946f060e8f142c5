"""The digest stays within Block Kit limits with 10,000 open exceptions, and Slack (the emulator) accepts it."""
from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from slack_sdk import WebClient
from sqlalchemy import insert

from app.db import make_engine, session_scope
from app.db_migrate import upgrade
from app.deals.models import Deal
from app.exception_queue import queries
from app.exception_queue.digest import MAX_DIGEST_ITEMS, build_digest
from app.exception_queue.models import ExceptionItem
from app.exception_queue.rules import due_soon_until
from app.integrations.slack_api import SlackApi
from app.policy import ExceptionKind, load_policy
from app.sandbox.server import serve_in_thread
from app.sandbox.slack import create_slack_emulator
from app.sandbox.slack.block_kit_limits import message_violations
from app.sandbox.slack.state import DEFAULT_BOT_TOKEN, SlackState
from app.sandbox.stack import DEMO_POLICY
from app.slack.blocks.common import to_dicts
from app.slack.blocks.digest import digest_blocks, digest_text

POLICY = load_policy(DEMO_POLICY)
NOW = datetime(2026, 11, 24, 13, 35, tzinfo=UTC)
QUEUE_SIZE = 10_000
KINDS = list(ExceptionKind)


@pytest.fixture
def big_queue(sqlite_url: str) -> Iterator:
    upgrade(sqlite_url)
    engine = make_engine(sqlite_url)
    with session_scope(engine) as session:
        session.execute(insert(Deal), [
            {"sf_id": f"006{index:015d}", "name": f"<!channel> Deal & {'very long name ' * 20}{index}",
             "stage": "Closed Won", "sf_modstamp": NOW, "first_seen_at": NOW, "updated_at": NOW,
             "gate_status": "blocked", "currency": "USD", "is_won": True, "snapshot": {}, "gate_problems": []}
            for index in range(100)])
    started = time.monotonic()
    with session_scope(engine) as session:
        session.execute(insert(ExceptionItem), [
            {"kind": KINDS[index % len(KINDS)].value, "dedupe_key": f"gate:{index}", "open_marker": 1,
             "deal_id": 1 + index % 100, "reason": "Reason <@U123> " + "x" * 2500, "fix": "Fix it " * 200,
             "sla_due_at": NOW + timedelta(minutes=index - 5000), "status": "open", "created_at": NOW,
             "retry_count": 0, "suggested_root_cause": "rep_data_entry" if index % 3 else None}
            for index in range(QUEUE_SIZE)])
    assert time.monotonic() - started < 10
    yield engine
    engine.dispose()


def render(engine):
    with session_scope(engine) as session:
        soon_until = due_soon_until(NOW, POLICY)
        breached, soon, others = queries.digest_rows(session, now=NOW, limit=MAX_DIGEST_ITEMS, soon_until=soon_until)
        content = build_digest(
            counts=queries.queue_counts(session, now=NOW, soon_until=soon_until), policy=POLICY, now=NOW,
            breached=queries.views(breached, now=NOW, policy=POLICY, record_link=lambda i: f"https://sf.test/{i}"),
            due_soon=queries.views(soon, now=NOW, policy=POLICY, record_link=None),
            others=queries.views(others, now=NOW, policy=POLICY, record_link=None))
    return content, to_dicts(digest_blocks(content, policy=POLICY, tz=POLICY.zone,
                                           dashboard_url="https://lb.test/dashboard/exceptions", now=NOW))


def test_ten_thousand_open_exceptions_fit_in_one_message(big_queue):
    content, blocks = render(big_queue)
    assert content.total_open == QUEUE_SIZE
    # due soon = 4 business hours: 08:35 New York is before opening, so the window runs to 13:00 (265 minutes)
    assert content.breached == 5001 and content.due_soon == 265
    assert [section.title for section in content.sections] == ["SLA breached"]      # breached first fill the budget
    assert content.not_shown == QUEUE_SIZE - MAX_DIGEST_ITEMS
    assert message_violations(blocks) == [] and len(blocks) <= 50
    text = json.dumps(blocks)
    assert "9988 more not shown" in text and "/exceptions all" in text
    assert "&lt;!channel&gt;" in text and "<!channel>" not in text              # names are escaped
    first = next(block for block in blocks if block.get("block_id", "").startswith("exception_actions:"))
    assert [element["action_id"] for element in first["elements"]] == [
        "exception_retry", "exception_tag_cause", "exception_assign", "exception_resolve"]


def test_slack_accepts_the_digest(big_queue):
    state = SlackState(post_message_rate=100.0, post_message_burst=100)
    state.add_channel("C05D1GESTFIN", "finance")
    server = serve_in_thread(create_slack_emulator(state), port=0)
    try:
        slack = SlackApi(WebClient(token=DEFAULT_BOT_TOKEN, base_url=server.url + "/api/"))
        content, blocks = render(big_queue)
        posted = slack.post_message("C05D1GESTFIN", text=digest_text(content), blocks=blocks)
    finally:
        server.stop()
    assert state.find_message(posted.channel, posted.ts).blocks == blocks
