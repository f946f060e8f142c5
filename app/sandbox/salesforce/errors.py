"""The REST API's error responses: an HTTP status and a JSON list of {message, errorCode[, fields]}."""
from __future__ import annotations

from typing import Any


class ApiError(Exception):
    def __init__(self, status: int, error_code: str, message: str, *, fields: list[str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        error: dict[str, Any] = {"message": message, "errorCode": error_code}
        if fields is not None:
            error["fields"] = fields
        self.errors: list[dict[str, Any]] = [error]

    @classmethod
    def many(cls, status: int, errors: list[dict[str, Any]]) -> ApiError:
        error = cls(status, errors[0]["errorCode"], errors[0]["message"])
        error.errors = errors
        return error


def not_found() -> ApiError:
    return ApiError(404, "NOT_FOUND", "The requested resource does not exist")


def invalid_session() -> ApiError:
    return ApiError(401, "INVALID_SESSION_ID", "Session expired or invalid")


def request_limit_exceeded() -> ApiError:
    return ApiError(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")


def json_parser_error(message: str) -> ApiError:
    return ApiError(400, "JSON_PARSER_ERROR", message)
