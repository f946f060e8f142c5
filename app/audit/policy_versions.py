"""The policy version in force: a hash of the policy's content, and one `policy.changed` event each time a
process starts with a policy whose hash differs from the last one recorded (once, however many processes start
together: the check and the append hold the chain's lock)."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlmodel import Session

from app.audit.models import AuditEvent
from app.audit.service import SYSTEM_ACTOR, last_event, lock_chain, record_event
from app.clock import Clock
from app.policy import Policy

POLICY_CHANGED = "policy.changed"


def policy_document(policy: Policy) -> dict[str, Any]:
    """The policy as JSON values, every default filled in: what the app actually applies. Amounts are written
    without trailing zeros, so `5000` and `5000.00` in the file are the same policy."""
    return json.loads(json.dumps(policy.model_dump(mode="python"), default=_plain))


def _plain(value: object) -> object:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    if isinstance(value, Enum):
        return value.value
    return str(value)


def policy_hash(policy: Policy) -> str:
    """sha256 of the canonical JSON of the policy's content (comments and key order in the file do not count)."""
    canonical = json.dumps(policy_document(policy), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def changed_keys(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """Dotted paths of the values added, removed or changed between two policy documents, sorted."""
    flat_old, flat_new = _flatten(old), _flatten(new)
    return sorted(key for key in flat_old.keys() | flat_new.keys() if flat_old.get(key, _MISSING)
                  != flat_new.get(key, _MISSING))


def record_policy_in_force(session: Session, *, policy: Policy, clock: Clock,
                           source: str | None = None) -> AuditEvent | None:
    """Append `policy.changed` when this policy's hash is not the last one recorded; None when it is."""
    lock_chain(session)
    new_hash, document = policy_hash(policy), policy_document(policy)
    last = last_event(session, action=POLICY_CHANGED)
    old_hash = last.details.get("new_hash") if last is not None else None
    if old_hash == new_hash:
        return None
    old_document = (last.after or {}) if last is not None else {}
    details = {"old_hash": old_hash, "new_hash": new_hash, "changed_keys": changed_keys(old_document, document),
               "source": source}
    return record_event(session, actor=SYSTEM_ACTOR, action=POLICY_CHANGED, subject_type="policy",
                        subject_id=new_hash[:12], details=details, before=old_document if last else None,
                        after=document, policy_version=new_hash, clock=clock)


_MISSING = object()


def _flatten(document: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in document.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(_flatten(value, f"{path}."))
        else:
            flat[path] = value
    return flat
