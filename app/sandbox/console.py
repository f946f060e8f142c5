"""The demo console: a browser page standing in for the Slack client, Salesforce and QuickBooks screens.

Every button here makes the Slack side send the same signed request Slack would send; nothing calls
the app's code directly.
"""
from __future__ import annotations

import asyncio
import html
import json
import time
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse
from starlette.routing import Route

from app.sandbox.people import ANN, PEOPLE
from app.sandbox.quickbooks.demo import DEMO_REALM_ID
from app.sandbox.slack.slack_side import SlackSideError
from app.sandbox.stack import Sandbox
from app.slack.ids import ActionId, BlockId, SlashCommand

STYLE = ("body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem}"
         ".msg{border:1px solid #ccc;border-radius:6px;padding:.6rem;margin:.5rem 0}"
         "table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:.25rem .5rem;text-align:left}"
         "pre{white-space:pre-wrap;margin:0}form{display:inline}")


def create_console(stack: Sandbox) -> Starlette:
    async def page(request: Request) -> HTMLResponse:
        return HTMLResponse(_page(stack, _person(request.query_params.get("as"))))

    async def click(request: Request) -> RedirectResponse:
        form = await request.form()
        user = _person(form.get("as"))
        # The Slack side calls this same server: never wait for it on the event loop.
        await asyncio.to_thread(_click, stack, user, form)
        return RedirectResponse(f"./?as={user}", status_code=303)

    async def command(request: Request) -> RedirectResponse:
        form = await request.form()
        user = _person(form.get("as"))
        await asyncio.to_thread(stack.slack_side.send_slash_command, user, SlashCommand.INVOICE_STATUS.value,
                                str(form.get("text", "")))
        return RedirectResponse(f"./?as={user}", status_code=303)

    return Starlette(routes=[Route("/", page), Route("/click", click, methods=["POST"]),
                             Route("/command", command, methods=["POST"])])


def _person(value: Any) -> str:
    """Only the sandbox's people may act (and be echoed into the page); anything else is Ann."""
    known = {person.slack_id for person in PEOPLE}
    return str(value) if str(value) in known else ANN.slack_id


def _click(stack: Sandbox, user: str, form: Any) -> None:
    action = str(form.get("action", ""))
    open_before = {view["id"] for view in stack.emulators.slack.views}
    try:
        stack.slack_side.click_button(user, str(form.get("channel")), str(form.get("ts")), action)
    except SlackSideError:        # the button is gone (already decided): the page reload shows why
        return
    if action == ActionId.REJECT and form.get("reason"):
        view = wait_for_modal(stack, open_before)
        if view is not None:
            stack.slack_side.submit_view(user, view["id"], {BlockId.REJECT_REASON_INPUT.value: {
                ActionId.REJECT_REASON_TEXT.value: str(form["reason"])}})


def wait_for_modal(stack: Sandbox, open_before: set[str], timeout: float = 5.0) -> dict[str, Any] | None:
    """The reject modal opens shortly after the click is acknowledged."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        opened = [view for view in stack.emulators.slack.views if view["id"] not in open_before]
        if opened:
            return opened[-1]
        time.sleep(0.05)
    return None


def _page(stack: Sandbox, acting: str) -> str:
    people = "".join(f"<option value='{p.slack_id}' {'selected' if p.slack_id == acting else ''}>"
                     f"{html.escape(p.real_name)}</option>" for p in PEOPLE)
    parts = [f"<style>{STYLE}</style><h1>Ledgerbridge demo console</h1>",
             f"<form method='get'>Acting in Slack as <select name='as' onchange='this.form.submit()'>{people}"
             "</select></form> (Ann and Bob approve up to the finance level, Carl is controller, Dana the CFO)",
             "<h2>#finance-approvals</h2>", *(_message(m, acting) for m in stack.emulators.slack.messages(
                 "C05APPR0VAL")), "<h2>Your ephemeral notes and /invoice-status answers</h2>",
             _ephemerals(stack, acting), _command_form(acting), "<h2>QuickBooks invoices</h2>", _invoices(stack)]
    return "".join(parts)


def _message(message: Any, acting: str) -> str:
    text = "\n".join(_block_text(block) for block in message.blocks) or message.text
    thread = " (in thread)" if message.thread_ts else ""
    buttons = "".join(_button(message, element, acting) for block in message.blocks if block["type"] == "actions"
                      for element in block["elements"] if element["type"] == "button")
    return f"<div class='msg'><small>{message.ts}{thread}</small><pre>{html.escape(text)}</pre>{buttons}</div>"


def _button(message: Any, element: dict[str, Any], acting: str) -> str:
    reason = ("<input name='reason' placeholder='reason (5+ characters)' required>"
              if element["action_id"] == ActionId.REJECT else "")
    return (f"<form method='post' action='click'><input type='hidden' name='as' value='{acting}'>"
            f"<input type='hidden' name='channel' value='{html.escape(message.channel, quote=True)}'>"
            f"<input type='hidden' name='ts' value='{html.escape(message.ts, quote=True)}'>"
            f"<input type='hidden' name='action' value='{html.escape(element['action_id'], quote=True)}'>{reason}"
            f"<button>{html.escape(element['text']['text'])}</button></form> ")


def _block_text(block: dict[str, Any]) -> str:
    if block["type"] in ("section", "header"):
        fields = [field["text"] for field in block.get("fields", [])]
        return "\n".join(filter(None, [(block.get("text") or {}).get("text", ""), *fields]))
    if block["type"] == "context":
        return " ".join(element.get("text", "") for element in block["elements"])
    return ""


def _ephemerals(stack: Sandbox, acting: str) -> str:
    notes = [note.text for note in stack.emulators.slack.ephemerals(acting)]
    notes += [post.get("text", "") + "\n" + "\n".join(_block_text(b) for b in post.get("blocks", []))
              for response in stack.emulators.slack.all_responses() if response.user_id == acting
              for post in response.posts]
    return "".join(f"<div class='msg'><pre>{html.escape(note)}</pre></div>" for note in notes[-8:]) or "<p>none</p>"


def _command_form(acting: str) -> str:
    return (f"<form method='post' action='command'><input type='hidden' name='as' value='{acting}'>"
            "<code>/invoice-status</code> <input name='text' size='40' placeholder='opportunity id, name or "
            "invoice number'><button>Send</button></form>")


def _invoices(stack: Sandbox) -> str:
    rows = "".join(f"<tr><td>{html.escape(str(i.get('DocNumber')))}</td>"
                   f"<td>{html.escape(json.dumps(i.get('CustomerRef')))}"
                   f"</td><td>{i.get('TotalAmt')}</td><td>{i.get('Balance')}</td><td>{i.get('DueDate')}</td>"
                   f"<td>{html.escape(i.get('PrivateNote') or '')}</td></tr>"
                   for i in stack.emulators.quickbooks.objects(DEMO_REALM_ID, "Invoice"))
    return ("<table><tr><th>DocNumber</th><th>Customer</th><th>Total</th><th>Balance</th><th>Due</th>"
            f"<th>Note</th></tr>{rows}</table>")
