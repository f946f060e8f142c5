"""The Salesforce REST emulator as an ASGI app: data API, login endpoints and the /_admin/ API."""
from __future__ import annotations

import asyncio

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import Response

from app.clock import Clock
from app.sandbox.salesforce.admin import admin_routes
from app.sandbox.salesforce.errors import ApiError, invalid_session, request_limit_exceeded
from app.sandbox.salesforce.login import login_routes
from app.sandbox.salesforce.record_page import record_page_routes
from app.sandbox.salesforce.responses import SalesforceJSON, error_response
from app.sandbox.salesforce.rest import data_routes
from app.sandbox.salesforce.state import CallRecord, FaultKind, SalesforceState

_DATA_PREFIX = "/services/data"
_FAULT_BODIES = {
    FaultKind.SERVER_ERROR: (500, [{"message": "An unexpected error occurred. Please include this ErrorId "
                                    "if you contact support: 1234567890-12345 (-123456789)",
                                    "errorCode": "UNKNOWN_EXCEPTION"}]),
    FaultKind.UNAVAILABLE: (503, [{"message": "Server temporarily unavailable.",
                                   "errorCode": "SERVER_UNAVAILABLE"}]),
}


def create_salesforce_emulator(state: SalesforceState | None = None, *, clock: Clock | None = None) -> Starlette:
    """Build the emulator app around `state` (a fresh SalesforceState when omitted)."""
    if state is None:
        state = SalesforceState(clock=clock)
    elif clock is not None:
        state.use_clock(clock)
    app = Starlette(
        routes=[*login_routes(), *data_routes(), *admin_routes(), *record_page_routes()],
        middleware=[Middleware(_Gate)],
        exception_handlers={ApiError: _api_error, Exception: _unexpected},
    )
    app.state.salesforce = state
    return app


async def _api_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, ApiError)
    return error_response(error)


async def _unexpected(request: Request, error: Exception) -> Response:
    body = [{"message": f"An unexpected error occurred: {type(error).__name__}", "errorCode": "UNKNOWN_EXCEPTION"}]
    return SalesforceJSON(body, status_code=500)


def _bearer(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() in ("bearer", "oauth") else ""


class _Gate(BaseHTTPMiddleware):
    """Fault injection, session check, API usage counting and the call log, around /services/."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        path = request.url.path
        if not path.startswith("/services/"):
            return await call_next(request)
        state: SalesforceState = request.app.state.salesforce
        response = await self._answer(state, request, call_next) if path.startswith(_DATA_PREFIX) \
            else await call_next(request)
        if path.startswith(_DATA_PREFIX):
            response.headers["Sforce-Limit-Info"] = state.limit_info()
        state.log_call(CallRecord(request.method, path, request.url.query, response.status_code))
        return response

    async def _answer(self, state: SalesforceState, request: Request, call_next: RequestResponseEndpoint) -> Response:
        fault = state.next_fault()
        if fault is not None and fault.kind is FaultKind.DELAY:
            await asyncio.sleep(fault.delay_seconds)
        elif fault is not None:
            status, body = _FAULT_BODIES[fault.kind]
            return SalesforceJSON(body, status_code=status)
        if not state.knows_token(_bearer(request)):
            return error_response(invalid_session())
        if not state.count_api_call():
            return error_response(request_limit_exceeded())
        return await call_next(request)
