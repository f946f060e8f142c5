"""Exceptions posted as they happen in the exceptions channel: one message per deal with the digest's controls,
updated in place (by ts) when an exception changes, replies in its thread (thread_ts); a burst becomes one
summary; the policy can switch it to digest-only."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from sqlmodel import col, select

from app.db import session_scope
from app.sandbox.book import Book, Line
from app.sandbox.people import ANN, SAM
from app.sandbox.stack import DEMO_POLICY, Stack, sandbox_settings, start_app, start_emulators
from app.slack.ids import ActionId, BlockId, CallbackId
from app.wiring import WORKER_VENDOR_WAIT
from app.work_queue.models import WorkItem
from tests.e2e.conftest import eventually, poll, start_stack

EXCEPTIONS = "C05EXCEPT10N"


def top_level(stack: Stack) -> list:
    return [m for m in stack.emulators.slack.messages(EXCEPTIONS) if not m.thread_ts
            and not m.text.startswith("Fix in Salesforce")]


def replies(stack: Stack, ts: str) -> list:
    return [m for m in stack.emulators.slack.messages(EXCEPTIONS) if m.thread_ts == ts]


def all_text(message) -> str:
    parts = [message.text]
    for block in message.blocks:
        parts.append((block.get("text") or {}).get("text", ""))
        parts += [element.get("text", "") for element in block.get("elements", []) if block["type"] == "context"]
    return "\n".join(parts)


def controls(message) -> list[str]:
    return [element["action_id"] for block in message.blocks if block["type"] == "actions"
            for element in block["elements"]]


def blocked(book: Book, stack: Stack, name: str, account: str = "Acme Corporation") -> str:
    if account not in book.account_ids:
        book.add_account(account, Segment__c="Enterprise", Tax_Exempt__c=None)
    return book.add_deal(name, account=account, owner_id=stack.emulators.sf_user_ids["sam"],
                         lines=[Line("Implementation", Decimal(1))])


def test_a_deal_gets_one_threaded_message_with_controls_updated_in_place(stack: Stack, book: Book):
    deal_id = blocked(book, stack, "Acme - Rollout")
    poll(stack)
    message = eventually(lambda: top_level(stack), what="the deal's exception message")[0]
    assert "Acme - Rollout" in all_text(message) and "2 open" in all_text(message)
    assert controls(message).count(ActionId.EXCEPTION_RESOLVE) == 2
    assert {ActionId.EXCEPTION_RETRY, ActionId.EXCEPTION_TAG_CAUSE, ActionId.EXCEPTION_ASSIGN} <= set(controls(message))

    side, slack = stack.slack_side, stack.emulators.slack
    opened_before = {view["id"] for view in slack.views}
    side.click_button(ANN.slack_id, EXCEPTIONS, message.ts, ActionId.EXCEPTION_RESOLVE)
    modal = eventually(lambda: [v for v in slack.views if v["id"] not in opened_before
                                and v["callback_id"] == CallbackId.EXCEPTION_CLOSE], what="the Resolve modal")[0]
    side.submit_view(ANN.slack_id, modal["id"], {BlockId.EXCEPTION_CLOSE_NOTE.value: {
        ActionId.EXCEPTION_CLOSE_NOTE.value: "Customer sent the PO by email"}})
    eventually(lambda: "1 open" in all_text(slack.find_message(EXCEPTIONS, message.ts)), what="the message updated")
    reply = eventually(lambda: replies(stack, message.ts), what="the thread reply")
    assert f"by <@{ANN.slack_id}>: Customer sent the PO by email" in reply[0].text

    stack.emulators.salesforce.advance_clock(timedelta(seconds=1))
    stack.emulators.salesforce.user_edit("Account", book.account_ids["Acme Corporation"], {"Tax_Exempt__c": False})
    stack.emulators.salesforce.user_edit("Opportunity", deal_id, {"PO_Number__c": "ACME-9"})
    poll(stack)
    eventually(lambda: "0 open" in all_text(slack.find_message(EXCEPTIONS, message.ts)), what="all resolved")
    eventually(lambda: any("automatically" in r.text for r in replies(stack, message.ts)), what="the auto reply")
    assert ActionId.EXCEPTION_RESOLVE not in controls(slack.find_message(EXCEPTIONS, message.ts))
    assert len(top_level(stack)) == 1


def test_a_burst_is_one_summary_with_links(stack: Stack, book: Book):
    for index in range(12):
        blocked(book, stack, f"Burst deal {index}", account=f"Account {index}")
    poll(stack)
    summary = eventually(lambda: top_level(stack), what="the burst summary")
    eventually(lambda: not _flushing(stack), what="the flush to finish")
    assert len(top_level(stack)) == 1
    text = all_text(summary[0])
    assert "new billing exceptions" in text and "12 deals" in text
    assert "/exceptions all" in text and "/dashboard/exceptions|dashboard>" in text


def _flushing(stack: Stack) -> bool:
    with session_scope(stack.runtime.engine) as session:
        return bool(session.exec(select(WorkItem).where(WorkItem.kind == "flush_exception_feed",
                                                        col(WorkItem.status).in_(["queued", "running"]))).all())


@pytest.fixture
def digest_only_stack(sqlite_url: str, tmp_path: Path):
    policy = yaml.safe_load(DEMO_POLICY.read_text())
    policy["exception_feed"] = {"mode": "digest_only"}
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(policy))
    running = start_stack(sqlite_url, ledgerbridge_policy=path)
    yield running
    running.stop()


def test_digest_only_posts_nothing_as_it_happens(digest_only_stack: Stack):
    stack = digest_only_stack
    blocked(Book(stack.emulators.salesforce), stack, "Acme - Quiet")
    poll(stack)
    eventually(lambda: stack.emulators.slack.messages(stack.emulators.slack.open_dm("U05SAMSALES")),
               what="the owner's DM (still sent)")
    eventually(lambda: not _flushing(stack), what="the flush")
    assert top_level(stack) == []


@pytest.fixture
def worker_stack(sqlite_url: str):
    """The worker meets Slack's 429s as `ledgerbridge worker` does: it reschedules the item, never waits inline."""
    emulators = start_emulators()
    emulators.slack.set_rate_limit(rate=2.0, burst=1)       # about Slack's one message a second per channel
    try:
        running = start_app(emulators, sandbox_settings(emulators, database_url=sqlite_url),
                            vendor_wait=WORKER_VENDOR_WAIT)
    except BaseException:
        emulators.stop()
        raise
    yield running
    running.stop()


