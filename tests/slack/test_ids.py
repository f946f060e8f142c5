"""Ids that name one row ("exception_item:42") are built and read back by app/slack/ids.py only."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.slack.ids import MAX_ID_DIGITS, BlockId, parse_id, parse_prefixed_id, prefixed_id

EXCEPTION_BLOCKS = (BlockId.EXCEPTION_ACTIONS, BlockId.EXCEPTION_ITEM)


def test_prefixed_ids_name_the_block_and_the_row() -> None:
    assert prefixed_id(BlockId.EXCEPTION_ITEM, 42) == "exception_item:42"
    assert prefixed_id(BlockId.EXCEPTION_ACTIONS, 7) == "exception_actions:7"


@given(st.sampled_from(EXCEPTION_BLOCKS), st.integers(min_value=0, max_value=10**MAX_ID_DIGITS - 1))
def test_prefixed_ids_read_back(prefix: BlockId, row_id: int) -> None:
    assert parse_prefixed_id(prefixed_id(prefix, row_id), *EXCEPTION_BLOCKS) == row_id


@pytest.mark.parametrize("value", [
    None, "", "exception_item", "exception_item:", "exception_item:#4", "exception_item:x", "exception_item:-4",
    "exception_item:4.0", "exception_item:" + "9" * (MAX_ID_DIGITS + 1), "exceptions_pager:4", "approval_actions:4",
    "exception_item:٤", 42,
])
def test_other_values_name_no_row(value: object) -> None:
    assert parse_prefixed_id(value, *EXCEPTION_BLOCKS) is None


def test_only_the_prefixes_asked_for_match() -> None:
    assert parse_prefixed_id("exception_item:4", BlockId.EXCEPTION_ACTIONS) is None
    assert parse_prefixed_id("exception_item:4", BlockId.EXCEPTION_ITEM) == 4


@pytest.mark.parametrize(("text", "expected"), [
    ("42", 42), (" #42 ", 42), ("0", 0), ("9" * MAX_ID_DIGITS, int("9" * MAX_ID_DIGITS)),
    ("9" * (MAX_ID_DIGITS + 1), None), ("", None), (None, None), ("4 2", None), ("²", None), ("-1", None),
    ("0x10", None),
])
def test_parse_id_takes_ascii_digits_only(text: object, expected: int | None) -> None:
    assert parse_id(text) == expected
