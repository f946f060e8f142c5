"""The one switch that keeps every vendor write from leaving the process (shadow mode)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from app.errors import IntegrationError


class WritesDisabled(IntegrationError):
    """A write to QuickBooks or Salesforce was attempted in shadow mode; nothing was sent."""


def _always() -> bool:
    return True


@dataclass
class WriteGuard:
    """Checked by each gateway before every write it sends; `allowed` is asked at each write (the mode may change)."""

    allowed: Callable[[], bool] = field(default=_always)

    def check(self, *, vendor: str, what: str) -> None:
        if not self.allowed():
            raise WritesDisabled(f"shadow mode: Ledgerbridge writes nothing to {vendor} ({what} not sent)",
                                 vendor=vendor, code="shadow_mode", retryable=False)
