"""The stored watermark row of the opportunity poll: load it, take it for a page, save it back."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col

from app.clock import Clock
from app.db import require
from app.exactly_once.models import SyncWatermark
from app.intake.watermark import ReadAhead, Watermark

OPPORTUNITY_WATERMARK = "salesforce.opportunity"


def load_watermark(session: Session) -> Watermark:
    row = session.get(SyncWatermark, OPPORTUNITY_WATERMARK)
    if row is None:
        return Watermark()
    return Watermark(row.modstamp, frozenset(row.ids_at_modstamp), _read_ahead(row.read_ahead))


def take_watermark(session: Session, *, clock: Clock) -> Watermark:
    """The stored mark, held for the rest of this transaction.

    An UPDATE comes first: on PostgreSQL it locks the row against a concurrent poll or push; on SQLite it
    opens the write transaction, so that the SAVEPOINTs after it nest inside it (pysqlite begins a
    transaction only before DML, and RELEASE of a SAVEPOINT outside one would commit on the spot).
    """
    taken = session.exec(update(SyncWatermark).where(col(SyncWatermark.name) == OPPORTUNITY_WATERMARK)
                         .values(updated_at=clock.now()))
    if taken.rowcount == 0:
        session.add(SyncWatermark(name=OPPORTUNITY_WATERMARK, updated_at=clock.now()))
        session.flush()
    return load_watermark(session)


def save_watermark(session: Session, mark: Watermark, *, clock: Clock) -> None:
    """Write the mark back (after `take_watermark` in the same transaction)."""
    row = require(session, SyncWatermark, OPPORTUNITY_WATERMARK)
    row.modstamp = mark.modstamp
    row.ids_at_modstamp = sorted(mark.ids_at_modstamp)
    row.read_ahead = _read_ahead_json(mark.read_ahead)
    row.updated_at = clock.now()
    session.add(row)
    session.flush()


def _read_ahead(stored: dict[str, list[str]]) -> frozenset[ReadAhead]:
    return frozenset((entry, datetime.fromisoformat(stamp)) for stamp, entries in stored.items() for entry in entries)


def _read_ahead_json(notes: frozenset[ReadAhead]) -> dict[str, list[str]]:
    by_stamp: dict[str, list[str]] = {}
    for entry, stamp in sorted(notes, key=lambda note: (note[1], note[0])):
        by_stamp.setdefault(stamp.isoformat(), []).append(entry)
    return by_stamp
