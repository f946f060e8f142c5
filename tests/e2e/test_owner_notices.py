"""The owner's pre-flight DM: one message per deal and owner, opened with conversations.open, updated in place by
ts as the rep fixes the deal in Salesforce, until it says ready / invoiced; an owner Slack does not know gets it in
the exceptions channel. And the invoice confirmation DM'd to the owner."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from app.sandbox.book import Book, Line
from app.sandbox.people import CARL, SAM
from app.sandbox.stack import Stack
from app.slack.ids import ActionId, BlockId
from tests.e2e.conftest import approval_messages, eventually, poll

EXCEPTIONS = "C05EXCEPT10N"


def sam_dm(stack: Stack) -> str:
    return stack.emulators.slack.open_dm(SAM.slack_id)


def top_level(stack: Stack, channel: str) -> list:
    return [message for message in stack.emulators.slack.messages(channel) if not message.thread_ts]


def text_of(message) -> str:
    parts = [message.text]
    for block in message.blocks:
        parts.append((block.get("text") or {}).get("text", ""))
        parts += [element.get("text", "") for element in block.get("elements", []) if isinstance(element, dict)]
    return "\n".join(parts)


def edit(stack: Stack, sobject: str, record_id: str, fields: dict) -> None:
    stack.emulators.salesforce.advance_clock(timedelta(seconds=1))
    stack.emulators.salesforce.user_edit(sobject, record_id, fields)


def blocked_deal(stack: Stack, book: Book) -> str:
    book.add_account("Umbrella Health", Segment__c="Enterprise", Tax_Exempt__c=None)
    return book.add_deal("Umbrella - Clinic rollout", account="Umbrella Health",
                         owner_id=stack.emulators.sf_user_ids["sam"], lines=[Line("Implementation", Decimal(2))])


def test_one_dm_per_deal_updated_in_place_until_invoiced(stack: Stack, book: Book):
    deal_id = blocked_deal(stack, book)
    poll(stack)
    dm = sam_dm(stack)
    message = eventually(lambda: top_level(stack, dm), what="the pre-flight DM")[0]
    shown = text_of(message)
    assert "Fix in Salesforce before invoicing: Umbrella - Clinic rollout" in shown
    assert "PO number is required for Enterprise accounts" in shown and "Tax status of account" in shown
    assert f"/lightning/r/Opportunity/{deal_id}/view|Open Opportunity>" in shown
    assert "/lightning/r/Account/" in shown and "|Open Account Umbrella Health>" in shown
    slack = stack.emulators.slack
    assert [call.params.get("users") for call in slack.calls_to("conversations.open")] == [SAM.slack_id]

    book.add_deal("Unrelated deal", account="Umbrella Health", owner_id=stack.emulators.sf_user_ids["bob"],
                  StageName="Prospecting", Billing_Status__c=None, lines=[Line("Support Plan", Decimal(1))])
    poll(stack)                                          # a poll that does not change the deal: nothing new
    edit(stack, "Opportunity", deal_id, {"PO_Number__c": "UMB-1"})
    poll(stack)
    eventually(lambda: "PO number" not in text_of(slack.find_message(dm, message.ts)), what="the PO fix shown")
    assert "Tax status of account" in text_of(slack.find_message(dm, message.ts))

    edit(stack, "Account", book.account_ids["Umbrella Health"], {"Tax_Exempt__c": False})
    edit(stack, "Opportunity", deal_id, {"Description": "touch"})
    poll(stack)
    waiting = eventually(lambda: (shown := text_of(slack.find_message(dm, message.ts)))
                         and "waiting for approval by" in shown and shown, what="the DM saying waiting")
    assert f"*Controller* (<@{CARL.slack_id}>)" in waiting      # a new customer: the controller activates it
    request = eventually(lambda: approval_messages(stack), what="the approval request")[0]
    stack.slack_side.click_button(CARL.slack_id, "C05APPR0VAL", request.ts, ActionId.APPROVE)
    modal = eventually(lambda: slack.views, what="the activation modal")[-1]       # approved as Salesforce says
    stack.slack_side.submit_view(CARL.slack_id, modal["id"], {
        BlockId.ACTIVATION_TERMS_INPUT.value: {ActionId.ACTIVATION_TERMS.value: "Net 30"}})
    eventually(lambda: "Invoiced: Umbrella - Clinic rollout" in slack.find_message(dm, message.ts).text,
               what="the DM saying invoiced")
    invoice_dm = eventually(lambda: [m for m in top_level(stack, dm) if m.ts != message.ts], what="the invoice DM")
    assert len(invoice_dm) == 1 and "is invoiced: invoice" in text_of(invoice_dm[0])
    shown = text_of(invoice_dm[0])
    assert "/app/invoice?txnId=" in shown and "Open the invoice in QuickBooks" in shown
    posts_to_dm = [call for call in slack.calls_to("chat.postMessage") if call.response.get("channel") == dm]
    assert len(posts_to_dm) == 2                         # the pre-flight message once, the invoice DM once
    assert slack.find_message(dm, message.ts).edited_ts is not None


def test_an_owner_slack_does_not_know_is_told_in_the_exceptions_channel(stack: Stack, book: Book):
    stranger = stack.emulators.salesforce.seed("User", {"Name": "Olga Outside", "Email": "olga@elsewhere.example",
                                                        "Username": "olga@elsewhere.example", "IsActive": True})
    book.add_account("Umbrella Health", Segment__c="Enterprise")
    book.add_deal("Umbrella - Clinic rollout", account="Umbrella Health", owner_id=stranger,
                  lines=[Line("Implementation", Decimal(2))])
    poll(stack)
    notice = eventually(lambda: [m for m in top_level(stack, EXCEPTIONS)
                                 if m.text.startswith("Fix in Salesforce")], what="the fallback notice")
    assert len(notice) == 1
    assert "Olga Outside (olga@elsewhere.example) is not in Slack" in text_of(notice[0])
