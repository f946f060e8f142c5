"""`ledgerbridge audit verify | export`: check the audit log's hash chain; export one linked record per decision."""
from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TextIO

from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from app.audit.models import AuditEvent
from app.audit.service import verify_chain
from app.config import load_settings
from app.db import make_engine
from app.status.audit_trail import FIELDS, DecisionRecord, decision_records

FORMATS = ("csv", "jsonl")


class BadArgument(ValueError):
    """A date or format the command cannot use: printed as is, exit status 2."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="audit_action", required=True, metavar="ACTION")
    verify = actions.add_parser("verify", help="walk the hash chain; exit 1 at the first broken, inserted or "
                                               "deleted event")
    verify.add_argument("--url", help="database URL (default: DATABASE_URL)")
    verify.add_argument("--anchor", metavar="SEQ:HASH",
                        help="the newest sequence number and hash an earlier verify printed: also checks that this "
                             "event is still there, unchanged (events removed from the end leave a valid chain)")
    export = actions.add_parser("export", help="one linked record per approval decision, for auditors")
    export.add_argument("--from", dest="date_from", required=True, metavar="DATE",
                        help="first day (YYYY-MM-DD, UTC) or an ISO-8601 time with its offset")
    export.add_argument("--to", dest="date_to", required=True, metavar="DATE",
                        help="last day, included (YYYY-MM-DD, UTC) or an ISO-8601 time (excluded)")
    export.add_argument("--format", dest="fmt", default="csv", help="csv (default) or jsonl")
    export.add_argument("--output", type=Path, help="write to this file (default: standard output)")
    export.add_argument("--url", help="database URL (default: DATABASE_URL)")


def run(args: argparse.Namespace) -> int:
    command = f"ledgerbridge audit {args.audit_action}"
    try:
        if args.audit_action == "verify":
            return _verify(_url(args), anchor=_anchor(args.anchor) if args.anchor else None)
        return _export(_url(args), args)
    except BadArgument as error:
        print(f"{command}: {error}", file=sys.stderr)
        return 2
    except SQLAlchemyError as error:
        print(f"{command}: cannot read the audit log: {error.__class__.__name__}: "
              f"{getattr(error, 'orig', None) or error}", file=sys.stderr)
        return 1


def _url(args: argparse.Namespace) -> str:
    return args.url or load_settings().database_url


def _verify(url: str, *, anchor: tuple[int, str] | None) -> int:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            report = verify_chain(session)
            anchored = session.scalars(select(AuditEvent).where(col(AuditEvent.seq) == anchor[0])).first() \
                if anchor else None
    finally:
        engine.dispose()
    if not report.ok:
        print(f"audit log BROKEN at event id {report.first_bad_id} (seq {report.first_bad_seq}): {report.problem}; "
              f"{report.checked} events before it are intact", file=sys.stderr)
        return 1
    if anchor is not None and (anchored is None or anchored.hash != anchor[1]):
        what = "is missing: events were deleted from the end of the log" if anchored is None else \
            "has another hash: the log was rewritten from there"
        print(f"audit log BROKEN: the anchor event seq {anchor[0]} {what} ({report.checked} events now)",
              file=sys.stderr)
        return 1
    tip = f"; newest: seq {report.tip_seq}, hash {report.tip_hash}" if report.tip_seq else ""
    print(f"audit log OK: {report.checked} events checked{tip}")
    return 0


def _anchor(value: str) -> tuple[int, str]:
    seq, _, digest = value.partition(":")
    if not (seq.isdigit() and len(digest) == 64 and all(c in "0123456789abcdef" for c in digest)):
        raise BadArgument(f"--anchor {value!r} must be SEQ:HASH, e.g. 42:<the 64 hex digits verify printed>")
    return int(seq), digest


def _export(url: str, args: argparse.Namespace) -> int:
    if args.fmt not in FORMATS:
        raise BadArgument(f"--format must be one of {', '.join(FORMATS)}, not {args.fmt!r}")
    since, until = export_window(args.date_from, args.date_to)
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            records = decision_records(session, since=since, until=until)
    finally:
        engine.dispose()
    text = render(records, fmt=args.fmt)
    if args.output is None:
        sys.stdout.write(text)
    else:
        try:
            args.output.write_text(text, encoding="utf-8")
        except OSError as error:
            raise BadArgument(f"cannot write {args.output}: {error.strerror}") from None
        print(f"{len(records)} decisions written to {args.output}", file=sys.stderr)
    return 0


def export_window(date_from: str, date_to: str) -> tuple[datetime, datetime]:
    """[since, until) in UTC. A plain date `--to` includes that whole day."""
    since = _moment(date_from, "--from", end_of_day=False)
    until = _moment(date_to, "--to", end_of_day=True)
    if until <= since:
        raise BadArgument(f"--to ({date_to}) must be after --from ({date_from})")
    return since, until


def _moment(value: str, option: str, *, end_of_day: bool) -> datetime:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        pass
    else:
        return datetime.combine(day + timedelta(days=1 if end_of_day else 0), time(0), tzinfo=UTC)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise BadArgument(f"{option} {value!r} is not a date: use YYYY-MM-DD (UTC) or an ISO-8601 time such as "
                          "2026-12-01T09:00:00+00:00") from None
    if moment.tzinfo is None:
        raise BadArgument(f"{option} {value!r} has no UTC offset: add one (e.g. +00:00 or Z)")
    return moment.astimezone(UTC)


def render(records: Sequence[DecisionRecord], *, fmt: str) -> str:
    if fmt == "jsonl":
        return "".join(json.dumps(record.as_dict(), ensure_ascii=False) + "\n" for record in records)
    buffer = io.StringIO()
    _write_csv(buffer, records)
    return buffer.getvalue()


def _write_csv(out: TextIO, records: Sequence[DecisionRecord]) -> None:
    writer = csv.DictWriter(out, fieldnames=FIELDS, lineterminator="\n")
    writer.writeheader()
    for record in records:
        writer.writerow({key: "" if value is None else value for key, value in record.as_dict().items()})
