"""The one line a command prints for a vendor failure: real network errors from the real HTTP client."""
from __future__ import annotations

import socket

import pytest
import requests

from app.commands.vendor_failures import vendor_failure_line
from app.errors import AuthenticationFailed, IntegrationError, VendorUnavailable


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _failed_call(url: str, vendor: str) -> IntegrationError:
    """What our wrappers raise: VendorUnavailable from the requests error (see salesforce_client.translate)."""
    try:
        try:
            requests.get(url, timeout=5)
        except requests.RequestException as error:
            raise VendorUnavailable(f"{vendor} unreachable: {type(error).__name__}", vendor=vendor) from error
    except VendorUnavailable as translated:
        return translated
    raise AssertionError("the call did not fail")


def test_the_line_names_the_origin_tried_and_never_its_user_info_path_or_query() -> None:
    port = _closed_port()
    error = _failed_call(f"http://admin:pa55word@127.0.0.1:{port}/services/data/v59.0/query?token=s3cret",
                         "salesforce")
    line = vendor_failure_line(error)
    assert line == (f"Salesforce is unreachable at http://127.0.0.1:{port}: connection refused. "
                    "Check SALESFORCE_INSTANCE_URL and try again.")


def test_a_password_login_names_the_login_setting() -> None:
    port = _closed_port()
    line = vendor_failure_line(_failed_call(f"http://127.0.0.1:{port}/services/Soap/u/59.0", "salesforce"))
    assert line.endswith("Check SALESFORCE_LOGIN_URL and try again.")


def test_a_host_that_does_not_resolve_is_said_so() -> None:
    line = vendor_failure_line(_failed_call("https://ledgerbridge-no-such-host.invalid/v3/company/1", "quickbooks"))
    assert line == ("QuickBooks is unreachable at https://ledgerbridge-no-such-host.invalid: the host name does "
                    "not resolve. Check QBO_API_URL and QBO_ENVIRONMENT and try again.")


@pytest.mark.parametrize(("error", "expected"), [
    (AuthenticationFailed("Salesforce login failed (INVALID_LOGIN): bad password", vendor="salesforce"),
     "Salesforce login failed (INVALID_LOGIN): bad password. Check SALESFORCE_ACCESS_TOKEN (or the "
     "SALESFORCE_USERNAME sign-in settings) and try again."),
    (VendorUnavailable("Salesforce refused to query opportunities: HTTP 503 down", vendor="salesforce", status=503),
     "Salesforce refused to query opportunities: HTTP 503 down. Salesforce is having trouble: try again later."),
])
def test_answers_that_are_not_network_failures_keep_their_message_and_say_what_to_do(
        error: IntegrationError, expected: str) -> None:
    assert vendor_failure_line(error) == expected
