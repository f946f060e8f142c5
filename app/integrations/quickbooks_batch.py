"""Invoices created in one POST /batch: the request (bIds, a requestid), and one outcome per operation.

QuickBooks keeps no requestid per batch item, only one for the whole batch (≤ 36 characters, and then every bId
≤ 10). Both are derived from the operations' own idempotency keys: the same set of operations sent again gets
the same requestid, so QuickBooks replays its first answer, and each bId names its operation whatever the order.
A retry with a different set is a new request: look the DocNumbers up first (find_invoices_by_doc_numbers).
"""
from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.errors import IntegrationError, VendorUnavailable
from app.integrations.quickbooks_errors import VENDOR, translate_fault
from app.integrations.quickbooks_models import InvoiceDraft, QboInvoice, invoice_payload, parse_invoice

MAX_BATCH_OPERATIONS = 30
BATCH_REQUEST_ID_PREFIX = "batch-"  # + 30 hex digits = 36 characters, never like a single create's requestid
BID_LENGTH = 10


@dataclass(frozen=True)
class InvoiceCreated:
    key: str  # the operation's idempotency key, as given
    invoice: QboInvoice


@dataclass(frozen=True)
class InvoiceFailed:
    key: str
    error: IntegrationError  # e.g. DuplicateDocNumberError (6140); VendorUnavailable: may have taken effect


BatchOutcome = InvoiceCreated | InvoiceFailed


@dataclass(frozen=True)
class InvoiceBatch:
    request_id: str
    body: dict[str, Any]
    keys_by_bid: dict[str, str]


def invoice_batch(operations: Sequence[tuple[str, InvoiceDraft]]) -> InvoiceBatch:
    keys = [key for key, _ in operations]
    if not 1 <= len(keys) <= MAX_BATCH_OPERATIONS:
        raise ValueError(f"a batch holds 1 to {MAX_BATCH_OPERATIONS} operations, got {len(keys)}")
    if len(set(keys)) != len(keys) or not all(keys):
        raise ValueError("every operation needs its own non-empty idempotency key")
    bids = [_digest(key)[:BID_LENGTH] for key in keys]
    if len(set(bids)) != len(bids):
        raise ValueError("two idempotency keys share a bId; send them in separate batches")
    items = [{"bId": bid, "operation": "create", "Invoice": invoice_payload(draft)}
             for bid, (_, draft) in zip(bids, operations, strict=True)]
    request_id = BATCH_REQUEST_ID_PREFIX + _digest("\n".join(sorted(keys)))[:36 - len(BATCH_REQUEST_ID_PREFIX)]
    return InvoiceBatch(request_id, {"BatchItemRequest": items}, dict(zip(bids, keys, strict=True)))


def batch_outcomes(batch: InvoiceBatch, response: dict[str, Any], *, today: date) -> list[BatchOutcome]:
    """One outcome per operation, in the order they were given."""
    answered = {item.get("bId"): item for item in response.get("BatchItemResponse", []) if isinstance(item, dict)}
    return [_outcome(key, answered.get(bid), today) for bid, key in batch.keys_by_bid.items()]


def _outcome(key: str, item: dict[str, Any] | None, today: date) -> BatchOutcome:
    if item is None:
        return InvoiceFailed(key, VendorUnavailable("QuickBooks' batch answer left this operation out; it may or "
                                                    "may not have taken effect", vendor=VENDOR))
    if isinstance(item.get("Invoice"), dict):
        return InvoiceCreated(key, parse_invoice(item["Invoice"], today=today))
    return InvoiceFailed(key, translate_fault(item.get("Fault") or {}))


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
