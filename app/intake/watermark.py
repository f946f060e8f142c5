"""Incremental polling on SystemModstamp without missing or repeating records (pure).

We query `SystemModstamp >= mark ORDER BY SystemModstamp, Id` and remember which records we already
processed at exactly `mark`: several records can share one SystemModstamp, and a poll that fails
halfway must resume after the last record it committed, not after the highest modstamp it saw.

Salesforce keeps SystemModstamp to the second, so one record can change twice within a second and
keep its stamp. Each entry is therefore "<Id>:<digest of the record's content>": the same Id with
other content at the same stamp is a new change, not a repeat.

A pushed read (POST /salesforce/notify) stores records ahead of the mark. It cannot move the mark (records
between the mark and them are still unread), so it notes each version it stored in `read_ahead`; the poll
skips those versions when it reaches them, and forgets every note the mark has passed.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

ReadAhead = tuple[str, datetime]
"""(entry, SystemModstamp) of a version a pushed read stored."""


@dataclass(frozen=True)
class Watermark:
    modstamp: datetime | None = None
    ids_at_modstamp: frozenset[str] = field(default_factory=frozenset)
    read_ahead: frozenset[ReadAhead] = field(default_factory=frozenset)

    def already_seen(self, record_id: str, modstamp: datetime, digest: str = "") -> bool:
        """True for a record this mark already covers (same stamp and content processed; or older)."""
        if self.modstamp is None:
            return False
        if modstamp < self.modstamp:
            return True
        return modstamp == self.modstamp and _entry(record_id, digest) in self.ids_at_modstamp

    def stored_by_push(self, record_id: str, modstamp: datetime, digest: str = "") -> bool:
        """True for a version a pushed read already stored: the poll moves past it without storing it again."""
        return (_entry(record_id, digest), modstamp) in self.read_ahead

    def advanced(self, record_id: str, modstamp: datetime, digest: str = "") -> Watermark:
        """The mark after committing this record (records arrive in modstamp order). Notes of pushed reads
        that the mark has now passed are dropped: the `>=` query never returns those versions again."""
        if self.modstamp is not None and modstamp < self.modstamp:
            return self
        entry = _entry(record_id, digest)
        ids = self.ids_at_modstamp | {entry} if modstamp == self.modstamp else frozenset({entry})
        ahead = frozenset(note for note in self.read_ahead if note[1] >= modstamp and note != (entry, modstamp))
        return Watermark(modstamp, ids, ahead)

    def pushed(self, record_id: str, modstamp: datetime, digest: str = "") -> Watermark:
        """The mark after a pushed read stored this version: unchanged, but the poll will skip the version."""
        if self.already_seen(record_id, modstamp, digest):
            return self
        return replace(self, read_ahead=self.read_ahead | {(_entry(record_id, digest), modstamp)})


def content_digest(record: Mapping[str, Any]) -> str:
    """A short, stable digest of a record's JSON content."""
    text = json.dumps(record, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _entry(record_id: str, digest: str) -> str:
    return f"{record_id}:{digest}" if digest else record_id
