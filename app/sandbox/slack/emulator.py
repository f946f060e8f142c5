"""The Slack emulator as an ASGI app: /api/<method>, /_responses/<id>, /socket-mode/<ticket>, /_admin/..."""
from __future__ import annotations

import json

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route, WebSocketRoute

from app.clock import Clock
from app.sandbox.slack.admin import admin_routes
from app.sandbox.slack.openid import openid_routes
from app.sandbox.slack.response_urls import deliver_response
from app.sandbox.slack.socket_mode import SOCKET_PATH, socket_endpoint
from app.sandbox.slack.state import SlackState
from app.sandbox.slack.web_api import bearer_token, call_method, parse_params
from app.sandbox.slack.web_common import ApiReply, BadArgument, fail

JSON_CONTENT_TYPE = "application/json; charset=utf-8"


async def _web_api(request: Request) -> JSONResponse:
    state: SlackState = request.app.state.slack
    method = request.path_params["method"]
    try:
        params = parse_params(dict(request.query_params), await request.body(),
                              request.headers.get("content-type", ""))
    except BadArgument as bad:
        reply: ApiReply = fail(bad.error, bad.messages)
        state.record_call(method, {}, reply.body, reply.status)
    else:
        token = bearer_token(request.headers.get("authorization"), params)
        reply = call_method(state, method, params, token)
    return JSONResponse(reply.body, status_code=reply.status, headers=reply.headers,
                        media_type="application/json")


async def _response_url(request: Request) -> PlainTextResponse:
    state: SlackState = request.app.state.slack
    try:
        payload = json.loads(await request.body())
    except (json.JSONDecodeError, UnicodeDecodeError):
        return PlainTextResponse("invalid_payload", status_code=400)
    status, text = deliver_response(state, request.path_params["url_id"], payload)
    return PlainTextResponse(text, status_code=status)


def create_slack_emulator(state: SlackState | None = None, *, clock: Clock | None = None) -> Starlette:
    """A Slack Web API emulator; `app.state.slack` is the SlackState it serves (a new one by default)."""
    if state is None:
        state = SlackState(clock=clock)
    elif clock is not None:
        state.clock = clock
    routes = [
        Route("/api/{method}", _web_api, methods=["GET", "POST"]),
        Route("/_responses/{url_id}", _response_url, methods=["POST"]),
        WebSocketRoute(SOCKET_PATH, socket_endpoint),
        *admin_routes(),
        *openid_routes(),
    ]
    app = Starlette(routes=routes)
    app.state.slack = state
    return app
