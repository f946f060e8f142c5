"""Slack ids, text formatting, the approval card and the reject modal: pure, no I/O."""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from app.slack.blocks.approval import (
    ApprovalCard,
    Ask,
    DecidedOutcome,
    approval_decided_blocks,
    approval_decided_text,
    approval_request_blocks,
    approval_request_text,
    approval_superseded_blocks,
)
from app.slack.blocks.common import to_dicts
from app.slack.blocks.format import age, day, escape, join_within, link, mention, money, safe_text, truncate, when
from app.slack.blocks.reject_modal import reject_reason_modal
from app.slack.ids import ActionId, BlockId, CallbackId, SlashCommand
from app.slack.metadata import RejectReasonMetadata

HOSTILE = "<!channel> <@U0BOSS> <https://evil.example|click> & co"
CREATED = datetime(2026, 11, 26, 14, 5, tzinfo=UTC)
AT = "<!date^1795701900^{date_short_pretty} {time}|2026-11-26 14:05 UTC>"


def make_card(**changes: Any) -> ApprovalCard:
    card = ApprovalCard(
        request_id=42,
        customer_name="Acme Corp",
        deal_name="Acme 2027 renewal",
        opportunity_id="0065g00000AbCdE",
        opportunity_url="https://acme.my.salesforce.com/0065g00000AbCdE",
        amount=Decimal("12500"),
        asks=(
            Ask("Payment terms", "Net 90 requested where Net 30 is standard"),
            Ask("Discount", "25% discount where 15% is the limit"),
        ),
        requester_name="Bob Seller",
        requester_slack_id="U0123ABCD",
        required_role="Finance controller",
        created_at=CREATED,
    )
    return replace(card, **changes)


def outcome(decision: str = "approved", comment: str | None = None, **changes: Any) -> DecidedOutcome:
    base = DecidedOutcome(
        decision=decision,  # type: ignore[arg-type]
        decider_slack_id="U0ANN1234",
        decider_name="Ann Approver",
        decided_at=CREATED,
        comment=comment,
    )
    return replace(base, **changes)


def mrkdwn_texts(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["text"]] if node.get("type") == "mrkdwn" else []
        return found + [t for value in node.values() for t in mrkdwn_texts(value)]
    if isinstance(node, list):
        return [t for item in node for t in mrkdwn_texts(item)]
    return []


def actions_of(dicts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [element for block in dicts if block["type"] == "actions" for element in block["elements"]]


# ---------- ids ----------

def test_ids_have_the_wire_values_listeners_and_manifest_rely_on() -> None:
    assert ActionId.APPROVE == "approval_approve"
    assert ActionId.REJECT == "approval_reject"
    assert CallbackId.REJECT_REASON == "approval_reject_reason"
    assert SlashCommand.INVOICE_STATUS == "/invoice-status"
    assert SlashCommand.EXCEPTIONS == "/exceptions"
    assert SlashCommand.APPROVALS == "/approvals"
    controls = {"EXCEPTION_RETRY", "EXCEPTION_TAG_CAUSE", "EXCEPTION_ASSIGN", "EXCEPTION_RESOLVE"}
    assert controls <= set(ActionId.__members__)


def test_ids_are_unique_and_within_slack_id_limits() -> None:
    for enum in (ActionId, BlockId, CallbackId):
        values = [member.value for member in enum]
        assert len(values) == len(set(values)), enum
        assert all(0 < len(value) <= 255 for value in values)


# ---------- format ----------

@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        (Decimal("12500"), "$12,500.00"),
        (Decimal("1234.5"), "$1,234.50"),
        (Decimal("0.005"), "$0.01"),
        (Decimal("2.675"), "$2.68"),  # a float would give 2.67
        (Decimal("-1234.5"), "-$1,234.50"),
        (Decimal("-0.001"), "$0.00"),
        (Decimal("123456789012345678901234567890.12"), "$123,456,789,012,345,678,901,234,567,890.12"),
    ],
)
def test_money_formats_decimal_exactly(amount: Decimal, expected: str) -> None:
    assert money(amount) == expected


def test_money_other_currencies() -> None:
    assert money(Decimal("10"), "EUR") == "€10.00"
    assert money(Decimal("1000"), "CHF") == "1,000.00 CHF"


