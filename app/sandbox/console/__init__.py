"""The demo console: a browser page standing in for the Slack client (and for the QuickBooks and Salesforce screens).

The visitor acts as any demo person. Every click, choice, form submission, slash command and Home-tab visit makes
the Slack side (app/sandbox/slack/slack_side.py) send the app the signed request Slack would send; nothing calls
the app's code directly. What the app then does arrives through the Slack emulator and is drawn from its state.
"""
from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse
from starlette.routing import Route

from app.sandbox.console.blocks import VALUE_PREFIX
from app.sandbox.console.pages import HOME, QUICKBOOKS, SALESFORCE, Visit, page_html, version
from app.sandbox.people import ANN, PEOPLE, Person
from app.sandbox.slack.slack_side import SlackSideError
from app.sandbox.stack import Sandbox
from app.slack.ids import SlashCommand

__all__ = ["create_console", "person_for"]
APPROVALS_CHANNEL = "C05APPR0VAL"


def create_console(stack: Sandbox) -> Starlette:
    async def page(request: Request) -> HTMLResponse:
        visit = _visit(stack, request.query_params.get("as"), request.query_params.get("c"))
        return HTMLResponse(await asyncio.to_thread(page_html, stack, visit))

    async def seen(request: Request) -> PlainTextResponse:
        return PlainTextResponse(version(stack, person_for(request.query_params.get("as"))))

    async def act(request: Request) -> RedirectResponse:
        form = await request.form()
        visit = _visit(stack, form.get("as"), form.get("page"))
        # The Slack side calls the app, which may call this process's emulators: never wait on the event loop.
        await asyncio.to_thread(_act, stack, visit.person.slack_id, form)
        return _back(visit)

    async def submit(request: Request) -> RedirectResponse:
        form = await request.form()
        visit = _visit(stack, form.get("as"), form.get("page"))
        await asyncio.to_thread(_submit, stack, visit.person.slack_id, form)
        return _back(visit)

    async def close(request: Request) -> RedirectResponse:
        form = await request.form()
        visit = _visit(stack, form.get("as"), form.get("page"))
        view_id = str(form.get("view_id", ""))
        if any(view["id"] == view_id for view in stack.emulators.slack.views_of(visit.person.slack_id)):
            stack.emulators.slack.close_view(view_id)
        return _back(visit)

    async def command(request: Request) -> RedirectResponse:
        form = await request.form()
        visit = _visit(stack, form.get("as"), form.get("c"))
        await asyncio.to_thread(_command, stack, visit, form)
        return _back(visit)

    async def open_home(request: Request) -> RedirectResponse:
        visit = Visit(person_for(request.query_params.get("as")), HOME)
        await asyncio.to_thread(_quietly, stack.slack_side.open_home, visit.person.slack_id)
        return _back(visit)

    return Starlette(routes=[Route("/", page), Route("/version", seen), Route("/act", act, methods=["POST"]),
                             Route("/submit", submit, methods=["POST"]), Route("/close", close, methods=["POST"]),
                             Route("/command", command, methods=["POST"]), Route("/open-home", open_home)])


def person_for(value: Any) -> Person:
    """Only the sandbox's people may act (and be echoed into the page); anything else is Ann."""
    return next((person for person in PEOPLE if person.slack_id == str(value)), ANN)


def _visit(stack: Sandbox, as_: Any, page: Any) -> Visit:
    person = person_for(as_)
    wanted = str(page or "")
    slack = stack.emulators.slack
    known = wanted in (HOME, QUICKBOOKS, SALESFORCE) or wanted in slack.channels \
        or wanted == slack.open_dm(person.slack_id)
    return Visit(person, wanted if known else APPROVALS_CHANNEL)


def _back(visit: Visit) -> RedirectResponse:
    return RedirectResponse("./?" + urlencode({"as": visit.person.slack_id, "c": visit.page}), status_code=303)


def _act(stack: Sandbox, user: str, form: Any) -> None:
    side, where, control = stack.slack_side, str(form.get("where", "")), str(form.get("control", ""))
    action_id, block_id = str(form.get("action_id", "")), str(form.get("block_id", "")) or None
    value = str(form.get("value", ""))
    if control == "select" and not value:
        return                                   # the placeholder: Slack sends nothing
    if where in ("message", "ephemeral"):
        channel, ts = str(form.get("channel", "")), str(form.get("ts", ""))
        if control == "button":
            _quietly(side.click_button, user, channel, ts, action_id, block_id=block_id)
        else:
            _quietly(side.select_option, user, channel, ts, action_id, value, block_id=block_id)
    elif where == "view":
        view_id = str(form.get("view_id", ""))
        if control == "button":
            _quietly(side.click_view_button, user, view_id, action_id, block_id=block_id)
        else:
            _quietly(side.select_view_option, user, view_id, action_id, value, block_id=block_id)


def _submit(stack: Sandbox, user: str, form: Any) -> None:
    view_id = str(form.get("view_id", ""))
    if not any(view["id"] == view_id for view in stack.emulators.slack.views_of(user)):
        return
    values: dict[str, dict[str, Any]] = {}
    for key in form.keys():
        if not key.startswith(VALUE_PREFIX) or key.count("|") < 2:
            continue
        _, block_id, action_id = key.split("|", 2)
        chosen = [str(value) for value in form.getlist(key) if str(value) != ""]
        if chosen:
            values.setdefault(block_id, {})[action_id] = chosen[0] if len(chosen) == 1 else chosen
    _quietly(stack.slack_side.submit_view, user, view_id, values)


def _command(stack: Sandbox, visit: Visit, form: Any) -> None:
    wanted = str(form.get("command", ""))
    command = next((known.value for known in SlashCommand if known.value == wanted), None)
    if command is None:
        return
    channel = visit.page if visit.page not in (HOME, QUICKBOOKS, SALESFORCE) else \
        stack.emulators.slack.open_dm(visit.person.slack_id)
    _quietly(stack.slack_side.send_slash_command, visit.person.slack_id, command, str(form.get("text", ""))[:3000],
             channel_id=channel)


def _quietly(call: Any, *args: Any, **kwargs: Any) -> None:
    """The element may be gone (decided meanwhile) or the app briefly away: the page shows what is true now."""
    try:
        call(*args, **kwargs)
    except SlackSideError:
        return
