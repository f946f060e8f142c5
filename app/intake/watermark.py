"""Incremental polling on SystemModstamp without missing or repeating records (pure).

We query `SystemModstamp >= mark ORDER BY SystemModstamp, Id` and remember which records we already
processed at exactly `mark`: several records can share one SystemModstamp, and a poll that fails
halfway must resume after the last record it committed, not after the highest modstamp it saw.

Salesforce keeps SystemModstamp to the second, so one record can change twice within a second and
keep its stamp. Each entry is therefore "<Id>:<digest of the record's content>": the same Id with
other content at the same stamp is a new change, not a repeat.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Watermark:
    modstamp: datetime | None = None
    ids_at_modstamp: frozenset[str] = field(default_factory=frozenset)

    def already_seen(self, record_id: str, modstamp: datetime, digest: str = "") -> bool:
        """True for a record this mark already covers (same stamp and content processed; or older)."""
        if self.modstamp is None:
            return False
        if modstamp < self.modstamp:
            return True
        return modstamp == self.modstamp and _entry(record_id, digest) in self.ids_at_modstamp

    def advanced(self, record_id: str, modstamp: datetime, digest: str = "") -> Watermark:
        """The mark after committing this record (records arrive in modstamp order)."""
        if self.modstamp is not None and modstamp < self.modstamp:
            return self
        if modstamp == self.modstamp:
            return Watermark(modstamp, self.ids_at_modstamp | {_entry(record_id, digest)})
        return Watermark(modstamp, frozenset({_entry(record_id, digest)}))


def content_digest(record: Mapping[str, Any]) -> str:
    """A short, stable digest of a record's JSON content."""
    text = json.dumps(record, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _entry(record_id: str, digest: str) -> str:
    return f"{record_id}:{digest}" if digest else record_id
