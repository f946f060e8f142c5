"""Pure Block Kit limit checks of the Slack emulator (contracts.md 1.6)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.sandbox.slack.block_kit_limits import (
    message_violations,
    view_too_large,
    view_violations,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "slack"


def section(text: str = "hi", **extra: object) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}, **extra}


def button(text: str = "Go", action_id: str = "go", **extra: object) -> dict:
    return {"type": "button", "text": {"type": "plain_text", "text": text}, "action_id": action_id, **extra}


def modal(**extra: object) -> dict:
    return {"type": "modal", "title": {"type": "plain_text", "text": "Reject"}, "blocks": [], **extra}


def pointers(violations: list) -> list[str]:
    return [v.pointer for v in violations]


def test_blocks_within_every_limit_pass() -> None:
    blocks = [section("x" * 3000, fields=[{"type": "mrkdwn", "text": "y" * 2000}] * 10),
              {"type": "actions", "block_id": "b" * 255, "elements": [button("z" * 75, "a" * 255)] * 25},
              {"type": "header", "text": {"type": "plain_text", "text": "h" * 150}}]
    assert message_violations(blocks + [{"type": "divider"}] * 47) == []


@pytest.mark.parametrize(("blocks", "pointer"), [
    ([{"type": "divider"}] * 51, "/blocks"),
    ([section("x" * 3001)], "/blocks/0/text/text"),
    ([section(fields=[{"type": "mrkdwn", "text": "f"}] * 11)], "/blocks/0/fields"),
    ([section(fields=[{"type": "mrkdwn", "text": "f" * 2001}])], "/blocks/0/fields/0/text"),
    ([{"type": "actions", "elements": [button()] * 26}], "/blocks/0/elements"),
    ([{"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 11}], "/blocks/0/elements"),
    ([{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}], "/blocks/0/text/text"),
    ([{"type": "divider", "block_id": "b" * 256}], "/blocks/0/block_id"),
    ([{"type": "actions", "elements": [button(action_id="a" * 256)]}], "/blocks/0/elements/0/action_id"),
    ([{"type": "actions", "elements": [button("t" * 76)]}], "/blocks/0/elements/0/text/text"),
    ([{"type": "actions", "elements": [button(value="v" * 2001)]}], "/blocks/0/elements/0/value"),
    ([{"type": "actions", "elements": [button(url="https://" + "u" * 3000)]}], "/blocks/0/elements/0/url"),
    ([section(accessory=button("t" * 76))], "/blocks/0/accessory/text/text"),
    ([section(accessory={"type": "static_select", "action_id": "s", "options": [
        {"text": {"type": "plain_text", "text": "o"}, "value": "o"}] * 101})], "/blocks/0/accessory/options"),
    (["not a block"], "/blocks/0"),
])
def test_each_message_limit_is_reported_with_its_json_pointer(blocks: list, pointer: str) -> None:
    violations = message_violations(blocks)
    assert pointer in pointers(violations)
    assert all(v.render().startswith("[ERROR] ") and "[json-pointer:" in v.render() for v in violations)


def test_a_non_list_blocks_value_is_a_violation() -> None:
    assert pointers(message_violations({"type": "section"})) == ["/blocks"]


def test_views_allow_100_blocks_but_not_101() -> None:
    assert view_violations(modal(blocks=[{"type": "divider"}] * 100)) == []
    assert pointers(view_violations(modal(blocks=[{"type": "divider"}] * 101))) == ["/view/blocks"]


@pytest.mark.parametrize(("view", "pointer"), [
    (modal(title={"type": "plain_text", "text": "t" * 25}), "/view/title/text"),
    (modal(submit={"type": "plain_text", "text": "s" * 25}), "/view/submit/text"),
    (modal(close={"type": "plain_text", "text": "c" * 25}), "/view/close/text"),
    (modal(private_metadata="p" * 3001), "/view/private_metadata"),
    (modal(callback_id="c" * 256), "/view/callback_id"),
    ({"type": "modal", "blocks": []}, "/view/title"),
    ({"type": "dialog", "blocks": []}, "/view/type"),
])
def test_each_view_limit_is_reported(view: dict, pointer: str) -> None:
    assert pointer in pointers(view_violations(view))


def test_view_size_limit_is_250_kb() -> None:
    assert not view_too_large(modal(private_metadata="p" * 3000))
    assert view_too_large(modal(blocks=[section("x" * 3000)] * 90))


def test_real_payload_blocks_from_fixtures_pass() -> None:
    message = json.loads((FIXTURES / "block_actions_button_in_message.json").read_text())["message"]
    home = json.loads((FIXTURES / "event_callback_app_home_opened.json").read_text())["event"]["view"]
    submitted = json.loads((FIXTURES / "view_submission_state_values.json").read_text())["view"]
    assert message_violations(message["blocks"]) == []
    assert view_violations(home) == []
    assert view_violations(submitted) == []


def test_an_unknown_block_type_is_refused_like_slack_does():
    violations = message_violations([{"type": "bogus"}, {"type": "divider"}])
    assert [v.pointer for v in violations] == ["/blocks/0/type"]
