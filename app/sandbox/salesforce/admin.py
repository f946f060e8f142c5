"""/_admin/ JSON API: the same knobs as SalesforceState's methods, for the demo and other processes."""
from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.sandbox.salesforce.errors import ApiError
from app.sandbox.salesforce.responses import SalesforceJSON
from app.sandbox.salesforce.state import SalesforceState
from app.sandbox.salesforce.values import parse_datetime_value

Handler = Callable[[SalesforceState, dict[str, Any], dict[str, Any]], Any]


def _admin(handler: Handler, status: int = 200) -> Callable[[Request], Awaitable[Response]]:
    """Parse the JSON body, run the handler, and turn bad input into a 400 with a clear message."""
    async def endpoint(request: Request) -> Response:
        try:
            raw = await request.body()
            body = json.loads(raw, parse_float=Decimal) if raw.strip() else {}
            if not isinstance(body, dict):
                raise ValueError("the request body must be a JSON object")
            result = handler(request.app.state.salesforce, dict(request.path_params), body)
        except ApiError as error:
            return SalesforceJSON({"error": error.errors[0]["message"], "errors": error.errors}, status_code=400)
        except (ValueError, KeyError, TypeError) as error:
            return SalesforceJSON({"error": f"bad admin request: {error}"}, status_code=400)
        return SalesforceJSON({"ok": True} if result is None else result, status_code=status)
    return endpoint


def _seed(state: SalesforceState, params: dict[str, Any], body: dict[str, Any]) -> Any:
    if "records" in body:
        return {"ids": [state.seed(params["sobject"], row) for row in body["records"]]}
    return {"id": state.seed(params["sobject"], body)}


def _edit(state: SalesforceState, params: dict[str, Any], body: dict[str, Any]) -> Any:
    state.user_edit(params["sobject"], params["record_id"], body)
    return state.record(params["sobject"], params["record_id"])


def _set_clock(state: SalesforceState, _: dict[str, Any], body: dict[str, Any]) -> Any:
    state.set_clock(parse_datetime_value(str(body["now"])))
    return {"now": state.now()}


def _advance_clock(state: SalesforceState, _: dict[str, Any], body: dict[str, Any]) -> Any:
    state.advance_clock(timedelta(seconds=float(body["seconds"])))
    return {"now": state.now()}


def _inject_fault(state: SalesforceState, _: dict[str, Any], body: dict[str, Any]) -> Any:
    state.inject_fault(str(body["kind"]), count=int(body.get("count", 1)),
                       delay_seconds=float(body.get("delay_seconds", 0)))


def _validation_error(state: SalesforceState, _: dict[str, Any], body: dict[str, Any]) -> Any:
    state.add_validation_error(str(body["sobject"]), str(body["message"]), record_id=body.get("record_id"),
                               fields=tuple(body.get("fields", ())))


def _calls(state: SalesforceState, *_: Any) -> Any:
    return {"calls": [call.__dict__ for call in state.calls()]}


def _credentials(state: SalesforceState, _: dict[str, Any], body: dict[str, Any]) -> Any:
    state.set_credentials(str(body["username"]), str(body["password"]), str(body.get("security_token", "")))


def _field_access(state: SalesforceState, _: dict[str, Any], body: dict[str, Any]) -> Any:
    """{"sobject": "Opportunity", "field": "PO_Number__c", "access": "none" | "read"}: the API user no longer
    sees the field (as if it was never created), or may read it but not edit it."""
    access = str(body["access"])
    if access not in ("none", "read"):
        raise ValueError("access must be 'none' or 'read'")
    change = state.remove_field if access == "none" else state.make_read_only
    change(str(body["sobject"]), str(body["field"]))


def admin_routes() -> list[Route]:
    records = "/_admin/records/{sobject}"
    return [
        Route(records, _admin(_seed, 201), methods=["POST"]),
        Route(records, _admin(lambda s, p, _: {"records": s.records(p["sobject"])}), methods=["GET"]),
        Route(records + "/{record_id}", _admin(lambda s, p, _: s.record(p["sobject"], p["record_id"])),
              methods=["GET"]),
        Route(records + "/{record_id}", _admin(_edit), methods=["PATCH"]),
        Route("/_admin/clock", _admin(lambda s, *_: {"now": s.now()}), methods=["GET"]),
        Route("/_admin/clock", _admin(_set_clock), methods=["PUT"]),
        Route("/_admin/clock/advance", _admin(_advance_clock), methods=["POST"]),
        Route("/_admin/page-size", _admin(lambda s, _, b: s.set_page_size(int(b["size"]))), methods=["PUT"]),
        Route("/_admin/request-limit",
              _admin(lambda s, _, b: s.set_request_limit_exceeded(bool(b["exceeded"]))), methods=["PUT"]),
        Route("/_admin/faults", _admin(_inject_fault), methods=["POST"]),
        Route("/_admin/faults", _admin(lambda s, *_: s.clear_faults()), methods=["DELETE"]),
        Route("/_admin/validation-errors", _admin(_validation_error), methods=["POST"]),
        Route("/_admin/validation-errors", _admin(lambda s, *_: s.clear_validation_errors()),
              methods=["DELETE"]),
        Route("/_admin/field-access", _admin(_field_access), methods=["POST"]),
        Route("/_admin/calls", _admin(_calls), methods=["GET"]),
        Route("/_admin/calls", _admin(lambda s, *_: s.clear_calls()), methods=["DELETE"]),
        Route("/_admin/tokens", _admin(lambda s, *_: {"access_token": s.issue_token()}, 201), methods=["POST"]),
        Route("/_admin/credentials", _admin(_credentials), methods=["PUT"]),
        Route("/_admin/usage", _admin(lambda s, *_: {"used": s.api_usage, "limit": s.api_limit}),
              methods=["GET"]),
    ]
