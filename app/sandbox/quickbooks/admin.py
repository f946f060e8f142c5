"""JSON admin API under /_admin/: the same operations as the QuickBooksState methods, for other processes."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import asdict, replace
from datetime import datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.integrations.exact_json import dumps_exact, loads_exact
from app.sandbox.quickbooks.demo import seed_demo_company
from app.sandbox.quickbooks.entities import BookRules
from app.sandbox.quickbooks.faults import QboFault
from app.sandbox.quickbooks.state import QuickBooksState
from app.sandbox.quickbooks.throttle import ThrottleLimits

Handler = Callable[[QuickBooksState, dict[str, Any], dict[str, str]], Any]


def _endpoint(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        try:
            body = loads_exact(await request.body() or b"{}")
            if not isinstance(body, dict):
                raise ValueError("the body must be a JSON object")
            params = {**request.query_params, **request.path_params}
            result = handler(request.app.state.qbo, body, params)
        except QboFault as fault:
            return JSONResponse({"error": fault.message, "code": fault.code, "detail": fault.detail}, 400)
        except (KeyError, ValueError, TypeError) as error:
            return JSONResponse({"error": str(error).strip("'\"")}, status_code=400)
        return Response(dumps_exact(result), media_type="application/json")
    return endpoint


def _add_realm(state: QuickBooksState, body: dict[str, Any], _: dict[str, str]) -> Any:
    book = state.add_realm(str(body["realm_id"]), company_name=body.get("company_name", "Sandbox Company_US_1"),
                           timezone=body.get("timezone", "America/Los_Angeles"))
    return {"realm_id": book.realm_id, "company_name": book.company_name, "timezone": book.timezone}


def _add_client(state: QuickBooksState, body: dict[str, Any], _: dict[str, str]) -> Any:
    state.add_client(str(body["client_id"]), str(body["client_secret"]))
    return {"client_id": body["client_id"]}


def _refresh_token(state: QuickBooksState, body: dict[str, Any], _: dict[str, str]) -> Any:
    return {"refresh_token": state.issue_refresh_token(str(body["client_id"]), str(body["realm_id"]),
                                                       body.get("token"))}


def _auth_code(state: QuickBooksState, body: dict[str, Any], _: dict[str, str]) -> Any:
    return {"code": state.issue_auth_code(str(body["client_id"]), str(body["realm_id"]))}


def _seed(state: QuickBooksState, body: dict[str, Any], params: dict[str, str]) -> Any:
    return state.seed(params["realm"], params["entity"], body)


def _list(state: QuickBooksState, _: dict[str, Any], params: dict[str, str]) -> Any:
    return state.objects(params["realm"], params["entity"])


def _one(state: QuickBooksState, _: dict[str, Any], params: dict[str, str]) -> Any:
    found = state.get_object(params["realm"], params["entity"], params["id"])
    if found is None:
        raise KeyError(f"no {params['entity']} {params['id']} in realm {params['realm']}")
    return found


def _inject(state: QuickBooksState, body: dict[str, Any], _: dict[str, str]) -> Any:
    state.inject_fault(body["kind"], count=int(body.get("count", 1)), delay=float(body.get("delay", 2.0)),
                       path_contains=body.get("path_contains"))
    return {"pending": [_plan_json(plan) for plan in state.faults]}


def _plan_json(plan: Any) -> dict[str, Any]:
    """JSON for a fault plan; the delay (seconds, a float) goes out as exact text."""
    return {**asdict(plan), "delay": str(plan.delay)}


def _clear_faults(state: QuickBooksState, _: dict[str, Any], __: dict[str, str]) -> Any:
    with state.lock:
        state.faults.clear()
    return {"pending": []}


def _calls(state: QuickBooksState, _: dict[str, Any], params: dict[str, str]) -> Any:
    return [{**asdict(call), "at": call.at.isoformat()} for call in state.call_log(path_contains=params.get("path"))]


def _clear_calls(state: QuickBooksState, _: dict[str, Any], __: dict[str, str]) -> Any:
    with state.lock:
        state.calls.clear()
    return []


def _clock(state: QuickBooksState, body: dict[str, Any], _: dict[str, str]) -> Any:
    if "now" in body:
        when = datetime.fromisoformat(str(body["now"]).replace("Z", "+00:00"))
        if when.tzinfo is None:
            raise ValueError("now must carry a UTC offset")
        state.set_time(when)
    if "advance_seconds" in body:
        state.advance(timedelta(seconds=float(body["advance_seconds"])))
    return {"now": state.now().isoformat()}


def _configure(state: QuickBooksState, body: dict[str, Any], _: dict[str, str]) -> Any:
    with state.lock:
        settings, limits = state.settings, state.throttle.limits
        for name in ("access_token_lifetime", "refresh_grace", "refresh_token_lifetime", "cdc_max_lookback"):
            if f"{name}_seconds" in body:
                setattr(settings, name, timedelta(seconds=float(body[f"{name}_seconds"])))
        if "latency_ms" in body:
            settings.latency = timedelta(milliseconds=float(body["latency_ms"]))
        for name in ("xml_throttle", "max_batch_items"):
            if name in body:
                setattr(settings, name, type(getattr(settings, name))(body[name]))
        if "check_doc_numbers" in body:
            settings.rules = BookRules(check_doc_numbers=bool(body["check_doc_numbers"]))
        changed = {k: int(v) for k, v in body.items() if k in ThrottleLimits.__dataclass_fields__}
        if changed:     # a new throttle starts its counters afresh: only when a limit changes
            state.set_limits(replace(limits, **changed))
        return {"xml_throttle": settings.xml_throttle, "max_batch_items": settings.max_batch_items,
                "latency_ms": round(settings.latency / timedelta(milliseconds=1)),
                "check_doc_numbers": settings.rules.check_doc_numbers, **asdict(state.throttle.limits)}


def _throttle_stats(state: QuickBooksState, _: dict[str, Any], __: dict[str, str]) -> Any:
    """Per realm: admitted requests in the last second and minute, batches in the last minute, the busiest
    such windows so far, and the 429s sent (for the benchmarks)."""
    with state.lock:
        return {"limits": asdict(state.throttle.limits), "realms": state.throttle.stats(state.now())}


def _reset_throttle(state: QuickBooksState, body: dict[str, Any], params: dict[str, str]) -> Any:
    with state.lock:
        state.throttle.reset()
    return _throttle_stats(state, body, params)


def _expire(state: QuickBooksState, _: dict[str, Any], __: dict[str, str]) -> Any:
    state.expire_access_tokens()
    return {"expired": len(state.access_tokens)}


def _preferences(state: QuickBooksState, body: dict[str, Any], params: dict[str, str]) -> Any:
    """{"custom_txn_numbers": false}: change the company's preferences."""
    state.set_custom_txn_numbers(params["realm"], bool(body["custom_txn_numbers"]))
    with state.lock:
        return state.book(params["realm"]).preferences(state.now())


