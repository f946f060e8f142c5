"""HTTP endpoints of the Intuit identity side: discovery document, token, revoke, authorize, userinfo, jwks."""
from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from app.sandbox.quickbooks.oauth import OAuthError, TokenRequest, revoke, token_response
from app.sandbox.quickbooks.state import CallRecord, QuickBooksState

TOKEN_PATH = "/oauth2/v1/tokens/bearer"
REVOKE_PATH = "/oauth2/v1/tokens/revoke"
AUTHORIZE_PATH = "/connect/oauth2"
USERINFO_PATH = "/v1/openid_connect/userinfo"
JWKS_PATH = "/op/v1/jwks"
QUICKBOOKS_SCOPES = {"com.intuit.quickbooks.accounting", "com.intuit.quickbooks.payment"}


def discovery_document(base_url: str) -> dict[str, object]:
    """Same keys as Intuit's openid_sandbox_configuration, every endpoint on this emulator."""
    base = base_url.rstrip("/")
    return {
        "issuer": f"{base}/op/v1",
        "authorization_endpoint": base + AUTHORIZE_PATH,
        "token_endpoint": base + TOKEN_PATH,
        "userinfo_endpoint": base + USERINFO_PATH,
        "revocation_endpoint": base + REVOKE_PATH,
        "jwks_uri": base + JWKS_PATH,
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "email", "profile", "address", "phone"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "claims_supported": ["aud", "exp", "iat", "iss", "realmid", "sub"],
    }


async def discovery(request: Request) -> Response:
    return JSONResponse(discovery_document(str(request.base_url)))


async def token(request: Request) -> Response:
    state: QuickBooksState = request.app.state.qbo
    form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
    try:
        response = JSONResponse(token_response(state, TokenRequest(request.headers.get("authorization"), form)))
    except OAuthError as error:
        response = JSONResponse(error.body, status_code=error.status)
    _record(state, request, response.status_code, {"grant_type": form.get("grant_type", "")})
    return response


async def revoke_token(request: Request) -> Response:
    state: QuickBooksState = request.app.state.qbo
    try:
        body = json.loads(await request.body() or b"{}")
        value = body.get("token") if isinstance(body, dict) else None
        revoke(state, request.headers.get("authorization"), value)
        response: Response = Response(status_code=200)
    except ValueError:
        response = JSONResponse({"error": "invalid_request"}, status_code=400)
    except OAuthError as error:
        response = JSONResponse(error.body, status_code=error.status)
    _record(state, request, response.status_code, {})
    return response


async def authorize(request: Request) -> Response:
    """Consent screen stand-in: approves at once and redirects to redirect_uri with `code`, `state` and `realmId`
    for the first (or `realm_id`-asked) company. As Intuit: a bad client or redirect_uri is an error page (400);
    a wrong response_type or a scope without QuickBooks access is redirected back as `error=...` with the state."""
    state: QuickBooksState = request.app.state.qbo
    params = request.query_params
    realm_id = params.get("realm_id") or next(iter(state.realms), None)
    client_id, redirect_uri = params.get("client_id", ""), params.get("redirect_uri")
    if not redirect_uri or client_id not in state.clients or realm_id is None:
        return JSONResponse({"error": "invalid_request"}, status_code=400)
    problem = _authorize_problem(params.get("response_type"), params.get("scope", ""))
    if problem:
        return RedirectResponse(_with_query(redirect_uri, {"error": problem, "state": params.get("state", "")}),
                                status_code=302)
    code = state.issue_auth_code(client_id, realm_id, redirect_uri)
    query = {"code": code, "state": params.get("state", ""), "realmId": realm_id}
    return RedirectResponse(_with_query(redirect_uri, query), status_code=302)


def _authorize_problem(response_type: str | None, scope: str) -> str | None:
    if response_type != "code":
        return "unsupported_response_type"
    if not set(scope.split()) & QUICKBOOKS_SCOPES:
        return "invalid_scope"
    return None


def _with_query(url: str, query: dict[str, str]) -> str:
    return f"{url}{'&' if '?' in url else '?'}{urlencode(query)}"


async def userinfo(request: Request) -> Response:
    return JSONResponse({"sub": "emulated-user", "email": "admin@example.com", "emailVerified": True})


async def jwks(request: Request) -> Response:
    return JSONResponse({"keys": []})


def _record(state: QuickBooksState, request: Request, status: int, query: dict[str, str]) -> None:
    state.record_call(CallRecord(state.now(), request.method, request.url.path, query, status))