@pytest.mark.parametrize("bad", [12.5, 12, "12.50", None])
def test_money_refuses_anything_but_decimal(bad: Any) -> None:
    with pytest.raises(TypeError, match="Decimal"):
        money(bad)


@pytest.mark.parametrize(("amount", "currency"), [(Decimal("NaN"), "USD"), (Decimal("Infinity"), "USD"),
                                                  (Decimal("1"), "usd"), (Decimal("1"), "$")])
def test_money_refuses_non_finite_amounts_and_bad_currency(amount: Decimal, currency: str) -> None:
    with pytest.raises(ValueError):
        money(amount, currency)


def test_when_shows_the_readers_zone_and_refuses_naive_times() -> None:
    assert when(CREATED, ZoneInfo("America/New_York")) == "26 Nov 2026 09:05 EST"
    assert when(datetime(2026, 7, 1, 14, 5, tzinfo=UTC), ZoneInfo("America/New_York")) == "01 Jul 2026 10:05 EDT"
    assert when(CREATED, ZoneInfo("Asia/Tokyo")) == "26 Nov 2026 23:05 JST"
    with pytest.raises(ValueError, match="aware"):
        when(datetime(2026, 11, 26, 14, 5), ZoneInfo("UTC"))


def test_day_and_age() -> None:
    assert day(date(2026, 12, 26)) == "26 Dec 2026"
    assert age(timedelta(days=3, hours=4, minutes=7)) == "3d 4h"
    assert age(timedelta(hours=5)) == "5h"
    assert age(timedelta(minutes=12, seconds=40)) == "12m"
    assert age(timedelta(seconds=20)) == "just now"
    assert age(timedelta(seconds=-5)) == "just now"


def test_escape_and_safe_text_neutralise_mrkdwn_control_sequences() -> None:
    assert escape("a < b & c > d") == "a &lt; b &amp; c &gt; d"
    assert "<" not in safe_text(HOSTILE, 500) and ">" not in safe_text(HOSTILE, 500)
    assert safe_text("x" * 10, 5) == "xxxx…"


def test_safe_text_never_splits_an_entity() -> None:
    for prefix in range(0, 8):
        out = safe_text("a" * prefix + "&&&&&&&&", 8)
        assert len(out) <= 8
        body = out.rstrip("…")
        assert body.count("&") == body.count("&amp;"), out


def test_truncate_marks_the_cut() -> None:
    assert truncate("abcdef", 4) == "abc…"
    assert truncate("abc", 3) == "abc"
    with pytest.raises(ValueError):
        truncate("abc", 0)


def test_mention_uses_id_when_well_formed_else_escaped_name() -> None:
    assert mention("U0123ABCD", "Bob") == "<@U0123ABCD>"
    assert mention(None, "Bob <b>") == "Bob &lt;b&gt;"
    assert mention("U1> <!channel", "Bob") == "Bob"
    assert mention(None, "   ") == "unknown user"


def test_link_refuses_odd_urls() -> None:
    assert link("https://x.test/a?b=1&c=2", "A<B") == "<https://x.test/a?b=1&amp;c=2|A&lt;B>"
    assert link("javascript:alert(1)", "A") == "A"
    assert link("https://x.test/a|b", "A") == "A"
    assert link(None, "A") == "A"


def test_join_within_adds_and_n_more_when_lines_do_not_fit() -> None:
    lines = [f"line {i:03d}" for i in range(100)]
    out = join_within(lines, 100)
    assert len(out) <= 100 and out.endswith("more")
    shown = out.count("line ")
    assert out.endswith(f"…and {100 - shown} more")
    assert join_within(lines[:3], 100) == "line 000\nline 001\nline 002"
    assert join_within(lines[:5], 1000, max_lines=2) == "line 000\nline 001\n…and 3 more"


# ---------- approval card ----------

def test_request_card_structure_buttons_and_values() -> None:
    dicts = to_dicts(approval_request_blocks(make_card()))
    assert [b["type"] for b in dicts] == ["header", "section", "section", "context", "actions"]
    actions = [b for b in dicts if b["type"] == "actions"]
    assert actions[0]["block_id"] == BlockId.APPROVAL_ACTIONS
    approve, reject = actions_of(dicts)
    assert (approve["action_id"], approve["style"], approve["value"]) == (ActionId.APPROVE, "primary", "42")
    assert (reject["action_id"], reject["style"], reject["value"]) == (ActionId.REJECT, "danger", "42")
    json.dumps(dicts)  # serialisable for the Web API


