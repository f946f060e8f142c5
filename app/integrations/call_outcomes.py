"""The last outcome of each vendor's calls in this process, for /readyz.

Each wrapper marks the one place it translates vendor errors (`@recording` on a translating context
manager, `@recorded` on a function); nothing else changes in the wrappers. The record is per process,
like a logger: a web process and a worker each report what their own calls saw.
"""
from __future__ import annotations

import functools
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import ParamSpec, TypeVar

from app.errors import AuthenticationFailed, ConfigError, IntegrationError, RateLimited, VendorUnavailable

P = ParamSpec("P")
T = TypeVar("T")
# The vendor could not be used: unreachable, throttling us, refusing our credentials, or not configured.
# Any other answer (not found, a refused value) means the vendor works.
FAILURES = (VendorUnavailable, RateLimited, AuthenticationFailed, ConfigError)
MAX_ERROR_CHARS = 300
_SECRETS = re.compile(r"(xox[a-z]-[\w-]+|xapp-[\w-]+|Bearer\s+\S+|(?:access|refresh)_token=[^&\s]+"
                      r"|(?<=://)[^/\s:@]+:[^/\s@]+(?=@))", re.I)


@dataclass(frozen=True)
class CallOutcome:
    ok: bool
    at: datetime
    since: datetime
    """When the current run of successes (or of failures) began."""
    error: str | None = None
    retryable: bool = False


class CallOutcomes:
    def __init__(self, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._now = now
        self._lock = threading.Lock()
        self._last: dict[str, CallOutcome] = {}

    def note(self, vendor: str, error: BaseException | None) -> None:
        """Record one call's end; exceptions that are not about the vendor (our own bugs) are not counted."""
        if error is not None and not isinstance(error, FAILURES + (IntegrationError,)):
            return
        failed = isinstance(error, FAILURES)
        now = self._now()
        with self._lock:
            previous = self._last.get(vendor)
            since = previous.since if previous is not None and previous.ok != failed else now
            self._last[vendor] = CallOutcome(ok=not failed, at=now, since=since,
                                             error=describe(error) if failed else None,
                                             retryable=failed and bool(getattr(error, "retryable", False)))

    def last(self) -> dict[str, CallOutcome]:
        with self._lock:
            return {vendor: replace(outcome) for vendor, outcome in self._last.items()}

    def clear(self) -> None:
        with self._lock:
            self._last.clear()


def describe(error: BaseException | None) -> str:
    """Our error's words, short, with anything token-like blanked (our messages carry none; belt and braces)."""
    text = _SECRETS.sub("[redacted]", f"{type(error).__name__}: {error}")
    return text if len(text) <= MAX_ERROR_CHARS else text[:MAX_ERROR_CHARS - 3] + "..."


OUTCOMES = CallOutcomes()


def recorded(vendor: str) -> Callable[[Callable[P, T]], Callable[P, T]]:
    """Decorate a wrapper function whose exceptions are already ours."""
    def decorate(function: Callable[P, T]) -> Callable[P, T]:
        @functools.wraps(function)
        def call(*args: P.args, **kwargs: P.kwargs) -> T:
            try:
                result = function(*args, **kwargs)
            except BaseException as error:
                OUTCOMES.note(vendor, error)
                raise
            OUTCOMES.note(vendor, None)
            return result
        return call
    return decorate


def recording(vendor: str) -> Callable[[Callable[P, AbstractContextManager[None]]],
                                       Callable[P, AbstractContextManager[None]]]:
    """Decorate a context manager that translates vendor exceptions into ours."""
    def decorate(factory: Callable[P, AbstractContextManager[None]]) -> Callable[P, AbstractContextManager[None]]:
        @functools.wraps(factory)
        @contextmanager
        def around(*args: P.args, **kwargs: P.kwargs) -> Iterator[None]:
            try:
                with factory(*args, **kwargs):
                    yield
            except BaseException as error:
                OUTCOMES.note(vendor, error)
                raise
            OUTCOMES.note(vendor, None)
        return around
    return decorate
