"""The handlers of what Ledgerbridge posts on its own about deals and exceptions (the keyed Slack messages)."""
from __future__ import annotations

import functools

from app.jobs.exception_feed import flush_exception_feed, refresh_exception_thread
from app.jobs.level_pings import ping_approval_level
from app.jobs.owner_invoice import dm_invoice_to_owner
from app.jobs.owner_notices import show_owner_notice
from app.jobs.worker import Handler
from app.runtime import Runtime
from app.work_queue.kinds import WorkKind


def build_notice_handlers(runtime: Runtime) -> dict[str, Handler]:
    table = {
        WorkKind.FLUSH_EXCEPTION_FEED: flush_exception_feed,
        WorkKind.REFRESH_EXCEPTION_THREAD: refresh_exception_thread,
        WorkKind.SHOW_OWNER_NOTICE: show_owner_notice,
        WorkKind.DM_INVOICE_TO_OWNER: dm_invoice_to_owner,
        WorkKind.PING_APPROVAL_LEVEL: ping_approval_level,
    }
    return {kind.value: functools.partial(handler, runtime) for kind, handler in table.items()}
