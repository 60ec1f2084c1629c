"""careweave.core.lockout: an attempt reserves its password check before it is made, per
username (case-insensitive), within the window; the page audits every refused attempt.
(The same under real concurrency: tests/web/test_lockout_concurrency.py, on PostgreSQL.)"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from careweave.audit.models import AuditEvent
from careweave.core.lockout import attempt_succeeded, begin_attempt
from careweave.core.models import LoginFailure

pytestmark = pytest.mark.django_db


def test_five_reservations_then_locked_per_username() -> None:
    assert all(begin_attempt("Someone", ip="192.0.2.1") for _ in range(5))
    assert not begin_attempt("someone ")
    assert LoginFailure.objects.filter(username="someone").count() == 5  # nothing more written
    assert begin_attempt("someone.else")


def test_old_failures_fall_out_of_the_window() -> None:
    for _ in range(5):
        assert begin_attempt("someone")
    LoginFailure.objects.update(at=timezone.now() - dt.timedelta(minutes=16))
    assert begin_attempt("someone")


def test_a_success_starts_afresh() -> None:
    for _ in range(4):
        assert begin_attempt("someone")
    attempt_succeeded("SOMEONE")
    assert all(begin_attempt("someone") for _ in range(5))


def test_locked_attempts_are_audited_and_not_checked(demo) -> None:  # noqa: ANN001
    client = Client()
    for _ in range(5):
        assert client.post("/login/", {"username": "gp.uk", "password": "wrong"}).status_code == 400
    response = client.post("/login/", {"username": "gp.uk", "password": "careweave-demo"})
    assert response.status_code == 429
    failed = AuditEvent.objects.filter(action="login_failed", username="gp.uk")
    assert failed.count() == 6
    assert failed.filter(outcome="denied").count() == 6
    assert [e.detail.get("locked") for e in failed.order_by("at", "seq")][-1] is True
