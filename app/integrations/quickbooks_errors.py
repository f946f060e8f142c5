"""python-quickbooks and intuit-oauth exceptions translated into ours (their mapping is lossy: read codes and text)."""
from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import requests
from intuitlib.exceptions import AuthClientError
from quickbooks import QuickBooks
from quickbooks.exceptions import AuthorizationException, ObjectNotFoundException, QuickbooksException

from app.errors import (
    AuthenticationFailed,
    IntegrationError,
    RateLimited,
    VendorNotFound,
    VendorUnavailable,
    VendorValidationError,
)

VENDOR = "quickbooks"
THROTTLE_RETRY_AFTER = 60.0  # Intuit: "wait 60 seconds" after a 429
RECONNECT = "an admin must reconnect QuickBooks (new authorization) and update the stored refresh token"
_EXISTING_ID = re.compile(r"\bId=(\d+)")
_EXISTING_TXN = re.compile(r"\bTxnId=(\d+)")


class DuplicateNameError(VendorValidationError):
    """QBO 6240: the DisplayName is taken; `existing_id` is the holder's Id when QBO said it."""

    def __init__(self, message: str, *, existing_id: str | None) -> None:
        super().__init__(message, vendor=VENDOR, code="6240", status=400)
        self.existing_id = existing_id


class DuplicateDocNumberError(VendorValidationError):
    """QBO 6140: another transaction already has this DocNumber; `existing_txn_id` when QBO said which."""

    def __init__(self, message: str, *, existing_txn_id: str | None) -> None:
        super().__init__(message, vendor=VENDOR, code="6140", status=400)
        self.existing_txn_id = existing_txn_id


def translate_fault(fault: Mapping[str, Any]) -> IntegrationError:
    """A `Fault` object (a batch item's, say) as our error, mapped exactly as python-quickbooks maps a response."""
    errors = fault.get("Error") if isinstance(fault, Mapping) else None
    if not isinstance(errors, list) or not errors or not all(isinstance(e, Mapping) and e.get("code")
                                                            for e in errors):
        return VendorUnavailable(f"QuickBooks answered with a Fault we cannot read: {fault!r:.200}", vendor=VENDOR)
    try:
        QuickBooks.handle_exceptions(fault)
    except QuickbooksException as error:
        return translate_api_error(error)
    except (TypeError, ValueError):  # a code that is not a number
        pass
    return VendorUnavailable(f"QuickBooks answered with a Fault we cannot read: {fault!r:.200}", vendor=VENDOR)


def translate_api_error(error: Exception) -> IntegrationError:
    """One python-quickbooks / requests exception as our error. Never copies a 401 body (it echoes the token)."""
    if isinstance(error, requests.Timeout):
        return VendorUnavailable("QuickBooks did not answer in time", vendor=VENDOR)
    if isinstance(error, requests.ConnectionError):
        return VendorUnavailable("cannot connect to QuickBooks", vendor=VENDOR)
    if isinstance(error, AuthorizationException) and error.error_code == 401:
        return AuthenticationFailed(f"QuickBooks rejected the access token after a refresh; {RECONNECT}",
                                    vendor=VENDOR, code="401", status=401)
    if isinstance(error, QuickbooksException):
        return _from_quickbooks(error)
    return VendorUnavailable(f"QuickBooks call failed: {type(error).__name__}", vendor=VENDOR)


def _from_quickbooks(error: QuickbooksException) -> IntegrationError:
    code = str(error.error_code)
    text = f"{error.message} {error.detail}"
    summary = f"QuickBooks error {code}: {error.message}" + (f" ({error.detail})" if error.detail else "")
    if code == "3001" or "ThrottleExceeded" in text or "status code '429'" in text:
        return RateLimited("QuickBooks throttled the request (429 ThrottleExceeded)", vendor=VENDOR,
                           retry_after=THROTTLE_RETRY_AFTER, code="3001", status=429)
    if code in ("3100", "3200") or isinstance(error, AuthorizationException):
        return AuthenticationFailed(f"QuickBooks refused access to this company (code {code}); {RECONNECT}",
                                    vendor=VENDOR, code=code, status=403)
    if isinstance(error, ObjectNotFoundException) or code == "610":
        return VendorNotFound(summary, vendor=VENDOR, code="610", status=400)
    if code == "6240":
        match = _EXISTING_ID.search(str(error.detail))
        return DuplicateNameError(summary, existing_id=match.group(1) if match else None)
    if code == "6140":
        match = _EXISTING_TXN.search(str(error.detail))
        return DuplicateDocNumberError(summary, existing_txn_id=match.group(1) if match else None)
    if code.isdigit() and int(code) >= 10000:
        return VendorUnavailable(f"QuickBooks had a server error (code {code})", vendor=VENDOR, code=code)
    return VendorValidationError(summary, vendor=VENDOR, code=code, status=400)


def translate_auth_error(error: AuthClientError) -> IntegrationError:
    """intuit-oauth token endpoint failures: invalid_grant means the connection is gone."""
    reason = _oauth_error_name(error.content)
    if error.status_code == 400 and reason == "invalid_grant":
        return AuthenticationFailed(f"QuickBooks refused the refresh token (invalid_grant): it expired, was "
                                    f"revoked or was already rotated; {RECONNECT}", vendor=VENDOR,
                                    code="invalid_grant", status=400)
    if error.status_code == 401 or reason == "invalid_client":
        return AuthenticationFailed("QuickBooks rejected the app credentials (invalid_client): check "
                                    "QBO_CLIENT_ID and QBO_CLIENT_SECRET", vendor=VENDOR,
                                    code="invalid_client", status=error.status_code)
    if error.status_code == 429:
        return RateLimited("QuickBooks throttled the token endpoint", vendor=VENDOR,
                           retry_after=THROTTLE_RETRY_AFTER, status=429)
    if error.status_code >= 500:
        return VendorUnavailable(f"the QuickBooks token endpoint failed (HTTP {error.status_code})",
                                 vendor=VENDOR, status=error.status_code)
    return AuthenticationFailed(f"the QuickBooks token endpoint said HTTP {error.status_code} ({reason}); "
                                f"{RECONNECT}", vendor=VENDOR, code=reason, status=error.status_code)


def _oauth_error_name(content: bytes | str | None) -> str:
    try:
        body = json.loads(content or b"{}")
    except ValueError:
        return "unknown"
    return str(body.get("error", "unknown")) if isinstance(body, dict) else "unknown"
