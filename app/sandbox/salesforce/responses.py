"""JSON responses in the REST API's wire formats (datetimes, dates, numbers), and request bodies."""
from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app.sandbox.salesforce.errors import ApiError, json_parser_error
from app.sandbox.salesforce.values import json_default


class SalesforceJSON(JSONResponse):
    def render(self, content: Any) -> bytes:
        return json.dumps(content, default=json_default, ensure_ascii=False).encode("utf-8")


def error_response(error: ApiError) -> Response:
    return SalesforceJSON(error.errors, status_code=error.status)


async def json_object(request: Request) -> dict[str, Any]:
    """The request body as a JSON object (numbers as Decimal), or a 400 JSON_PARSER_ERROR."""
    body = await request.body()
    try:
        parsed = json.loads(body or b"null", parse_float=Decimal)
    except (ValueError, UnicodeDecodeError) as error:
        raise json_parser_error(f"Unexpected character in JSON body: {error}") from None
    if not isinstance(parsed, dict):
        raise json_parser_error("Expected a JSON object as the request body")
    return parsed