def _deactivate(state: QuickBooksState, body: dict[str, Any], params: dict[str, str]) -> Any:
    """{"name": "Support Plan"}: make that Item, Term or Customer inactive."""
    return state.deactivate(params["realm"], params["entity"], str(body["name"]))


def _demo(state: QuickBooksState, _: dict[str, Any], __: dict[str, str]) -> Any:
    return asdict(seed_demo_company(state))


def admin_routes() -> list[Route]:
    base = "/_admin"
    table: list[tuple[str, Handler, list[str]]] = [
        ("/realms", _add_realm, ["POST"]), ("/clients", _add_client, ["POST"]),
        ("/refresh_tokens", _refresh_token, ["POST"]), ("/auth_codes", _auth_code, ["POST"]),
        ("/realms/{realm}/objects/{entity}", _seed, ["POST"]),
        ("/realms/{realm}/objects/{entity}", _list, ["GET"]),
        ("/realms/{realm}/objects/{entity}/{id}", _one, ["GET"]),
        ("/realms/{realm}/preferences", _preferences, ["POST"]),
        ("/realms/{realm}/inactive/{entity}", _deactivate, ["POST"]),
        ("/faults", _inject, ["POST"]), ("/faults", _clear_faults, ["DELETE"]),
        ("/calls", _calls, ["GET"]), ("/calls", _clear_calls, ["DELETE"]),
        ("/clock", _clock, ["POST", "GET"]), ("/settings", _configure, ["POST"]),
        ("/expire_access_tokens", _expire, ["POST"]), ("/seed_demo", _demo, ["POST"]),
        ("/throttle", _throttle_stats, ["GET"]), ("/throttle", _reset_throttle, ["DELETE"]),
    ]
    return [Route(base + path, _endpoint(handler), methods=methods) for path, handler, methods in table]


