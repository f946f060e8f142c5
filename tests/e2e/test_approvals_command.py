"""`/approvals [all]`: what waits for my decision, with the same Approve / Reject buttons."""
from __future__ import annotations

import json
from decimal import Decimal

from app.sandbox.book import Book, Line
from app.sandbox.people import ANN, BOB, ERIN
from app.sandbox.stack import Stack
from tests.e2e.conftest import approval_messages, eventually, poll


def answer_to(stack: Stack, user: str, text: str = "") -> dict:
    before = sum(len(r.posts) for r in stack.emulators.slack.all_responses())
    reply = stack.slack_side.send_slash_command(user, "/approvals", text)
    assert reply.status_code == 200
    answer = eventually(lambda: sum(len(r.posts) for r in stack.emulators.slack.all_responses()) > before
                        and stack.emulators.slack.all_responses()[-1], what="the /approvals answer")
    assert answer.posted_at[-1] > reply.answered_at       # acked first; the worker answered afterwards
    return answer.posts[-1]


def test_approvers_see_their_pending_requests_others_see_none(stack: Stack, book: Book):
    book.add_account("Globex Inc")
    book.add_deal("Globex - Expansion", account="Globex Inc", owner_id=stack.emulators.sf_user_ids["bob"],
                  lines=[Line("Annual Subscription", Decimal(2), discount=Decimal(25))])
    poll(stack)
    eventually(lambda: approval_messages(stack), what="the approval request")

    ann = answer_to(stack, ANN.slack_id)
    assert ann["text"].startswith("1 approval request")
    assert "Globex - Expansion" in json.dumps(ann["blocks"]) and "approval_approve" in json.dumps(ann["blocks"])
    assert "Nothing is waiting" in answer_to(stack, ERIN.slack_id)["text"]
    assert "Nothing is waiting" in answer_to(stack, BOB.slack_id)["text"]        # his own deal
    assert answer_to(stack, ERIN.slack_id, "all")["text"].startswith("1 approval request")
