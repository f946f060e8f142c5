"""One line of a live check: what was found at a vendor and, for a problem, how to fix it."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Finding:
    vendor: str             # "slack", "salesforce" or "quickbooks"
    summary: str
    fix: str | None = None  # None: this part is ready

    @property
    def ok(self) -> bool:
        return self.fix is None


def ready(vendor: str, summary: str) -> Finding:
    return Finding(vendor, summary)


def problem(vendor: str, summary: str, fix: str) -> Finding:
    return Finding(vendor, summary, fix)
