"""`/invoice-status` answers within Slack's 3 s, for ids, names and invoice numbers; bad input gets help."""
from __future__ import annotations

import json
from decimal import Decimal

from app.db import session_scope
from app.deals.models import Deal
from app.deals.salesforce_ids import case_suffix
from app.sandbox.book import Book, Line
from app.sandbox.people import ANN, SAM
from app.sandbox.stack import Stack
from app.slack.ids import ActionId
from tests.e2e.conftest import approval_messages, eventually, poll


def ask(stack: Stack, text: str) -> tuple[object, str]:
    """Send the command; return the ack and the text+blocks of the answer posted to response_url."""
    before = len([p for r in stack.emulators.slack.all_responses() for p in r.posts])
    ack = stack.slack_side.send_slash_command(SAM.slack_id, "/invoice-status", text)

    def answer():
        posts = [p for r in stack.emulators.slack.all_responses() for p in r.posts]
        return posts[before:] and json.dumps(posts[-1])
    return ack, eventually(answer, what="the /invoice-status answer")


def seed(stack: Stack, book: Book) -> tuple[str, str]:
    book.add_account("Globex Inc")
    owner = stack.emulators.sf_user_ids["sam"]
    invoiced = book.add_deal("Globex - Support renewal", account="Globex Inc", owner_id=owner,
                             lines=[Line("Support Plan", Decimal(1))])
    pending = book.add_deal("Globex - Expansion", account="Globex Inc", owner_id=owner,
                            lines=[Line("Annual Subscription", Decimal(2), discount=Decimal(25))])
    poll(stack)
    eventually(lambda: stack.emulators.quickbooks.objects("9341452000000001", "Invoice"), what="the invoice")
    return invoiced, pending


def test_by_opportunity_id_shows_the_invoice_with_amount_balance_and_due_date(stack: Stack, book: Book):
    invoiced, _ = seed(stack, book)
    ack, answer = ask(stack, invoiced)
    assert ack.status_code == 200
    assert "Globex - Support renewal" in answer
    assert invoiced in answer                                     # the invoice number is the DocNumber
    assert "$2,400.00" in answer and "Invoiced" in answer


def test_by_invoice_number_and_15_character_id(stack: Stack, book: Book):
    invoiced, _ = seed(stack, book)
    assert "Globex - Support renewal" in ask(stack, invoiced[:15])[1]
    number = stack.emulators.quickbooks.objects("9341452000000001", "Invoice")[0]["DocNumber"]
    assert "Globex - Support renewal" in ask(stack, number)[1]


def test_pending_approvals_and_then_who_approved_and_when(stack: Stack, book: Book):
    _, pending = seed(stack, book)
    answer = ask(stack, "Globex - Expansion")[1]
    assert "Awaiting approval" in answer and "Discount" in answer
    request = eventually(lambda: approval_messages(stack), what="the request")[0]
    stack.slack_side.click_button(ANN.slack_id, "C05APPR0VAL", request.ts, ActionId.APPROVE)
    eventually(lambda: len(stack.emulators.quickbooks.objects("9341452000000001", "Invoice")) == 2,
               what="the second invoice")
    answer = ask(stack, pending)[1]
    assert f"approved by <@{ANN.slack_id}>" in answer and "<!date^" in answer     # a mention; reader's zone


def test_an_ambiguous_name_lists_the_candidates(stack: Stack, book: Book):
    seed(stack, book)
    answer = ask(stack, "globex")[1]
    assert "Globex - Support renewal" in answer and "Globex - Expansion" in answer
    assert "/invoice-status" in answer


def test_unknown_or_empty_input_gets_help_not_an_error(stack: Stack, book: Book):
    seed(stack, book)
    assert "No deal" in ask(stack, "Nonexistent Widget Co")[1]
    empty = stack.slack_side.send_slash_command(SAM.slack_id, "/invoice-status", "")
    assert empty.status_code == 200 and "invoice-status" in empty.body
    hostile = ask(stack, "'; DROP TABLE deal; -- %_ <@U123>")[1]
    assert "DROP" in hostile                                      # echoed back as text, not executed
    assert "Globex - Support renewal" in ask(stack, "Globex - Support renewal")[1]


def test_an_id_never_answers_with_another_customers_deal(stack: Stack, book: Book):
    """Another deal shares the first 15 characters but for case (Salesforce ids are case-sensitive)."""
    book.add_account("Globex Inc")
    owner = stack.emulators.sf_user_ids["sam"]
    globex = book.add_deal("Globex - Support renewal", account="Globex Inc", owner_id=owner,
                           lines=[Line("Support Plan", Decimal(1))])
    poll(stack)
    twin = globex[:3] + globex[3:15].swapcase()
    now = stack.runtime.clock.now()
    with session_scope(stack.runtime.engine) as session:
        session.add(Deal(sf_id=twin + case_suffix(twin), name="Initech - Pilot", stage="Prospecting",
                         sf_modstamp=now, first_seen_at=now, updated_at=now))
    answer = ask(stack, globex)[1]
    assert "Globex - Support renewal" in answer and "Initech" not in answer and "deals match" not in answer
    assert "Initech - Pilot" in ask(stack, twin)[1] and "Globex" not in ask(stack, twin)[1]


def test_a_huge_query_gets_a_clear_reply_at_once(stack: Stack):
    reply = stack.slack_side.send_slash_command(SAM.slack_id, "/invoice-status", "x" * 100_000)
    assert reply.status_code == 200
    assert "100,000 characters" in reply.body and "at most 200" in reply.body
    assert "went wrong" not in reply.body
