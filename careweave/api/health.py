"""``/healthz``: is the database answering, are the task worker and the audit sealer
keeping up?

Public (load balancers and monitoring call it without credentials) and free of personal
data: only ``SELECT 1``, counts of queued background tasks and the age of the oldest audit
event not yet sealed. 200 when the database answers, 503 otherwise. A missing or idle
worker is reported but does not fail the check: the web still serves requests and the
queued work is kept until a worker runs it. An audit event waiting to be sealed longer
than CAREWEAVE_AUDIT_SEAL_MAX_DELAY makes the status "degraded" (still 200: every read is
still recorded, in its own transaction, and taking the web out of service would stop care
staff reading records; monitoring alerts on a status other than "ok", docs/adr/0012).
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import connection
from django.db.models import Count, Max, Q
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from careweave.audit.services import oldest_unsealed, seal_max_delay
from careweave.core.routes import public

logger = logging.getLogger("careweave.api")


def database_state() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            row = cursor.fetchone()
    except Exception:  # noqa: BLE001 - any failure means "not healthy"
        logger.exception("healthz: database check failed")
        return "error"
    return "ok" if row and row[0] == 1 else "error"


def task_state() -> dict[str, Any]:
    """Queued, running and failed tasks of the django-tasks database backend."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    try:
        counts = DBTaskResult.objects.aggregate(
            ready=Count("id", filter=Q(status=TaskResultStatus.READY)),
            running=Count("id", filter=Q(status=TaskResultStatus.RUNNING)),
            failed=Count("id", filter=Q(status=TaskResultStatus.FAILED)),
            last_started=Max("started_at"),
        )
    except Exception:  # noqa: BLE001
        logger.exception("healthz: task queue check failed")
        return {"state": "unknown"}
    last = counts.pop("last_started")
    counts["worker"] = f"last started a task at {last.isoformat()}" if last else "no worker seen"
    counts["state"] = "ok"
    return counts


def audit_state() -> dict[str, Any]:
    """How long the oldest unsealed audit event has waited, against the bound."""
    from django.utils import timezone

    try:
        oldest = oldest_unsealed()
    except Exception:  # noqa: BLE001
        logger.exception("healthz: audit sealing check failed")
        return {"state": "unknown"}
    bound = seal_max_delay()
    age = max(0.0, (timezone.now() - oldest).total_seconds()) if oldest else 0.0
    return {"state": "ok" if age <= bound else "behind",
            "oldest_unsealed_seconds": round(age, 1), "max_delay_seconds": bound}


@public
@require_safe
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    database = database_state()
    ok = database == "ok"
    tasks = task_state() if ok else {"state": "unknown"}
    audit = audit_state() if ok else {"state": "unknown"}
    body = {
        "status": ("degraded" if audit["state"] == "behind" else "ok") if ok else "error",
        "database": database,
        "tasks": tasks,
        "audit": audit,
    }
    return JsonResponse(body, status=200 if ok else 503)
