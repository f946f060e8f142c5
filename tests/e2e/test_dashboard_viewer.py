"""The dashboard shows times in the viewer's zone (Slack users.info `tz`, remembered), the zone named, and people by
real name: the viewer named by a link (?viewer=, then a cookie) or by the SSO proxy's email header."""
from __future__ import annotations

from decimal import Decimal

import httpx

from app.db import session_scope
from app.exception_queue import service
from app.sandbox.book import Book, Line
from app.sandbox.people import ANN, DANA, SAM
from app.sandbox.stack import Stack
from tests.e2e.conftest import poll, settle
from tests.e2e.test_exceptions_slack import items


def test_times_follow_the_viewer_and_owners_read_by_name(stack: Stack, book: Book):
    book.add_account("Umbrella Health", Segment__c="Enterprise")
    book.add_deal("Umbrella - Clinic rollout", account="Umbrella Health", owner_id=stack.emulators.sf_user_ids["sam"],
                  lines=[Line("Implementation", Decimal(2))])
    poll(stack)
    settle(stack)
    item = items(stack, status="open")[0]
    with session_scope(stack.runtime.engine) as session:
        service.assign(session, item_id=item.id, owner_slack_id=SAM.slack_id, actor=ANN.slack_id,
                       clock=stack.runtime.clock)
    with httpx.Client(base_url=stack.app_url) as client:
        as_sam = client.get("/dashboard/exceptions", params={"viewer": SAM.slack_id})
        assert as_sam.status_code == 200 and "Times in America/Los_Angeles" in as_sam.text
        assert "Sam Seller" in as_sam.text and SAM.slack_id not in as_sam.text.split("<tbody>")[1]
        assert " PST" in as_sam.text or " PDT" in as_sam.text
        again = client.get("/dashboard/exceptions")                          # remembered in the cookie
        assert "Times in America/Los_Angeles" in again.text
    by_proxy = httpx.get(stack.app_url + "/dashboard/exceptions", headers={"X-Forwarded-Email": DANA.email})
    assert "Times in Europe/London" in by_proxy.text and " GMT" in by_proxy.text
    nobody = httpx.get(stack.app_url + "/dashboard/exceptions")
    assert "Times in America/New_York" in nobody.text                       # the policy's zone, named
