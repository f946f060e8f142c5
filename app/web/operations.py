"""The dashboard's audit, approvals and exception-queue routes, added to its router in one call."""
from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import Response
from jinja2 import Environment

from app.runtime import Runtime
from app.web.audit_routes import AuditPages
from app.web.queue_routes import QueuePages

MAX_FORM_FIELDS = 20


def add_operation_routes(router: APIRouter, runtime: Runtime, templates: Environment,
                         guard: Callable[[Request], Response | None]) -> None:
    queue, audit = QueuePages(runtime, templates, guard), AuditPages(runtime, templates, guard)

    async def act(request: Request, item_id: int, action: str) -> Response:
        form = await request.form(max_files=0, max_fields=MAX_FORM_FIELDS)
        fields = {key: value for key, value in form.items() if isinstance(value, str)}
        return queue.act(request, item_id, action, fields)

    router.add_api_route("/queue", queue.page, methods=["GET"])
    router.add_api_route("/queue.csv", queue.download, methods=["GET"])
    router.add_api_route("/exceptions/{item_id:int}/{action}", act, methods=["POST"])
    router.add_api_route("/approvals", audit.approvals, methods=["GET"])
    router.add_api_route("/approvals.csv", audit.approvals_csv, methods=["GET"])
    router.add_api_route("/audit", audit.audit, methods=["GET"])
    router.add_api_route("/metrics.csv", audit.metrics_csv, methods=["GET"])