def test_request_card_content(texts: Callable[[Any], list[str]]) -> None:
    dicts = to_dicts(approval_request_blocks(make_card()))
    body = "\n".join(texts(dicts))
    assert "Acme 2027 renewal" in dicts[0]["text"]["text"]
    assert "$12,500.00" in body
    assert "<https://acme.my.salesforce.com/0065g00000AbCdE|Acme 2027 renewal>" in body
    assert "<@U0123ABCD>" in body
    assert "Finance controller" in body and "Acme Corp" in body
    assert "*Payment terms*: Net 90 requested where Net 30 is standard" in body
    assert "*Discount*: 25% discount where 15% is the limit" in body
    assert f"Request #42 · opened {AT}" in body


def test_request_card_without_slack_id_names_the_requester(texts: Callable[[Any], list[str]]) -> None:
    body = "\n".join(texts(to_dicts(approval_request_blocks(make_card(requester_slack_id=None)))))
    assert "Bob Seller" in body and "<@" not in body


def test_request_fallback_text() -> None:
    text = approval_request_text(make_card())
    assert text == "Approval needed: Acme 2027 renewal for Acme Corp, $12,500.00 (Payment terms, Discount)"


def test_decided_card_has_no_actions_and_states_the_outcome(texts: Callable[[Any], list[str]]) -> None:
    approved = to_dicts(approval_decided_blocks(make_card(), outcome("approved")))
    rejected = to_dicts(approval_decided_blocks(make_card(), outcome("rejected", comment="PO <missing> & late")))
    for dicts in (approved, rejected):
        assert "actions" not in [b["type"] for b in dicts]
        assert actions_of(dicts) == []
        assert dicts[-1]["block_id"] == BlockId.APPROVAL_OUTCOME
    assert approved[-1]["elements"][0]["text"] == f"✅ Approved by <@U0ANN1234> at {AT}"
    assert rejected[-1]["elements"][0]["text"] == (
        f"❌ Rejected by <@U0ANN1234> at {AT} — reason: PO &lt;missing&gt; &amp; late"
    )
    assert "$12,500.00" in "\n".join(texts(rejected))  # same summary kept


def test_decided_outcome_is_one_instant_whatever_the_offset_and_names_unknown_deciders() -> None:
    later = datetime(2026, 11, 26, 9, 5, tzinfo=timezone(timedelta(hours=-5)))
    dicts = to_dicts(approval_decided_blocks(make_card(), outcome(decided_at=later, decider_slack_id=None)))
    assert dicts[-1]["elements"][0]["text"] == f"✅ Approved by Ann Approver at {AT}"
    assert approval_decided_text(make_card(), outcome("rejected")) == "Rejected by <@U0ANN1234>: Acme 2027 renewal"


def test_decided_outcome_refuses_unknown_decisions_and_naive_times() -> None:
    with pytest.raises(ValueError, match="decision"):
        outcome("maybe")
    with pytest.raises(ValueError, match="aware"):
        approval_decided_blocks(make_card(), outcome(decided_at=datetime(2026, 1, 1)))


def test_superseded_card_has_no_actions_and_says_why() -> None:
    dicts = to_dicts(approval_superseded_blocks(make_card(), "amount changed from $12,500.00 to <$20,000.00>"))
    assert actions_of(dicts) == []
    assert dicts[0]["text"]["text"] == "Superseded: Acme 2027 renewal"
    line = dicts[-1]["elements"][0]["text"]
    assert "amount changed from $12,500.00 to &lt;$20,000.00&gt;" in line and "a new request replaces" in line
    assert "Invoicing is held" in line


def test_a_reapproval_request_says_so_and_shows_what_changed() -> None:
    card = make_card(changes=("Taxability: taxable -> exempt", "Bill-to: 1 Main St -> 9 <Elm> St"))
    dicts = to_dicts(approval_request_blocks(card))
    assert dicts[0]["text"]["text"] == "Re-approval needed: Acme 2027 renewal"
    changed = next(block["text"]["text"] for block in dicts if "Changed since" in block.get("text", {}).get("text", ""))
    assert "• Taxability: taxable -&gt; exempt" in changed and "9 &lt;Elm&gt; St" in changed
    assert actions_of(dicts) != []


