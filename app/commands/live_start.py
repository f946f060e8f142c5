"""What `serve`, `web` and `worker` check before they start: every setting live use needs, a current schema,
a valid policy. Each problem is one line naming the command; nothing starts until all are fixed."""
from __future__ import annotations

import sys
from dataclasses import dataclass

from app.commands.live_settings import missing_for_live_use
from app.config import Settings, load_settings
from app.db_migrate import current_revision, head_revision
from app.policy import Policy, load_policy


@dataclass(frozen=True)
class LiveStart:
    settings: Settings
    policy: Policy


def prepare_live_start(command: str) -> LiveStart | None:
    """The settings and policy to start with, or None after printing why the command cannot start."""
    settings = load_settings()
    missing = missing_for_live_use(settings)
    for name in missing:
        print(f"ledgerbridge {command}: missing setting {name}", file=sys.stderr)
    if missing:
        return None
    if current_revision(settings.database_url) != head_revision():
        print(f"ledgerbridge {command}: the database schema is not current: run `ledgerbridge db upgrade` first",
              file=sys.stderr)
        return None
    return LiveStart(settings=settings, policy=load_policy(settings.ledgerbridge_policy))
