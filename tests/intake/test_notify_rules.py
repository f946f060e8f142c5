import json

import pytest

from app.intake.notify import NotifyRejected, parse_notification, sign_notify, verify_notify

SECRET = "s3cret"
NOW = 1_800_000_000


def _body(ids):
    return json.dumps({"opportunity_ids": ids}).encode()


def test_valid_signature_is_accepted():
    body = _body(["006000000000001AAA"])
    signature = sign_notify(SECRET, NOW, body)
    verify_notify(secret=SECRET, timestamp=str(NOW), signature=signature, body=body, now=NOW + 10)


@pytest.mark.parametrize(
    ("timestamp", "signature_secret", "now", "message"),
    [
        (str(NOW), "other", NOW, "does not match"),
        (str(NOW), SECRET, NOW + 301, "5 minutes"),
        ("abc", SECRET, NOW, "unix seconds"),
        (None, SECRET, NOW, "missing"),
    ],
)
def test_bad_signatures_are_rejected(timestamp, signature_secret, now, message):
    body = _body(["006000000000001AAA"])
    signature = sign_notify(signature_secret, NOW, body)
    with pytest.raises(NotifyRejected, match=message):
        verify_notify(secret=SECRET, timestamp=timestamp, signature=signature, body=body, now=now)


def test_tampered_body_is_rejected():
    signature = sign_notify(SECRET, NOW, _body(["006000000000001AAA"]))
    with pytest.raises(NotifyRejected):
        verify_notify(secret=SECRET, timestamp=str(NOW), signature=signature,
                      body=_body(["006000000000002AAA"]), now=NOW)


def test_ids_are_deduplicated_in_order():
    parsed = parse_notification(_body(["006000000000002AAA", "006000000000001", "006000000000002AAA"]))
    assert parsed.opportunity_ids == ("006000000000002AAA", "006000000000001")


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[]", b'{"opportunity_ids": []}', b'{"opportunity_ids": ["x; DROP"]}',
     b'{"opportunity_ids": [12]}', _body(["006000000000001AAA"] * 201)],
)
def test_malformed_bodies_are_rejected_with_a_reason(body):
    with pytest.raises(NotifyRejected) as caught:
        parse_notification(body)
    assert str(caught.value)


@pytest.mark.parametrize("bad_id", ["006000000000001AAA\n", "006000000000001\n", "\n006000000000001"])
def test_an_id_with_a_line_break_is_refused(bad_id):
    with pytest.raises(NotifyRejected, match="not Salesforce ids"):
        parse_notification(_body([bad_id]))


def test_refused_ids_are_quoted_short_and_once():
    with pytest.raises(NotifyRejected) as refused:
        parse_notification(_body(["x" * 100_000, [["nested"] * 1000]] * 3))
    assert len(str(refused.value)) < 200
