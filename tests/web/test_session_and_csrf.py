"""The session cookie is signed (a tampered or foreign one is nobody) and the CSRF rules, as pure functions."""
from __future__ import annotations

from starlette.requests import HTTPConnection
from starlette.responses import Response

from app.web import csrf
from app.web.prometheus import slack_payload_type
from app.web.session import SESSION_COOKIE, Person, SessionCodec, secure_cookies
from app.web.signin import safe_next

SECRET = "k" * 40


def connection(cookie: str = "", host: str = "127.0.0.1:8000", scheme: str = "http") -> HTTPConnection:
    headers = [(b"host", host.encode())] + ([(b"cookie", cookie.encode())] if cookie else [])
    return HTTPConnection({"type": "http", "scheme": scheme, "server": (host.split(":")[0], 80), "path": "/",
                           "query_string": b"", "headers": headers})


def signed_cookie(codec: SessionCodec, person: Person) -> str:
    response = Response()
    codec.sign_in(response, connection(), person)
    header = response.headers["set-cookie"]
    assert "HttpOnly" in header and "SameSite=lax" in header and "Path=/" in header
    return header.split(";")[0]


SAM = Person.new(slack_id="U05SAMSALES", email="Sam@Example.com", name="Sam", team_id="T1", finance=False)


def test_the_cookie_round_trips_and_tampering_makes_nobody() -> None:
    codec = SessionCodec(SECRET)
    cookie = signed_cookie(codec, SAM)
    assert codec.person(connection(cookie)) == SAM and SAM.email == "sam@example.com"
    name, _, value = cookie.partition("=")
    assert codec.person(connection(f"{name}={value[:-2]}xx")) is None
    assert SessionCodec("another-secret-" + "z" * 30).person(connection(cookie)) is None
    assert codec.person(connection(f"{SESSION_COOKIE}=")) is None


def test_cookies_are_secure_except_on_plain_http_localhost() -> None:
    assert not secure_cookies(connection(host="127.0.0.1:8000"))
    assert secure_cookies(connection(host="ledgerbridge.example.com"))
    assert secure_cookies(connection(host="localhost:8443", scheme="https"))


def test_csrf_needs_the_session_token_from_this_site() -> None:
    body = f"csrf_token={SAM.csrf}&reason=fixed".encode()
    form = "application/x-www-form-urlencoded"
    assert csrf.accepted(SAM, csrf.token_in(body, form, None))
    assert not csrf.accepted(SAM, csrf.token_in(b"csrf_token=forged", form, None))
    assert not csrf.accepted(SAM, csrf.token_in(b"", form, None))
    assert not csrf.accepted(None, SAM.csrf)
    assert csrf.accepted(SAM, csrf.token_in(b"", "application/json", SAM.csrf))
    public = "https://ledgerbridge.example.com"
    assert csrf.same_origin(None, "127.0.0.1:8000", public)
    assert csrf.same_origin("http://127.0.0.1:8000", "127.0.0.1:8000", public)
    assert csrf.same_origin("https://ledgerbridge.example.com", "10.0.0.5:8000", public)     # behind a proxy
    assert not csrf.same_origin("https://evil.example", "127.0.0.1:8000", public)
    assert not csrf.same_origin("null", "127.0.0.1:8000", public)
    assert str(csrf.hidden_field(SAM)) == f'<input type="hidden" name="csrf_token" value="{SAM.csrf}">'


def test_after_sign_in_only_a_path_on_this_site() -> None:
    assert safe_next("/dashboard/exceptions?page=2") == "/dashboard/exceptions?page=2"
    for elsewhere in ("https://evil.example/", "//evil.example/", "/\\evil.example", None, ""):
        assert safe_next(elsewhere) == "/dashboard"


def test_the_slack_payload_type_label_comes_from_a_closed_list() -> None:
    form = "application/x-www-form-urlencoded"
    assert slack_payload_type(b"command=%2Fapprovals&text=", form) == "slash_command"
    assert slack_payload_type(b'payload=%7B%22type%22%3A%22block_actions%22%7D', form) == "block_actions"
    assert slack_payload_type(b'{"type":"event_callback"}', "application/json") == "event_callback"
    assert slack_payload_type(b'{"type":"made_up_' + b"x" * 50 + b'"}', "application/json") == "other"
    deep = b'{"a":' * 100_000 + b"1" + b"}" * 100_000
    assert slack_payload_type(deep, "application/json") == "malformed"
    assert slack_payload_type(b"\xff\xfe", form) == "malformed"
    assert slack_payload_type(b'{"type":["block_actions"]}', "application/json") == "other"      # not a string
    assert slack_payload_type(b'payload=%7B%22type%22%3A%7B%7D%7D', form) == "other"            # {"type": {}}
