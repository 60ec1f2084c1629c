"""``/healthz``: is the database answering, and is the task worker keeping up?

Public (load balancers and monitoring call it without credentials) and free of personal
data: only ``SELECT 1`` and counts of queued background tasks. 200 when the database
answers, 503 otherwise. A missing or idle worker is reported but does not fail the check:
the web still serves requests and the queued work is kept until a worker runs it.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import connection
from django.db.models import Count, Max, Q
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

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


@public
@require_safe
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    database = database_state()
    ok = database == "ok"
    body = {
        "status": "ok" if ok else "error",
        "database": database,
        "tasks": task_state() if ok else {"state": "unknown"},
    }
    return JsonResponse(body, status=200 if ok else 503)
