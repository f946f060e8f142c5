"""The data API routes: query, queryAll, query locators, sobjects GET/PATCH/POST."""
from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.sandbox.salesforce.errors import ApiError, not_found
from app.sandbox.salesforce.responses import SalesforceJSON, json_object
from app.sandbox.salesforce.schema import find_object
from app.sandbox.salesforce.state import SalesforceState

_VERSION = re.compile(r"^v(\d{2,3}\.\d)$")
_BATCH = re.compile(r"batchSize\s*=\s*(\d+)", re.IGNORECASE)
MIN_BATCH, MAX_BATCH = 200, 2000


def api_version(request: Request) -> str:
    match = _VERSION.match(request.path_params["version"])
    if match is None:
        raise not_found()
    return match.group(1)


def _state(request: Request) -> SalesforceState:
    return request.app.state.salesforce


def _batch_size(request: Request) -> int | None:
    match = _BATCH.search(request.headers.get("sforce-query-options", ""))
    return min(max(int(match.group(1)), MIN_BATCH), MAX_BATCH) if match else None


async def query(request: Request) -> Response:
    version = api_version(request)
    soql = request.query_params.get("q")
    if not soql:
        raise ApiError(400, "MALFORMED_QUERY", "A query string has to be specified")
    page = _state(request).api_query(soql, api_version=version, batch_size=_batch_size(request))
    return SalesforceJSON(page)


async def query_more(request: Request) -> Response:
    version = api_version(request)
    page = _state(request).api_query_more(request.path_params["locator"], api_version=version)
    return SalesforceJSON(page)


async def sobject_get(request: Request) -> Response:
    version = api_version(request)
    sobject, record_id = request.path_params["sobject"], request.path_params["record_id"]
    row = _state(request).api_get(sobject, record_id)
    spec = find_object(sobject)
    assert spec is not None  # api_get raised NOT_FOUND otherwise
    wanted = [name.strip() for name in request.query_params.get("fields", "").split(",") if name.strip()]
    access = _state(request).field_access
    names = [spec.field(name) for name in wanted] if wanted else \
        [field for field in spec.fields if access.visible(spec, field.name)]
    unknown = [name for name, field in zip(wanted, names, strict=False)
               if field is None or not access.visible(spec, field.name)]    # no names wanted: none unknown
    if unknown:
        raise ApiError(400, "INVALID_FIELD", f"No such column '{unknown[0]}' on sobject of type {spec.name}")
    body: dict[str, Any] = {"attributes": {"type": spec.name,
                           "url": f"/services/data/v{version}/sobjects/{spec.name}/{row['Id']}"}}
    body.update({field.name: row.get(field.name) for field in names if field is not None})
    return SalesforceJSON(body)


async def sobject_describe(request: Request) -> Response:
    version = api_version(request)
    return SalesforceJSON(_state(request).api_describe(request.path_params["sobject"], api_version=version))


async def sobject_patch(request: Request) -> Response:
    api_version(request)
    fields = await json_object(request)
    _state(request).api_update(request.path_params["sobject"], request.path_params["record_id"], fields)
    return Response(status_code=204)


async def sobject_create(request: Request) -> Response:
    api_version(request)
    fields = await json_object(request)
    record_id = _state(request).api_create(request.path_params["sobject"], fields)
    return SalesforceJSON({"id": record_id, "success": True, "errors": []}, status_code=201)


async def unknown_resource(request: Request) -> Response:
    raise not_found()


def data_routes() -> list[Route]:
    base = "/services/data/{version}"
    return [
        Route(f"{base}/query", query, methods=["GET"]),
        Route(f"{base}/query/", query, methods=["GET"]),
        Route(f"{base}/queryAll", query, methods=["GET"]),
        Route(f"{base}/queryAll/", query, methods=["GET"]),
        Route(f"{base}/query/{{locator}}", query_more, methods=["GET"]),
        Route(f"{base}/queryAll/{{locator}}", query_more, methods=["GET"]),
        Route(f"{base}/sobjects/{{sobject}}", sobject_create, methods=["POST"]),
        Route(f"{base}/sobjects/{{sobject}}/", sobject_create, methods=["POST"]),
        Route(f"{base}/sobjects/{{sobject}}/describe", sobject_describe, methods=["GET"]),
        Route(f"{base}/sobjects/{{sobject}}/describe/", sobject_describe, methods=["GET"]),
        Route(f"{base}/sobjects/{{sobject}}/{{record_id}}", sobject_get, methods=["GET"]),
        Route(f"{base}/sobjects/{{sobject}}/{{record_id}}", sobject_patch, methods=["PATCH"]),
        Route("/services/data/{rest:path}", unknown_resource,
              methods=["GET", "POST", "PATCH", "PUT", "DELETE"]),
    ]
