"""The console's pages: a Slack-like window (channels, the app's DM, App Home, threads, ephemeral notes, an open
modal) for the person the visitor acts as, and the QuickBooks and Salesforce records the story touches."""
from __future__ import annotations

import hashlib
import html
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from app.sandbox.console.blocks import Renderer, Where
from app.sandbox.console.mrkdwn import Reader, mrkdwn_html
from app.sandbox.console.style import SCRIPT, STYLE
from app.sandbox.people import PEOPLE, Person
from app.sandbox.quickbooks.demo import DEMO_REALM_ID
from app.sandbox.stack import Sandbox
from app.slack.ids import SlashCommand

HOME, QUICKBOOKS, SALESFORCE = "home", "quickbooks", "salesforce"


@dataclass(frozen=True)
class Visit:
    person: Person
    page: str
    """A channel id (a DM's included), or HOME, QUICKBOOKS, SALESFORCE."""


def reader_for(stack: Sandbox, person: Person) -> Reader:
    slack = stack.emulators.slack

    def user_name(user_id: str) -> str:
        user = slack.user(user_id)
        return (user.real_name or user.name) if user else user_id

    def channel_name(channel_id: str) -> str:
        return "direct message" if channel_id.startswith("D") else slack.channels.get(channel_id, channel_id)
    return Reader(tz=person.tz, user_name=user_name, channel_name=channel_name)


def version(stack: Sandbox, person: Person) -> str:
    """Changes whenever what this person could see changes (the page reloads itself then)."""
    slack = stack.emulators.slack
    messages = [(m.ts, m.edited_ts, len(m.blocks), m.text) for m in slack.messages()]
    ephemerals = [(e.ts, e.text, len(e.blocks)) for e in slack.ephemerals(person.slack_id)]
    views = [(v["id"], v.get("hash"), str(slack.view_errors(v["id"]))) for v in slack.views_of(person.slack_id)]
    home = (slack.home_views.get(person.slack_id) or {}).get("hash")
    invoices = len(stack.emulators.quickbooks.objects(DEMO_REALM_ID, "Invoice"))
    raw = repr((messages, ephemerals, views, home, invoices)).encode()
    return hashlib.sha256(raw).hexdigest()[:16]


def page_html(stack: Sandbox, visit: Visit) -> str:
    renderer = Renderer(reader=reader_for(stack, visit.person), acting=visit.person.slack_id, page=visit.page,
                        people=[(p.slack_id, p.real_name) for p in PEOPLE])
    main = _main(stack, visit, renderer)
    modal = _modal(stack, visit, renderer)
    body = (f'<div class="app"><header>{_switcher(visit)}{_links()}</header><aside>{_sidebar(stack, visit)}</aside>'
            f'<main>{main}</main></div>{modal}{"".join(renderer.extra_forms)}')
    script = SCRIPT.replace("__VERSION__", version(stack, visit.person)).replace(
        "__AS__", html.escape(visit.person.slack_id, quote=True))
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>Ledgerbridge demo console</title>"
            f"<style>{STYLE}</style></head><body>{body}<script>{script}</script></body></html>")


def _switcher(visit: Visit) -> str:
    options = "".join(f'<option value="{html.escape(p.slack_id, quote=True)}"'
                      f'{" selected" if p == visit.person else ""}>{html.escape(p.real_name)} '
                      f'({html.escape(p.does)})</option>' for p in PEOPLE)
    page = html.escape(visit.page, quote=True)
    zone = html.escape(visit.person.tz)
    return (f'<form method="get" class="inline" id="acting">Acting in Slack as <select name="as" '
            f'onchange="this.form.submit()">{options}</select><input type="hidden" name="c" value="{page}">'
            f'</form> <span class="zone">times shown in {zone}</span>')


def _links() -> str:
    return ('<nav><a href="?c=quickbooks">QuickBooks invoices</a> · <a href="?c=salesforce">Salesforce deals</a> · '
            '<a href="../dashboard" target="_blank">Dashboard</a></nav>')


