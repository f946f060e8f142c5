"""Modal private_metadata: typed and versioned, read back exactly, the pre-version formats still read, junk refused."""
from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.slack.metadata import (
    PRIVATE_METADATA_LIMIT,
    CloseExceptionMetadata,
    MetadataError,
    RejectReasonMetadata,
)

SKELETON = [{"type": "section", "block_id": "exception_item:7"}, {"type": "divider", "block_id": "d1"}]


def test_close_metadata_round_trips_with_a_version_and_spelled_out_keys() -> None:
    meta = CloseExceptionMetadata(item_id=7, channel="C0DIGEST", message_ts="1700000000.000100", ephemeral=False,
                                  response_url="https://hooks.slack.com/actions/T1/1/xyz", skeleton=SKELETON)
    encoded = meta.encode()
    assert json.loads(encoded) == {"v": 1, "item_id": 7, "channel": "C0DIGEST", "message_ts": "1700000000.000100",
                                   "ephemeral": False, "response_url": "https://hooks.slack.com/actions/T1/1/xyz",
                                   "skeleton": SKELETON}
    assert CloseExceptionMetadata.decode(encoded) == meta


def test_unset_fields_stay_out_of_the_json() -> None:
    encoded = CloseExceptionMetadata(item_id=7).encode()
    assert encoded == '{"v":1,"item_id":7,"ephemeral":false}'
    assert CloseExceptionMetadata.decode(encoded) == CloseExceptionMetadata(item_id=7)


@given(st.integers(min_value=1, max_value=10**18 - 1))
def test_reject_metadata_round_trips_every_id(request_id: int) -> None:
    assert RejectReasonMetadata.decode(RejectReasonMetadata(request_id=request_id).encode()).request_id == request_id


def test_formats_written_before_the_version_still_read() -> None:
    """Modals opened before this release submit what the old code wrote into them."""
    assert RejectReasonMetadata.decode("42") == RejectReasonMetadata(request_id=42)
    old = json.dumps({"i": 7, "c": "C0DIGEST", "t": "1.2", "e": True, "r": "https://hooks.slack.com/x", "s": SKELETON})
    assert CloseExceptionMetadata.decode(old) == CloseExceptionMetadata(
        item_id=7, channel="C0DIGEST", message_ts="1.2", ephemeral=True, response_url="https://hooks.slack.com/x",
        skeleton=SKELETON)
    without_message = json.dumps({"i": 8, "c": None, "t": None, "e": False, "r": None})
    assert CloseExceptionMetadata.decode(without_message) == CloseExceptionMetadata(item_id=8)


@pytest.mark.parametrize("raw", [
    None, "", "   ", 42, "junk", "{", "[]", "null", "true", "-3", "0", "4.2", "1e3", "99999999999999999999",
    '{"v":1}', '{"v":2,"request_id":1}', '{"v":1,"request_id":"42"}', '{"v":1,"request_id":42,"admin":true}',
    '{"v":"1","request_id":42}', '{"v":1,"request_id":0}',
])
def test_junk_reject_metadata_is_refused_politely(raw: object) -> None:
    with pytest.raises(MetadataError) as refused:
        RejectReasonMetadata.decode(raw)
    assert "please open it again" in str(refused.value)
    assert "{" not in str(refused.value)                    # no validation dump reaches the user


@pytest.mark.parametrize("raw", [
    "junk", '{"i":"7"}', '{"i":7,"x":1}', '{"v":1,"item_id":7,"channel":5}', '{"v":1,"item_id":7,"skeleton":"s"}',
    '{"v":1,"item_id":-1}', '{"v":1,"item_id":7,"ephemeral":"yes"}', '{"c":"C1"}', "7",
])
def test_junk_close_metadata_is_refused(raw: str) -> None:
    with pytest.raises(MetadataError):
        CloseExceptionMetadata.decode(raw)


def test_metadata_over_slacks_limit_is_never_encoded() -> None:
    huge = CloseExceptionMetadata(item_id=7, skeleton=[{"block_id": "x" * PRIVATE_METADATA_LIMIT}])
    with pytest.raises(ValueError, match="3000"):
        huge.encode()


def test_metadata_is_immutable() -> None:
    meta = RejectReasonMetadata(request_id=1)
    with pytest.raises(ValueError):
        meta.request_id = 2  # type: ignore[misc]
