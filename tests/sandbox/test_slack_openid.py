"""Sign in with Slack against the emulator through slack_sdk and our wrapper: the happy path, then every way
a sign-in must fail (wrong secret, a code used twice, another redirect_uri, a wrong nonce, a forged id_token)."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from app.config import load_settings
from app.integrations.slack_openid import SignInFailed, authorize_url, check_id_token, sign_in
from app.sandbox.slack.openid import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET

REDIRECT = "http://127.0.0.1:9/signin/callback"
NONCE = "nonce-123"


@pytest.fixture
def slack(slack_emulator):
    app, server = slack_emulator
    app.state.slack.add_user("U0DANA", "dana", real_name="Dana Chief", email="Dana@Example.com")
    return server


def settings_for(server, **overrides):
    values = {"slack_api_url": server.url + "/api/", "slack_client_id": DEMO_CLIENT_ID,
              "slack_client_secret": DEMO_CLIENT_SECRET, "database_url": "sqlite://"}
    return load_settings(**(values | overrides))


def code_for(server, user_id: str = "U0DANA", *, nonce: str = NONCE) -> str:
    """What the browser does: open the authorize page, pick a person, follow the redirect's code."""
    address = authorize_url(settings_for(server), redirect_uri=REDIRECT, state="st-1", nonce=nonce)
    assert address.startswith(server.url + "/openid/connect/authorize?")
    page = httpx.get(address)
    assert page.status_code == 200 and "Dana Chief" in page.text
    picked = httpx.post(address, data={"user": user_id})
    assert picked.status_code == 302
    back = urlsplit(picked.headers["location"])
    query = parse_qs(back.query)
    assert back.path == "/signin/callback" and query["state"] == ["st-1"]
    return query["code"][0]


def test_sign_in_reads_who_signed_in(slack) -> None:
    identity = sign_in(settings_for(slack), code=code_for(slack), redirect_uri=REDIRECT, nonce=NONCE)
    assert (identity.user_id, identity.email, identity.name, identity.team_id) == \
        ("U0DANA", "dana@example.com", "Dana Chief", "T0001")


def test_the_methods_answer_slack_shapes(slack) -> None:
    client = WebClient(base_url=slack.url + "/api/")
    token = client.openid_connect_token(client_id=DEMO_CLIENT_ID, client_secret=DEMO_CLIENT_SECRET,
                                        code=code_for(slack), redirect_uri=REDIRECT)
    assert token["ok"] and token["token_type"] == "Bearer" and token["access_token"].startswith("xoxp-")
    claims = jwt.decode(token["id_token"], DEMO_CLIENT_SECRET, algorithms=["HS256"], audience=DEMO_CLIENT_ID)
    assert claims["sub"] == "U0DANA" and claims["nonce"] == NONCE
    info = client.openid_connect_userInfo(token=token["access_token"])
    assert info["https://slack.com/user_id"] == "U0DANA" and info["https://slack.com/team_id"] == "T0001"
    assert info["email"] == "Dana@Example.com" and info["name"] == "Dana Chief" and info["sub"] == "U0DANA"
    with pytest.raises(SlackApiError) as refused:
        client.openid_connect_userInfo(token="xoxp-oidc-not-issued")
    assert refused.value.response["error"] == "invalid_auth"


@pytest.mark.parametrize(("change", "error"), [
    ({"client_secret": "wrong"}, "bad_client_secret"),
    ({"client_id": "9999.0000"}, "invalid_client_id"),
    ({"redirect_uri": "http://127.0.0.1:9/elsewhere"}, "bad_redirect_uri"),
])
def test_the_token_method_refuses_what_slack_refuses(slack, change: dict, error: str) -> None:
    asked = {"client_id": DEMO_CLIENT_ID, "client_secret": DEMO_CLIENT_SECRET, "code": code_for(slack),
             "redirect_uri": REDIRECT} | change
    with pytest.raises(SlackApiError) as refused:
        WebClient(base_url=slack.url + "/api/").openid_connect_token(**asked)
    assert refused.value.response["error"] == error


def test_a_code_works_once(slack) -> None:
    code = code_for(slack)
    sign_in(settings_for(slack), code=code, redirect_uri=REDIRECT, nonce=NONCE)
    with pytest.raises(SignInFailed, match="invalid_code"):
        sign_in(settings_for(slack), code=code, redirect_uri=REDIRECT, nonce=NONCE)


def test_a_wrong_nonce_or_a_forged_id_token_fails(slack) -> None:
    with pytest.raises(SignInFailed, match="nonce"):
        sign_in(settings_for(slack), code=code_for(slack, nonce="other"), redirect_uri=REDIRECT, nonce=NONCE)
    forged = jwt.encode({"sub": "U0DANA", "aud": DEMO_CLIENT_ID, "iat": 1, "exp": 4_000_000_000, "nonce": NONCE},
                        "not-the-client-secret-but-long-enough-0123", algorithm="HS256")
    with pytest.raises(SignInFailed, match="InvalidSignatureError"):
        check_id_token(forged, client_id=DEMO_CLIENT_ID, secret=DEMO_CLIENT_SECRET, nonce=NONCE)


def test_the_authorize_page_refuses_an_unknown_app(slack) -> None:
    page = httpx.get(slack.url + "/openid/connect/authorize", params={
        "client_id": "9999.0000", "redirect_uri": REDIRECT, "scope": "openid", "response_type": "code"})
    assert page.status_code == 400