def test_every_deal_message_of_a_flush_is_posted_through_a_slack_rate_limit(worker_stack: Stack):
    """Slack's per-channel limit answers 429 to the second deal's message of a flush: that message is posted once
    the limit allows, not lost with the flush that announced it."""
    stack, book = worker_stack, Book(worker_stack.emulators.salesforce)
    blocked(book, stack, "Acme - First", account="Acme Corporation")
    blocked(book, stack, "Globex - Second", account="Globex Inc")
    poll(stack)
    posted = eventually(lambda: len(top_level(stack)) == 2 and top_level(stack), timeout=30,
                        what="one message per deal")
    texts = [all_text(message) for message in posted]
    assert any("Acme - First" in text for text in texts) and any("Globex - Second" in text for text in texts)


def test_every_thread_gets_its_closing_reply_through_the_channel_limit(worker_stack: Stack):
    """Two deals fixed in one poll: each deal's message is updated and each thread gets its reply, although the
    channel takes about one message a second (a reply that meets the limit waits for it, it is not dropped)."""
    stack, book = worker_stack, Book(worker_stack.emulators.salesforce)
    first = blocked(book, stack, "Acme - First", account="Acme Corporation")
    second = blocked(book, stack, "Globex - Second", account="Globex Inc")
    poll(stack)
    posted = eventually(lambda: len(top_level(stack)) == 2 and top_level(stack), timeout=30,
                        what="one message per deal")
    salesforce = stack.emulators.salesforce
    salesforce.advance_clock(timedelta(seconds=1))
    for account in ("Acme Corporation", "Globex Inc"):
        salesforce.user_edit("Account", book.account_ids[account], {"Tax_Exempt__c": False})
    for deal_id, po in ((first, "ACME-1"), (second, "GLOBEX-2")):
        salesforce.user_edit("Opportunity", deal_id, {"PO_Number__c": po})
    poll(stack)
    for message in posted:
        eventually(lambda m=message: any("automatically" in r.text for r in replies(stack, m.ts)), timeout=30,
                   what="the closing reply in each thread")


def test_the_deal_owner_is_a_mention_and_an_owner_slack_does_not_know_keeps_the_name(stack: Stack, book: Book):
    """People appear as Slack mentions in messages (Slack shows each reader the name); the owner is found by email."""
    blocked(book, stack, "Acme - Owned")
    stranger = stack.emulators.salesforce.seed("User", {"Name": "Olga Outside", "Email": "olga@elsewhere.example",
                                                        "Username": "olga@elsewhere.example", "IsActive": True})
    book.add_account("Globex Inc", Segment__c="Enterprise", Tax_Exempt__c=None)
    book.add_deal("Globex - Outsider", account="Globex Inc", owner_id=stranger,
                  lines=[Line("Implementation", Decimal(1))])
    poll(stack)
    messages = eventually(lambda: len(top_level(stack)) == 2 and top_level(stack), what="one message per deal")
    texts = {("Acme" if "Acme - Owned" in all_text(m) else "Globex"): all_text(m) for m in messages}
    assert f"Opportunity owner: <@{SAM.slack_id}>" in texts["Acme"]
    assert "Opportunity owner: Olga Outside" in texts["Globex"]
