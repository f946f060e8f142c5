"""A record page at Salesforce's Lightning address (/lightning/r/<object>/<id>/view): the links Ledgerbridge
puts in Slack open here in the demo. It shows the record's fields and saves an edit as a Salesforce user's
edit (SystemModstamp moves), which the next poll reads. Every value is HTML-escaped."""
from __future__ import annotations

import html
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from app.sandbox.salesforce.errors import ApiError
from app.sandbox.salesforce.schema import FieldType, find_object
from app.sandbox.salesforce.state import SalesforceState

PATH = "/lightning/r/{sobject}/{record_id}/view"
HIDDEN = frozenset({"Id", "IsDeleted", "CreatedDate", "LastModifiedDate", "SystemModstamp", "CreatedById",
                    "LastModifiedById"})
STYLE = ("body{font:15px system-ui,sans-serif;margin:0;background:#f3f3f3}header{background:#0176d3;color:#fff;"
         "padding:.8rem 1.2rem}main{margin:1rem auto;max-width:48rem;background:#fff;padding:1rem 1.4rem;"
         "border-radius:6px}label{display:block;margin:.5rem 0 .1rem;font-size:13px;color:#444}input,select{width:100%;"
         "padding:.35rem;border:1px solid #bbb;border-radius:4px}button{margin-top:1rem;background:#0176d3;color:#fff;"
         "border:0;border-radius:4px;padding:.5rem 1.2rem}.saved{color:#2e844a}.error{color:#ba0517}")


def record_page_routes() -> list[Route]:
    return [Route(PATH, _record_page, methods=["GET", "POST"])]


async def _record_page(request: Request) -> Response:
    state: SalesforceState = request.app.state.salesforce
    spec = find_object(request.path_params["sobject"])
    record_id = request.path_params["record_id"]
    if spec is None:
        return HTMLResponse("<h1>No such kind of record</h1>", status_code=404)
    try:
        record = state.record(spec.name, record_id)
    except ApiError:
        return HTMLResponse("<h1>Record not found</h1>", status_code=404)
    if request.method == "POST":
        form = await request.form()
        try:
            state.user_edit(spec.name, record_id, _changes(spec, record, form))
        except ApiError as error:
            return HTMLResponse(_page(spec.name, state.record(spec.name, record_id), error=str(error)), 400)
        return RedirectResponse(f"{request.url.path}?saved=1", status_code=303)
    return HTMLResponse(_page(spec.name, record, saved=request.query_params.get("saved") == "1"))


def _editable(spec: Any) -> list[Any]:
    return [field for field in spec.fields if field.writable and field.name not in HIDDEN
            and field.type not in (FieldType.REFERENCE, FieldType.ID, FieldType.DATETIME)]


def _changes(spec: Any, record: dict[str, Any], form: Any) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for field in _editable(spec):
        if field.name not in form:
            continue
        raw = str(form[field.name]).strip()
        value: Any = None if raw == "" else raw
        if field.type is FieldType.BOOLEAN:
            value = {"true": True, "false": False}.get(raw)
        if value != _shown(record.get(field.name)) and not (value is None and record.get(field.name) is None):
            changes[field.name] = value
    return changes


def _shown(value: Any) -> Any:
    return value if isinstance(value, bool) or value is None else str(value)


def _page(sobject: str, record: dict[str, Any], *, saved: bool = False, error: str | None = None) -> str:
    spec = find_object(sobject)
    rows = [_input(field, record.get(field.name)) for field in _editable(spec)] if spec else []
    note = '<p class="saved">Saved. Ledgerbridge reads the change at its next poll.</p>' if saved else ""
    note += f'<p class="error">{html.escape(error)}</p>' if error else ""
    title = html.escape(str(record.get("Name") or record.get("Id")))
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{title} | Salesforce</title>"
            f"<style>{STYLE}</style></head><body><header>Salesforce (emulator) · {html.escape(sobject)}</header>"
            f"<main><h1>{title}</h1>{note}<form method='post'>{''.join(rows)}<button>Save</button></form>"
            "</main></body></html>")


def _input(field: Any, value: Any) -> str:
    name = html.escape(field.name, quote=True)
    label = f"<label for='{name}'>{html.escape(field.name)}</label>"
    if field.type is FieldType.BOOLEAN:
        options = "".join(f"<option value='{key}'{' selected' if value is chosen else ''}>{text}</option>"
                          for key, chosen, text in (("", None, "(not set)"), ("true", True, "Yes"),
                                                    ("false", False, "No")))
        return f"{label}<select id='{name}' name='{name}'>{options}</select>"
    shown = "" if value is None else html.escape(str(value), quote=True)
    return f"{label}<input id='{name}' name='{name}' value='{shown}'>"
