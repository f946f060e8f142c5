"""A process that starts with a changed policy records the change once: old and new hash, and which keys changed."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import yaml
from sqlalchemy import Engine, select
from sqlmodel import Session

from app.audit.models import AuditEvent
from app.audit.policy_versions import POLICY_CHANGED, changed_keys, policy_hash, record_policy_in_force
from app.audit.service import record_event, verify_chain
from app.clock import FixedClock
from app.db import session_scope
from app.policy import Policy, load_policy

REPO_ROOT = Path(__file__).resolve().parents[2]
START = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def _example() -> Policy:
    return load_policy(REPO_ROOT / "policy.example.yaml")


def _edited(tmp_path: Path, edit) -> Policy:
    data = yaml.safe_load((REPO_ROOT / "policy.example.yaml").read_text(encoding="utf-8"))
    edit(data)
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return load_policy(path)


def _start_processes(engine: Engine, policy: Policy, count: int) -> int:
    """`count` processes starting together, each in its own transaction; returns how many recorded a change."""
    def start(_: int) -> bool:
        with session_scope(engine) as session:
            return record_policy_in_force(session, policy=policy, clock=FixedClock(START)) is not None

    with ThreadPoolExecutor(max_workers=count) as pool:
        return sum(pool.map(start, range(count)))


def _policy_events(engine: Engine) -> list[AuditEvent]:
    with Session(engine) as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == POLICY_CHANGED)
                                    .order_by(AuditEvent.seq)))


def test_a_changed_policy_is_recorded_once_even_when_processes_start_together(engine: Engine,
                                                                                tmp_path: Path) -> None:
    first = _example()
    assert _start_processes(engine, first, 4) == 1
    assert _start_processes(engine, first, 3) == 0          # restarts with the same policy record nothing

    def raise_discount(data: dict) -> None:
        data["approval_rules"]["credit_limit"]["threshold"] = "60000"
        data["sla_hours"]["missing_field"] = 12
    second = _edited(tmp_path, raise_discount)
    assert _start_processes(engine, second, 4) == 1

    events = _policy_events(engine)
    assert [e.details["new_hash"] for e in events] == [policy_hash(first), policy_hash(second)]
    assert events[0].details["old_hash"] is None and events[0].before is None
    assert events[1].details["old_hash"] == policy_hash(first)
    assert events[1].details["changed_keys"] == ["approval_rules.credit_limit.threshold",
                                                 "sla_hours.missing_field"]
    assert events[1].before["approval_rules"]["credit_limit"]["threshold"] == "50000"
    assert events[1].after["approval_rules"]["credit_limit"]["threshold"] == "60000"
    with Session(engine) as session:
        assert verify_chain(session).ok


def test_every_event_carries_the_policy_version_in_force(engine: Engine, tmp_path: Path) -> None:
    policy = _example()
    with session_scope(engine) as session:
        record_policy_in_force(session, policy=policy, clock=FixedClock(START))
        later = record_event(session, actor="U1", action="approval.approved", subject_type="approval_request",
                             subject_id="7", details={}, clock=FixedClock(START))
    assert later.policy_version == policy_hash(policy)


def test_changed_keys_names_added_removed_and_changed_paths() -> None:
    old = {"a": {"b": 1, "c": 2}, "d": [1, 2], "gone": True}
    new = {"a": {"b": 1, "c": 3}, "d": [1, 2, 3], "new": {"x": 1}}
    assert changed_keys(old, new) == ["a.c", "d", "gone", "new.x"]
