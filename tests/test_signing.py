import hashlib
import hmac

import pytest
from slack_sdk.signature import Clock, SignatureVerifier

from app.signing import fresh_timestamp, same_signature
from app.slack.endpoint import signed_by_slack

NOW = 1_800_000_000


class At(Clock):
    def __init__(self, now: float) -> None:
        self._now = now

    def now(self) -> float:
        return self._now


def slack_signs(secret: str, timestamp: int, body: bytes) -> str:
    """What Slack sends (contracts.md 1.1), over the exact bytes, written out independently of slack_sdk."""
    return "v0=" + hmac.new(secret.encode(), b"v0:%d:" % timestamp + body, hashlib.sha256).hexdigest()


@pytest.mark.parametrize("raw", ["", "abc", "1e9", "²", "١٢٣", "9" * 400, " 1800000000", "-5", None])
def test_only_plain_ascii_digits_are_a_timestamp(raw):
    assert fresh_timestamp(raw, now=NOW, max_skew=300) is None


def test_a_fresh_timestamp_is_accepted_and_a_stale_one_is_not():
    assert fresh_timestamp(str(NOW - 299), now=NOW, max_skew=300) == NOW - 299
    assert fresh_timestamp(str(NOW - 301), now=NOW, max_skew=300) is None


def test_signatures_compare_safely_whatever_the_header_holds():
    good = slack_signs("secret", NOW, b"token=x")
    assert same_signature(good, good)
    assert not same_signature(good, "v0=\xff\xfe")
    assert not same_signature(good, None) and not same_signature(good, "")


def test_slacks_documented_example_passes_our_pre_check():
    # https://api.slack.com/docs/verifying-requests-from-slack (the worked example on that page)
    body = (b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
            b"&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text="
            b"&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
            b"&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c")
    secret, stamp = "8f742231b10e8888abcd99yyyzzz85a5", 1531420618
    signature = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
    assert slack_signs(secret, stamp, body) == signature
    verifier = SignatureVerifier(secret, clock=At(stamp + 10))
    assert signed_by_slack(verifier, body=body, timestamp=str(stamp), signature=signature, now=stamp + 10)
    assert not signed_by_slack(verifier, body=body + b"x", timestamp=str(stamp), signature=signature, now=stamp + 10)
    assert not signed_by_slack(verifier, body=body, timestamp=str(stamp), signature=signature, now=stamp + 301)


@pytest.mark.parametrize(("body", "timestamp", "signature"), [
    (b"x=1", "\u00b2", None),                      # a digit to str.isdigit(), not to us
    (b"x=1", str(NOW), "v0=\xff\xfe"),             # compare_digest would raise TypeError
    (b"\xff\xfe", str(NOW), None),                 # slack_sdk would raise UnicodeDecodeError
    (b"x=1", None, None),
])
def test_the_pre_check_refuses_what_slack_sdk_would_choke_on(body, timestamp, signature):
    verifier = SignatureVerifier("secret", clock=At(NOW))
    signature = signature or slack_signs("secret", NOW, body)
    assert not signed_by_slack(verifier, body=body, timestamp=timestamp, signature=signature, now=NOW)