def test_hostile_names_are_escaped_in_every_mrkdwn_text() -> None:
    card = make_card(
        customer_name=HOSTILE, deal_name=HOSTILE, required_role=HOSTILE, opportunity_id=HOSTILE,
        asks=(Ask(HOSTILE, HOSTILE),), requester_slack_id=None, requester_name=HOSTILE,
    )
    surfaces = [
        to_dicts(approval_request_blocks(card)),
        to_dicts(approval_decided_blocks(card, outcome("rejected", comment=HOSTILE, decider_slack_id=None,
                                                       decider_name=HOSTILE))),
        to_dicts(approval_superseded_blocks(card, HOSTILE)),
    ]
    for dicts in surfaces:
        body = "\n".join(mrkdwn_texts(dicts))
        assert "<!channel>" not in body and "<@U0BOSS>" not in body and "|click>" not in body
        assert body.count("&lt;!channel&gt; &lt;@U0BOSS&gt; &lt;https://evil.example|click&gt; &amp; co") >= 5
    assert "<" not in approval_request_text(card)


def test_very_long_inputs_stay_within_block_kit_limits() -> None:
    huge = "Ä" * 3500 + " & <b>"
    card = make_card(
        customer_name=huge, deal_name=huge, required_role=huge, requester_name=huge, requester_slack_id=None,
        opportunity_url="https://acme.my.salesforce.com/" + "x" * 5000,
        asks=tuple(Ask(huge, huge) for _ in range(60)),
    )
    long_outcome = outcome("rejected", comment=huge, decider_name=huge, decider_slack_id=None)
    for blocks in (approval_request_blocks(card), approval_decided_blocks(card, long_outcome),
                   approval_superseded_blocks(card, huge)):
        dicts = to_dicts(blocks)  # slack_sdk raises SlackObjectFormationError past a limit
        assert len(dicts) <= 50
        assert len(dicts[0]["text"]["text"]) <= 150
        for block in dicts:
            if block["type"] == "section":
                assert len(block.get("text", {}).get("text", "")) <= 3000
                assert all(len(field["text"]) <= 2000 for field in block.get("fields", []))
            if block["type"] == "context":
                assert all(len(element["text"]) <= 2000 for element in block["elements"])
    asks_text = to_dicts(approval_request_blocks(card))[2]["text"]["text"]
    assert asks_text.rstrip().split("\n")[-1].startswith("…and ") and asks_text.endswith(" more")
    assert len(approval_request_text(card)) <= 3000


# ---------- reject modal ----------

def test_reject_modal_shape() -> None:
    view = reject_reason_modal(42, "Acme 2027 renewal").to_dict()
    assert view["type"] == "modal"
    assert view["callback_id"] == CallbackId.REJECT_REASON
    assert view["private_metadata"] == '{"v":1,"request_id":42}'          # versioned (was the bare "42")
    assert RejectReasonMetadata.decode(view["private_metadata"]).request_id == 42
    assert view["submit"]["text"] == "Reject" and view["close"]["text"] == "Cancel"
    assert 0 < len(view["title"]["text"]) <= 24
    inputs = [b for b in view["blocks"] if b["type"] == "input"]
    assert len(inputs) == 1
    reason = inputs[0]
    assert reason["block_id"] == BlockId.REJECT_REASON_INPUT
    assert reason["optional"] is False
    element = reason["element"]
    assert element["type"] == "plain_text_input"
    assert element["action_id"] == ActionId.REJECT_REASON_TEXT
    assert element["multiline"] is True and element["min_length"] == 5
    assert "Acme 2027 renewal" in view["blocks"][0]["text"]["text"]


def test_reject_modal_escapes_and_truncates_the_deal_name() -> None:
    view = reject_reason_modal(7, HOSTILE + "x" * 5000).to_dict()
    intro = view["blocks"][0]["text"]["text"]
    assert "<!channel>" not in intro and "&lt;!channel&gt;" in intro
    assert len(intro) <= 3000
    json.dumps(view)
