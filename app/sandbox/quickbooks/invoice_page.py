"""The invoice page of the QuickBooks web app as the demo shows it (/app/invoice?txnId=<id>): the link Slack
messages give for an invoice opens here when QBO_APP_URL points at the emulator. Every value is HTML-escaped."""
from __future__ import annotations

import html
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from app.sandbox.quickbooks.state import QuickBooksState

STYLE = ("body{font:15px system-ui,sans-serif;margin:0;background:#f4f5f8}header{background:#2ca01c;color:#fff;"
         "padding:.8rem 1.2rem}main{margin:1rem auto;max-width:46rem;background:#fff;padding:1rem 1.4rem;"
         "border-radius:6px}td,th{padding:.3rem .6rem;border-bottom:1px solid #ddd;text-align:left}")


def invoice_page_routes() -> list[Route]:
    return [Route("/app/invoice", _invoice_page, methods=["GET"])]


async def _invoice_page(request: Request) -> HTMLResponse:
    state: QuickBooksState = request.app.state.qbo
    txn_id = request.query_params.get("txnId", "")
    for realm_id in list(state.realms):
        invoice = state.get_object(realm_id, "Invoice", txn_id)
        if invoice is not None:
            return HTMLResponse(_page(invoice))
    return HTMLResponse("<h1>Invoice not found</h1>", status_code=404)


def _page(invoice: dict[str, Any]) -> str:
    customer = invoice.get("CustomerRef") or {}
    facts = [("Invoice no.", invoice.get("DocNumber")), ("Customer", customer.get("name") or customer.get("value")),
             ("Invoice date", invoice.get("TxnDate")), ("Due date", invoice.get("DueDate")),
             ("Total", invoice.get("TotalAmt")), ("Balance due", invoice.get("Balance")),
             ("Memo", invoice.get("PrivateNote"))]
    rows = "".join(f"<tr><th>{html.escape(label)}</th><td>{html.escape(str(value or ''))}</td></tr>"
                   for label, value in facts)
    lines = "".join(f"<tr><td>{html.escape(_item_name(line))}</td>"
                    f"<td>{html.escape(str(line.get('Description') or ''))}</td>"
                    f"<td>{html.escape(str(line.get('Amount')))}</td></tr>"
                    for line in invoice.get("Line", []) if line.get("DetailType") == "SalesItemLineDetail")
    number = html.escape(str(invoice.get("DocNumber")))
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>Invoice {number} | QuickBooks</title>"
            f"<style>{STYLE}</style></head><body><header>QuickBooks Online (emulator)</header><main>"
            f"<h1>Invoice {number}</h1><table>{rows}</table><h2>Lines</h2><table>{lines}</table></main></body></html>")


def _item_name(line: dict[str, Any]) -> str:
    detail = line.get("SalesItemLineDetail") or {}
    return str((detail.get("ItemRef") or {}).get("name", ""))
