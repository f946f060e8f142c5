"""The /v3/company/{realm}/... pipeline: bearer check, throttle, injected faults, requestid replay, dispatch."""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from app.integrations.exact_json import dumps_exact, loads_exact
from app.sandbox.quickbooks import entities
from app.sandbox.quickbooks.batch import run_batch
from app.sandbox.quickbooks.books import RealmBook, StoredResponse
from app.sandbox.quickbooks.cdc import parse_changed_since, run_cdc
from app.sandbox.quickbooks.faults import (
    QboFault,
    fault_body,
    invalid_value,
    system_fault,
    throttle_xml,
    throttled,
)
from app.sandbox.quickbooks.oauth import BearerRejected, check_bearer
from app.sandbox.quickbooks.query import parse_query
from app.sandbox.quickbooks.query_eval import canonical_entity, run_query
from app.sandbox.quickbooks.state import CallRecord, FaultPlan, QuickBooksState
from app.sandbox.quickbooks.values import without_unset

logger = logging.getLogger(__name__)
JSON = "application/json;charset=UTF-8"
MAX_REQUEST_ID = 50
MAX_BATCH_REQUEST_ID = 36


@dataclass(frozen=True)
class ApiCall:
    method: str
    realm_id: str
    parts: tuple[str, ...]
    query: dict[str, str]
    authorization: str | None
    body: bytes


async def company_api(request: Request) -> Response:
    state: QuickBooksState = request.app.state.qbo
    call = ApiCall(request.method, request.path_params["realm"],
                   tuple(p for p in request.path_params["rest"].split("/") if p),
                   dict(request.query_params), request.headers.get("authorization"), await request.body())
    try:
        early, plan = _gatekeep(state, call)
        if early is None and plan is not None and plan.kind == "timeout":
            await asyncio.sleep(plan.delay)
        if state.settings.latency > timedelta(0):   # the network and Intuit's servers, before the work is done
            await asyncio.sleep(state.settings.latency.total_seconds())
        outcome = early or _execute(state, call, plan)
    except Exception:  # an emulator bug still answers like QBO does: a SystemFault with a code
        logger.exception("QuickBooks emulator failed on %s %s", call.method, request.url.path)
        outcome = _fault(state, system_fault(), None)
    state.record_call(CallRecord(state.now(), call.method, request.url.path, call.query, outcome.status,
                                 call.realm_id))
    return Response(outcome.body, status_code=outcome.status, media_type=outcome.media_type,
                    headers={"intuit_tid": f"emu-{len(state.calls)}"})


def _gatekeep(state: QuickBooksState, call: ApiCall) -> tuple[StoredResponse | None, FaultPlan | None]:
    try:
        grant = check_bearer(state, call.authorization, call.realm_id)
    except BearerRejected as rejected:
        return StoredResponse(401, dumps_exact(rejected.body).encode(), JSON), None
    except QboFault as fault:
        return _fault(state, fault, None), None
    with state.lock:
        is_batch = call.parts[:1] == ("batch",)
        if not state.throttle.admit(realm_id=call.realm_id, client_id=grant.client_id, is_batch=is_batch,
                                    now=state.now()):
            return _throttled(state, call.realm_id), None
    plan = state.take_fault("/".join(call.parts))
    if plan is not None and plan.kind == "error":
        return _fault(state, system_fault(), state.book(call.realm_id)), None
    if plan is not None and plan.kind == "throttle":
        return _throttled(state, call.realm_id), None
    return None, plan


def _throttled(state: QuickBooksState, realm_id: str) -> StoredResponse:
    with state.lock:
        state.throttle.count_throttled(realm_id)
    if state.settings.xml_throttle:
        return StoredResponse(429, throttle_xml(state.now()).encode(), "application/xml")
    return _fault(state, throttled(), None)


def _fault(state: QuickBooksState, fault: QboFault, book: RealmBook | None) -> StoredResponse:
    now = book.local_time(state.now()) if book else state.now()
    return StoredResponse(fault.status, dumps_exact(fault_body(fault, now)).encode(), JSON)