def _sidebar(stack: Sandbox, visit: Visit) -> str:
    slack, person = stack.emulators.slack, visit.person
    as_ = html.escape(person.slack_id, quote=True)
    posted = {message.channel for message in slack.messages()}
    channels = [(cid, name) for cid, name in slack.channels.items()
                if cid in posted or not cid.startswith(("C0001", "G"))]
    items = ["<h3>Channels</h3>"]
    for cid, name in sorted(channels, key=lambda pair: pair[1]):
        current = " current" if cid == visit.page else ""
        items.append(f'<a class="chan{current}" href="?as={as_}&amp;c={html.escape(cid, quote=True)}">'
                     f'# {html.escape(name)}</a>')
    dm = slack.open_dm(person.slack_id)
    items.append("<h3>Apps</h3>")
    items.append(f'<a class="chan{" current" if visit.page == HOME else ""}" href="open-home?as={as_}">'
                 "Ledgerbridge · Home</a>")
    unread = len([m for m in slack.messages(dm) if not m.thread_ts])
    items.append(f'<a class="chan{" current" if visit.page == dm else ""}" href="?as={as_}&amp;c={dm}">'
                 f"Ledgerbridge · Messages ({unread})</a>")
    return "".join(items)


def _main(stack: Sandbox, visit: Visit, renderer: Renderer) -> str:
    if visit.page == HOME:
        return _home(stack, visit, renderer)
    if visit.page == QUICKBOOKS:
        return _quickbooks(stack)
    if visit.page == SALESFORCE:
        return _salesforce(stack)
    return _channel(stack, visit, renderer) + _composer(visit)


def _channel(stack: Sandbox, visit: Visit, renderer: Renderer) -> str:
    slack, user = stack.emulators.slack, visit.person.slack_id
    channel = visit.page
    title = "Ledgerbridge (direct messages)" if channel.startswith("D") else f"# {slack.channel_name(channel)}"
    everything: list[Any] = [*slack.messages(channel),
                             *(note for note in slack.ephemerals(user) if note.channel == channel)]
    threads: dict[str, list[Any]] = {}
    for item in everything:
        if item.thread_ts and item.thread_ts != item.ts:
            threads.setdefault(item.thread_ts, []).append(item)
    tops = sorted([m for m in everything if not m.thread_ts or m.thread_ts == m.ts], key=lambda m: float(m.ts))
    shown = [_message(stack, renderer, m, sorted(threads.get(m.ts, []), key=lambda r: float(r.ts)), visit)
             for m in tops]
    body = "".join(shown) or '<p class="empty">No messages yet.</p>'
    return (f'<h2 id="title">{html.escape(title)}</h2><div class="messages" '
            f'data-channel="{html.escape(channel, quote=True)}">{body}</div>')


def _message(stack: Sandbox, renderer: Renderer, message: Any, replies: list[Any], visit: Visit) -> str:
    ephemeral = not hasattr(message, "edited_ts")
    where = Where("ephemeral" if ephemeral else "message", channel=message.channel, ts=message.ts)
    author = _author(stack, message, ephemeral)
    edited = ' <span class="edited">(edited)</span>' if getattr(message, "edited_ts", None) else ""
    note = '<span class="only-you">Only visible to you</span>' if ephemeral else ""
    body = renderer.blocks(message.blocks, where) if message.blocks else \
        f'<div class="bk-text">{mrkdwn_html(message.text, renderer.reader)}</div>'
    thread = ""
    if replies:
        inner = "".join(_message(stack, renderer, reply, [], visit) for reply in replies)
        count = f"{len(replies)} repl{'y' if len(replies) == 1 else 'ies'}"
        thread = f'<details class="thread" open><summary>{count}</summary>{inner}</details>'
    css = "msg ephemeral" if ephemeral else "msg"
    return (f'<div class="{css}" data-ts="{html.escape(message.ts, quote=True)}"><div class="meta">{author} '
            f'{_when(message.ts, visit.person)}{edited} {note}</div>{body}{thread}</div>')


def _author(stack: Sandbox, message: Any, ephemeral: bool) -> str:
    slack = stack.emulators.slack
    if ephemeral or getattr(message, "bot_id", None) or getattr(message, "user", None) == slack.bot_user_id:
        return '<b>Ledgerbridge</b> <span class="app-badge">APP</span>'
    user = slack.user(message.user)
    return f"<b>{html.escape(user.real_name if user else message.user)}</b>"


def _when(ts: str, person: Person) -> str:
    try:
        moment = datetime.fromtimestamp(float(ts), UTC).astimezone(ZoneInfo(person.tz))
    except (ValueError, OverflowError):
        return ""
    hour = moment.hour % 12 or 12
    title = html.escape(f"{moment:%a %d %b %Y %H:%M} {moment.tzname()}", quote=True)
    return f'<time title="{title}">{hour}:{moment:%M} {"AM" if moment.hour < 12 else "PM"}</time>'


