"""Our error hierarchy. Vendor exceptions are translated into these at the integration boundary."""
from __future__ import annotations


class LedgerbridgeError(Exception):
    """Base of every error we raise on purpose."""


class ConfigError(LedgerbridgeError):
    """A setting or the policy file is missing or invalid; the message names it in one line."""


class NotAllowed(LedgerbridgeError):
    """The acting user may not do this (not an approver, own request, ...)."""


class InvalidTransition(LedgerbridgeError):
    """The record is not in a state that allows this change."""


class NotFound(LedgerbridgeError):
    """A record we looked for does not exist."""


class IntegrationError(LedgerbridgeError):
    """A vendor API call failed. `retryable` tells whether trying again later may help."""

    def __init__(
        self,
        message: str,
        *,
        vendor: str,
        code: str | None = None,
        status: int | None = None,
        retryable: bool = False,
    ) -> None:
        super().__init__(message)
        self.vendor = vendor
        self.code = code
        self.status = status
        self.retryable = retryable


class AuthenticationFailed(IntegrationError):
    """The vendor rejected our credentials or token."""


class RateLimited(IntegrationError):
    """The vendor throttled us; `retry_after` is in seconds when the vendor said."""

    def __init__(self, message: str, *, vendor: str, retry_after: float | None = None, **kw) -> None:
        super().__init__(message, vendor=vendor, retryable=True, **kw)
        self.retry_after = retry_after


class VendorNotFound(IntegrationError):
    """The vendor has no such object."""


class VendorValidationError(IntegrationError):
    """The vendor refused the data we sent (bad field, duplicate name, stale object, ...)."""


class VendorUnavailable(IntegrationError):
    """Timeout, connection error or 5xx: the call may or may not have taken effect."""

    def __init__(self, message: str, *, vendor: str, **kw) -> None:
        super().__init__(message, vendor=vendor, retryable=True, **kw)
