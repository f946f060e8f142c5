"""Our error hierarchy. Vendor exceptions are translated into these at the integration boundary."""
from __future__ import annotations

from typing import Any


def _rebuild(cls: type[LedgerbridgeError], args: tuple[Any, ...], state: dict[str, Any]) -> LedgerbridgeError:
    """Unpickle without calling __init__ (whose keyword-only arguments are not in `args`)."""
    error = cls.__new__(cls, *args)
    error.args = args
    error.__dict__.update(state)
    return error


class LedgerbridgeError(Exception):
    """Base of every error we raise on purpose.

    Errors cross process boundaries (worker pools, benchmark pools), so each one pickles with its attributes:
    Exception's default reduce calls `cls(*args)`, which fails for our keyword-only constructors.
    """

    def __reduce__(self) -> tuple[Any, ...]:
        return _rebuild, (type(self), self.args, dict(self.__dict__))


class ConfigError(LedgerbridgeError):
    """A setting or the policy file is missing or invalid; the message names it in one line."""


class NotAllowed(LedgerbridgeError):
    """The acting user may not do this (not an approver, own request, ...)."""


class InvalidTransition(LedgerbridgeError):
    """The record is not in a state that allows this change."""


class NotFound(LedgerbridgeError):
    """A record we looked for does not exist."""


class WaitingOnWork(LedgerbridgeError):
    """A queued step waits for other queued work to finish first: the worker runs it again after `retry_after`
    seconds, without using up an attempt (as for a vendor's 429), instead of sleeping in its lane."""

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


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


class ThrottleFull(RateLimited):
    """Our own shared client-side throttle had no slot within the wait allowed: nothing was sent.

    The caller reschedules after `retry_after` seconds, exactly as for a vendor 429.
    """

    def __init__(self, message: str, *, vendor: str, retry_after: float, key: str) -> None:
        super().__init__(message, vendor=vendor, retry_after=retry_after, code="client_throttle")
        self.key = key


class VendorNotFound(IntegrationError):
    """The vendor has no such object."""


class VendorValidationError(IntegrationError):
    """The vendor refused the data we sent (bad field, duplicate name, stale object, ...)."""


class VendorUnavailable(IntegrationError):
    """Timeout, connection error or 5xx: the call may or may not have taken effect."""

    def __init__(self, message: str, *, vendor: str, **kw) -> None:
        super().__init__(message, vendor=vendor, retryable=True, **kw)