def _composer(visit: Visit) -> str:
    options = "".join(f'<option value="{command.value}">{command.value}</option>' for command in SlashCommand)
    return (f'<form method="post" action="command" class="composer" id="composer">'
            f'<input type="hidden" name="as" value="{html.escape(visit.person.slack_id, quote=True)}">'
            f'<input type="hidden" name="c" value="{html.escape(visit.page, quote=True)}">'
            f'<select name="command">{options}</select> <input name="text" size="50" '
            'placeholder="text, e.g. all, mine, a deal name or an invoice number"> <button>Send</button></form>')


def _home(stack: Sandbox, visit: Visit, renderer: Renderer) -> str:
    view = stack.emulators.slack.home_views.get(visit.person.slack_id)
    if not view:
        return '<h2 id="title">Ledgerbridge · Home</h2><p class="empty">Opening the Home tab…</p>'
    where = Where("view", view_id=view["id"])
    return f'<h2 id="title">Ledgerbridge · Home</h2><div class="home">{renderer.blocks(view["blocks"], where)}</div>'


def _modal(stack: Sandbox, visit: Visit, renderer: Renderer) -> str:
    views = stack.emulators.slack.views_of(visit.person.slack_id)
    if not views:
        return ""
    view = views[-1]
    errors = stack.emulators.slack.view_errors(view["id"])
    title = renderer.text(view.get("title"))
    submit = renderer.text(view.get("submit")) or "Submit"
    close = renderer.text(view.get("close")) or "Cancel"
    as_ = html.escape(visit.person.slack_id, quote=True)
    page, view_id = html.escape(visit.page, quote=True), html.escape(view["id"], quote=True)
    hidden = (f'<input type="hidden" name="as" value="{as_}"><input type="hidden" name="page" value="{page}">'
              f'<input type="hidden" name="view_id" value="{view_id}">')
    blocks = renderer.blocks(view.get("blocks", []), Where("view", view_id=view["id"]), errors=errors, in_form=True)
    return (f'<div class="overlay"><div class="modal" role="dialog" data-view="{view_id}"><div class="modal-title">'
            f'{title}</div><form method="post" action="submit" id="modal-form">{hidden}{blocks}'
            f'<div class="modal-actions"><button type="submit" formaction="close" class="btn default">{close}</button>'
            f'<button type="submit" class="btn primary">{submit}</button></div></form></div></div>')


def _quickbooks(stack: Sandbox) -> str:
    base = stack.emulators.url("quickbooks")
    rows = []
    for invoice in stack.emulators.quickbooks.objects(DEMO_REALM_ID, "Invoice"):
        customer = (invoice.get("CustomerRef") or {})
        link = f'{base}/app/invoice?txnId={invoice.get("Id")}'
        rows.append(f'<tr><td><a href="{html.escape(link, quote=True)}" target="_blank">'
                    f'{html.escape(str(invoice.get("DocNumber")))}</a></td>'
                    f'<td>{html.escape(str(customer.get("name") or customer.get("value") or ""))}</td>'
                    f'<td class="num">{html.escape(str(invoice.get("TotalAmt")))}</td>'
                    f'<td class="num">{html.escape(str(invoice.get("Balance")))}</td>'
                    f'<td>{html.escape(str(invoice.get("DueDate") or ""))}</td>'
                    f'<td>{html.escape(str(invoice.get("PrivateNote") or ""))}</td></tr>')
    return ('<h2 id="title">QuickBooks invoices</h2><table id="invoices"><tr><th>Invoice</th><th>Customer</th>'
            f'<th>Total</th><th>Balance</th><th>Due</th><th>Note</th></tr>{"".join(rows)}</table>')


def _salesforce(stack: Sandbox) -> str:
    base = stack.emulators.url("salesforce")
    salesforce = stack.emulators.salesforce
    rows = []
    for record in salesforce.records("Opportunity"):
        link = f'{base}/lightning/r/Opportunity/{record["Id"]}/view'
        rows.append(f'<tr><td><a href="{html.escape(link, quote=True)}" target="_blank">'
                    f'{html.escape(str(record.get("Name")))}</a></td><td>{html.escape(str(record.get("StageName")))}'
                    f'</td><td>{html.escape(str(record.get("Billing_Status__c") or ""))}</td>'
                    f'<td>{html.escape(str(record.get("PO_Number__c") or ""))}</td></tr>')
    return ('<h2 id="title">Salesforce opportunities</h2><p>Open one to edit it in the Salesforce emulator; the '
            'next poll (every few seconds) reads the change.</p><table id="opportunities"><tr><th>Opportunity</th>'
            f'<th>Stage</th><th>Billing status</th><th>PO number</th></tr>{"".join(rows)}</table>')
