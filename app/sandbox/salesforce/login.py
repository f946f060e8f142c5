"""Login endpoints: the SOAP `login` call (username + password + security token) and the OAuth2 token
endpoint (JWT bearer and password grants), answering in the shapes simple-salesforce parses."""
from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from html import escape
from typing import Any
from urllib.parse import parse_qsl

import jwt
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.sandbox.salesforce.state import ORG_ID, SalesforceState

_JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
_INVALID_LOGIN = "Invalid username, password, security token; or user locked out."


def _state(request: Request) -> SalesforceState:
    return request.app.state.salesforce


def _origin(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}"


def _soap_fault(code: str, message: str) -> Response:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope '
        'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:sf="urn:fault.partner.soap.sforce.com" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault>'
        f"<faultcode>sf:{code}</faultcode><faultstring>{code}: {escape(message)}</faultstring><detail>"
        f'<sf:LoginFault xsi:type="sf:LoginFault"><sf:exceptionCode>{code}</sf:exceptionCode>'
        f"<sf:exceptionMessage>{escape(message)}</sf:exceptionMessage></sf:LoginFault></detail>"
        "</soapenv:Fault></soapenv:Body></soapenv:Envelope>"
    )
    return Response(body, status_code=500, media_type="text/xml")


def _soap_success(request: Request, version: str, token: str, user_id: str) -> Response:
    server_url = f"{_origin(request)}/services/Soap/u/{escape(version)}/{ORG_ID[:15]}"
    body = (
        '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope '
        'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="urn:partner.soap.sforce.com">'
        "<soapenv:Body><loginResponse><result>"
        f"<metadataServerUrl>{_origin(request)}/services/Soap/m/{escape(version)}/{ORG_ID[:15]}"
        "</metadataServerUrl><passwordExpired>false</passwordExpired><sandbox>true</sandbox>"
        f"<serverUrl>{server_url}</serverUrl><sessionId>{token}</sessionId><userId>{user_id}</userId>"
        f"<userInfo><organizationId>{ORG_ID}</organizationId><userId>{user_id}</userId></userInfo>"
        "</result></loginResponse></soapenv:Body></soapenv:Envelope>"
    )
    return Response(body, status_code=200, media_type="text/xml")


def _soap_credentials(body: bytes) -> tuple[str, str] | None:
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        return None
    found = {element.tag.rsplit("}", 1)[-1]: element.text or "" for element in root.iter()}
    if "username" not in found or "password" not in found:
        return None
    return found["username"], found["password"]


async def soap_login(request: Request) -> Response:
    credentials = _soap_credentials(await request.body())
    if credentials is None:
        return _soap_fault("INVALID_LOGIN", "Malformed login request: username and password are required.")
    state = _state(request)
    username, password_and_token = credentials
    user_id = state.active_user_id(username)
    if user_id is None or not state.check_password(username, password_and_token):
        return _soap_fault("INVALID_LOGIN", _INVALID_LOGIN)
    return _soap_success(request, request.path_params["version"], state.issue_token(), user_id)


def _oauth_error(error: str, description: str, status: int = 400) -> Response:
    return JSONResponse({"error": error, "error_description": description}, status_code=status)


def _token_body(request: Request, token: str, user_id: str) -> Response:
    return JSONResponse({
        "access_token": token, "instance_url": _origin(request), "token_type": "Bearer",
        "id": f"{_origin(request)}/id/{ORG_ID}/{user_id}", "scope": "api",
        "issued_at": str(int(_state(request).now().timestamp() * 1000)),
    })


def _jwt_claims(state: SalesforceState, assertion: str) -> dict[str, Any] | None:
    try:
        unverified = jwt.decode(assertion, options={"verify_signature": False})
        key = state.jwt_key(str(unverified.get("iss", "")))
        if key is None:
            return unverified
        return jwt.decode(assertion, key, algorithms=["RS256"],
                          options={"verify_aud": False, "verify_exp": False})
    except jwt.PyJWTError:
        return None


async def oauth_token(request: Request) -> Response:
    form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
    grant = str(form.get("grant_type", ""))
    state = _state(request)
    if grant == _JWT_GRANT:
        claims = _jwt_claims(state, str(form.get("assertion", "")))
        if claims is None:
            return _oauth_error("invalid_grant", "invalid assertion")
        user_id = state.active_user_id(str(claims.get("sub", "")))
        if user_id is None:
            return _oauth_error("invalid_grant", "user hasn't approved this consumer")
        return _token_body(request, state.issue_token(), user_id)
    if grant == "password":
        username, password = str(form.get("username", "")), str(form.get("password", ""))
        user_id = state.active_user_id(username)
        if user_id is None or not state.check_password(username, password):
            return _oauth_error("invalid_grant", "authentication failure")
        return _token_body(request, state.issue_token(), user_id)
    return _oauth_error("unsupported_grant_type", "grant type not supported")


def login_routes() -> list[Route]:
    return [
        Route("/services/Soap/u/{version}", soap_login, methods=["POST"]),
        Route("/services/oauth2/token", oauth_token, methods=["POST"]),
    ]
