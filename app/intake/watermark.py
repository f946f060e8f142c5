"""Incremental polling on SystemModstamp without missing or repeating records (pure).

We query `SystemModstamp >= mark ORDER BY SystemModstamp, Id` and remember which Ids we already
processed at exactly `mark`: several records can share one SystemModstamp, and a poll that fails
halfway must resume after the last record it committed, not after the highest modstamp it saw.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Watermark:
    modstamp: datetime | None = None
    ids_at_modstamp: frozenset[str] = field(default_factory=frozenset)

    def already_seen(self, record_id: str, modstamp: datetime) -> bool:
        """True for a record this mark already covers (same stamp, id processed; or older)."""
        if self.modstamp is None:
            return False
        if modstamp < self.modstamp:
            return True
        return modstamp == self.modstamp and record_id in self.ids_at_modstamp

    def advanced(self, record_id: str, modstamp: datetime) -> Watermark:
        """The mark after committing this record (records arrive in modstamp order)."""
        if self.modstamp is not None and modstamp < self.modstamp:
            return self
        if modstamp == self.modstamp:
            return Watermark(modstamp, self.ids_at_modstamp | {record_id})
        return Watermark(modstamp, frozenset({record_id}))
