"""The demo console draws Block Kit and mrkdwn as Slack does, as safe HTML (no markup or script from the text)."""
from __future__ import annotations

from datetime import UTC, datetime

from app.sandbox.console.blocks import Renderer, Where
from app.sandbox.console.mrkdwn import Reader, mrkdwn_html, plain_html

NOW = datetime(2026, 11, 26, 20, 0, tzinfo=UTC)
NAMES = {"U05ANNFIN01": "Ann Finance"}


def reader(tz: str = "America/New_York") -> Reader:
    return Reader(tz=tz, user_name=lambda user: NAMES.get(user, user), channel_name=lambda c: "finance-approvals",
                  now=NOW)


def test_mrkdwn_formatting_mentions_links_and_emoji():
    shown = mrkdwn_html("*Deal* _now_ ~old~ `x*y*` <@U05ANNFIN01> <#C05APPR0VAL> :white_check_mark: "
                        "<https://example.com/a?b=1&amp;c=2|Open &lt;it&gt;>", reader())
    assert "<b>Deal</b>" in shown and "<i>now</i>" in shown and "<s>old</s>" in shown
    assert "<code>x*y*</code>" in shown                                  # no formatting inside code
    assert '<span class="mention">@Ann Finance</span>' in shown and "#finance-approvals" in shown
    assert "✅" in shown
    assert '<a href="https://example.com/a?b=1&amp;c=2"' in shown and ">Open &lt;it&gt;</a>" in shown


def test_date_tokens_read_in_the_viewers_zone():
    token = "<!date^1795701900^{date_short_pretty} {time}|2026-11-26 14:05 UTC>"
    assert ">Today 9:05 AM</time>" in mrkdwn_html(token, reader("America/New_York"))
    assert ">Today 6:05 AM</time>" in mrkdwn_html(token, reader("America/Los_Angeles"))
    assert "(Europe/London)" in mrkdwn_html(token, reader("Europe/London"))
    assert mrkdwn_html("<!date^nonsense^{time}|the fallback>", reader()) == "the fallback"


def test_hostile_text_stays_text():
    hostile = "&lt;script&gt;alert(1)&lt;/script&gt; <javascript:alert(1)|click> <img src=x onerror=alert(1)>"
    shown = mrkdwn_html(hostile, reader())
    assert "<script" not in shown and "javascript:" not in shown.split(">click")[0] and "<img" not in shown
    assert "&lt;script&gt;" in shown
    assert plain_html("<b>x</b> :tada:") == "&lt;b&gt;x&lt;/b&gt; 🎉"


def test_blocks_draw_buttons_with_styles_selects_and_modal_errors():
    renderer = Renderer(reader=reader(), people=[("U05ANNFIN01", "Ann Finance")], acting="U05ANNFIN01", page="C1")
    blocks = [{"type": "header", "text": {"type": "plain_text", "text": "Approval needed"}},
              {"type": "section", "fields": [{"type": "mrkdwn", "text": "*Amount*\n$1.00"}]},
              {"type": "divider"},
              {"type": "actions", "block_id": "approval_actions", "elements": [
                  {"type": "button", "action_id": "approval_approve", "text": {"type": "plain_text", "text": "Approve"},
                   "style": "primary", "value": "1"},
                  {"type": "users_select", "action_id": "exception_assign", "initial_user": "U05ANNFIN01",
                   "placeholder": {"type": "plain_text", "text": "Assign"}}]}]
    html = renderer.blocks(blocks, Where("message", channel="C1", ts="1.2"))
    assert '<div class="bk-header">Approval needed</div>' in html and "<b>Amount</b><br>$1.00" in html
    assert 'class="btn primary">Approve</button>' in html and 'name="block_id" value="approval_actions"' in html
    assert '<option value="U05ANNFIN01" selected>Ann Finance</option>' in html
    modal = [{"type": "input", "block_id": "reason", "label": {"type": "plain_text", "text": "Reason"},
              "element": {"type": "plain_text_input", "action_id": "text", "multiline": True}}]
    drawn = renderer.blocks(modal, Where("view", view_id="V1"), errors={"reason": "Too short <b>"}, in_form=True)
    assert 'name="v|reason|text"' in drawn and "has-error" in drawn and "Too short &lt;b&gt;" in drawn