def _execute(state: QuickBooksState, call: ApiCall, plan: FaultPlan | None) -> StoredResponse:
    with state.lock:
        book = state.book(call.realm_id)
        request_id = call.query.get("requestid") if call.method == "POST" else None
        outcome = book.responses.get(request_id) if request_id else None
        if outcome is None:
            outcome = _answer(state, book, call, request_id)
            if request_id and outcome.status != 500:
                book.responses[request_id] = outcome
    if plan is not None and plan.kind == "lost_response":
        return _fault(state, system_fault("The response was lost after the change was saved"), book)
    return outcome


def _answer(state: QuickBooksState, book: RealmBook, call: ApiCall, request_id: str | None) -> StoredResponse:
    try:
        limit = MAX_BATCH_REQUEST_ID if call.parts[:1] == ("batch",) else MAX_REQUEST_ID
        if request_id is not None and len(request_id) > limit:
            raise invalid_value("requestid", f"requestid must be at most {limit} characters")
        payload = _dispatch(state, book, call)
    except QboFault as fault:
        return _fault(state, fault, book)
    payload["time"] = book.local_time(state.now()).isoformat(timespec="milliseconds")
    return StoredResponse(200, dumps_exact(payload).encode(), JSON)


def _dispatch(state: QuickBooksState, book: RealmBook, call: ApiCall) -> dict[str, Any]:
    now, parts = state.now(), tuple(p.lower() for p in call.parts)
    rules = _book_rules(book, state.settings.rules)
    if parts == ("query",):
        text = call.query.get("query", "") if call.method == "GET" else call.body.decode("utf-8", "replace")
        query = parse_query(text)
        return {"QueryResponse": run_query(query, book.rows(canonical_entity(query.entity)))}
    if parts == ("batch",) and call.method == "POST":
        return run_batch(book, _json(call.body), now, rules, max_items=state.settings.max_batch_items,
                         has_request_id=bool(call.query.get("requestid")))
    if parts == ("cdc",) and call.method == "GET":
        since = parse_changed_since(call.query.get("changedSince"), book)
        return run_cdc(book, call.query.get("entities"), since, now, max_lookback=state.settings.cdc_max_lookback)
    if parts == ("preferences",) and call.method == "GET":
        return {"Preferences": book.preferences(now)}
    if len(parts) == 2 and parts[0] == "companyinfo" and call.method == "GET":
        return {"CompanyInfo": {"Id": "1", "CompanyName": book.company_name, "domain": "QBO", "SyncToken": "0"}}
    if len(parts) == 2 and call.method == "GET":
        entity = entities.entity_named(parts[0])
        return {entity: entities.read(book, entity, call.parts[1])}
    if len(parts) == 1 and call.method == "POST":
        return _write(book, entities.entity_named(parts[0]), call, now, rules)
    raise QboFault("500", "Unsupported Operation", f"{call.method} /{'/'.join(call.parts)} is not supported")


def _book_rules(book: RealmBook, rules: entities.BookRules) -> entities.BookRules:
    """Duplicate DocNumbers are refused (6140) only where custom transaction numbers are on; with them off,
    QuickBooks numbers sales forms itself and does not check a DocNumber sent anyway."""
    return rules if book.custom_txn_numbers else entities.BookRules(check_doc_numbers=False)


def _write(book: RealmBook, entity: str, call: ApiCall, now: Any, rules: entities.BookRules) -> dict[str, Any]:
    body = _json(call.body)
    if not isinstance(body, dict):
        raise invalid_value(entity, "the request body must be a JSON object")
    body = without_unset(body.get(entity, body) if isinstance(body.get(entity), dict) else body)
    operation = call.query.get("operation", "").lower()
    if operation == "delete":
        return {entity: entities.delete(book, entity, body, now)}
    if operation == "update" or body.get("Id") not in (None, ""):
        return {entity: entities.update(book, entity, body, now, rules)}
    return {entity: entities.create(book, entity, body, now, rules)}


def _json(body: bytes) -> Any:
    try:
        return loads_exact(body or b"{}")
    except ValueError:
        raise QboFault("2010", "Request has invalid or unsupported property",
                       "The request body is not valid JSON") from None
