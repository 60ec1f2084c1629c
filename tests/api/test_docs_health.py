"""OpenAPI, the self-hosted docs page and /healthz."""

from __future__ import annotations

import re

import pytest
from django.contrib.staticfiles import finders
from django.db.utils import ConnectionHandler
from django.test import Client

from careweave.api import health

pytestmark = pytest.mark.django_db


def test_openapi_is_public_and_describes_the_api() -> None:
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    assert spec["info"]["title"] == "Careweave API"
    paths = spec["paths"]
    for path in ("/api/v1/people", "/api/v1/people/{person_id}",
                 "/api/v1/people/{person_id}/care-team", "/api/v1/people/{person_id}/consents",
                 "/api/v1/break-glass", "/api/v1/audit", "/api/v1/me", "/api/v1/organisations",
                 "/api/v1/people/{person_id}/access-log"):
        assert path in paths, path
    assert set(paths["/api/v1/people/{person_id}"]) == {"get", "patch"}
    schemes = spec["components"]["securitySchemes"]
    assert {s["type"] for s in schemes.values()} >= {"http", "apiKey"}


def test_docs_page_works_offline() -> None:
    response = Client().get("/api/v1/docs")
    assert response.status_code == 200
    page = response.content.decode()
    # Nothing is loaded from another host.
    assert not re.search(r'(src|href)="(https?:)?//', page), page
    assets = re.findall(r'(?:src|href)="/static/([^"]+)"', page)
    assert "vendor/swagger-ui/swagger-ui-bundle.js" in assets
    assert "vendor/swagger-ui/swagger-ui.css" in assets
    assert "api/swagger-init.js" in assets
    for asset in assets:
        assert finders.find(asset), f"{asset} is not a static file (run scripts/build-assets.sh)"
    assert '"url": "/api/v1/openapi.json"' in page


def test_healthz_reports_database_and_tasks(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["database"] == "ok"
    assert body["tasks"]["ready"] == 0 and body["tasks"]["failed"] == 0
    assert body["tasks"]["worker"] == "no worker seen"
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_healthz_counts_queued_tasks(client: Client) -> None:
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    now = timezone.now()
    common = {"args_kwargs": {"args": [], "kwargs": {}}, "task_path": "x.y", "run_after": now,
              "backend_name": "default", "queue_name": "default"}
    DBTaskResult.objects.create(status="READY", **common)
    DBTaskResult.objects.create(status="FAILED", started_at=now, worker_ids=["w1"], **common)
    body = client.get("/healthz").json()
    assert (body["tasks"]["ready"], body["tasks"]["failed"]) == (1, 1)
    assert body["tasks"]["worker"].startswith("last started a task at ")


def test_healthz_is_503_when_the_database_does_not_answer(client: Client, monkeypatch,
                                                          tmp_path) -> None:  # noqa: ANN001
    # A real connection to a database file that cannot be opened (not a mock).
    broken = ConnectionHandler({"default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(tmp_path / "missing-dir" / "db.sqlite3"),
    }})["default"]
    monkeypatch.setattr(health, "connection", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "error"
    assert response.json()["database"] == "error"
    broken.close()


def test_healthz_refuses_writes(client: Client) -> None:
    assert client.post("/healthz").status_code == 405
