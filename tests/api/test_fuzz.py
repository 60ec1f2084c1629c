"""Fuzzing the JSON API against its own OpenAPI description (schemathesis, in the suite).

Every operation, as gp.uk with a bearer token on the demo data (the audit log as
privacy.uk), aimed at real records half of the time: schemathesis's examples, coverage
(boundary and invalid values, missing and spoilt credentials, unexpected methods) and
fuzzing phases, positive and negative cases, seeded and deterministic with a small number of
examples, so that it is the same run every time and takes well under two minutes. (The
stateful phase is off: the API describes no links.)

Every check schemathesis has is on: no 5xx, only documented status codes, the documented
content types (problem+json for every error), bodies and headers that conform to the
description, schema-violating input refused, 405 with Allow for methods an operation does
not have, authentication not ignored. Schema-valid input must be accepted, or refused only
by a business rule the JSON Schema cannot say (a checksum, a date against today, a blank
name, a stale version: 409, 412, 422, 428), never as unreadable (400, 413, 415). After each
accepted change the person's record and page must still answer. Nothing is skipped or
expected to fail: an operation that does not conform fails here, by name.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from careweave.wsgi import application

# FUZZ_EXAMPLES=200 for a longer hunt by hand; the suite's run stays small.
MAX_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
SEED = int(os.environ.get("FUZZ_SEED", "20261201"))
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}

pytestmark = pytest.mark.django_db

CONFIG = schemathesis.Config.from_str(f"""
seed = {SEED}
[generation]
mode = "all"
max-examples = {MAX_EXAMPLES}
deterministic = true
no-shrink = true
database = "none"
[phases.stateful]
enabled = false
[checks.positive_data_acceptance]
expected-statuses = ["2XX", 401, 403, 404, 409, 412, 422, 428]
""")

# The description as the API serves it (no database needed for that).
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application, config=CONFIG)


PLACEHOLDER = "Bearer gp-uk-token"


@schema.auth(refresh_interval=None)
class GpToken:
    """Schemathesis sends gp.uk's token as the bearer, except where it tests authentication
    itself (leaving it out or spoiling it). The cases are built before the test has a
    token (the demo is loaded afresh for each test), so they carry a placeholder that the
    test swaps for the real token."""

    def get(self, case: Any, context: Any) -> str:
        return PLACEHOLDER

    def set(self, case: Any, data: str, context: Any) -> None:
        case.headers = {**(case.headers or {}), "Authorization": data}


@pytest.fixture
def bearer(request, demo, actor_for) -> dict[str, str]:  # noqa: ANN001
    """gp.uk's token; for the audit log, which only privacy leads read, privacy.uk's."""
    from careweave.access.services import token_create

    audit = request.node.name.endswith("[GET /api/v1/audit]")
    actor = actor_for("privacy.uk", org="Riverside Surgery") if audit else actor_for("gp.uk")
    _token, raw = token_create(membership=actor.membership, name="fuzz")
    return {"Authorization": f"Bearer {raw}"}


@contextlib.contextmanager
def one_connection() -> Iterator[None]:
    """Schemathesis calls the real WSGI application, which closes the database connection
    after each request; inside the test's transaction that would close it under the test
    (PostgreSQL). Keep it open, as Django's own test client does around each request."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def records(arthur) -> dict[str, list[str]]:  # noqa: ANN001
    """Real ids that gp.uk may see: Arthur, his care-team members and consents."""
    from careweave.access.models import CareTeamMember, Consent

    return {
        "person_id": [str(arthur.pk)],
        "member_id": [str(pk) for pk in CareTeamMember.objects.filter(person=arthur)
                      .values_list("pk", flat=True)],
        "consent_id": [str(pk) for pk in Consent.objects.filter(person=arthur)
                       .values_list("pk", flat=True)],
    }


_TURNS = itertools.count()


def aim_at_real_records(case: Any, records: dict[str, list[str]]) -> None:
    """Random UUIDs only ever find nothing (404). For every other case (in the order they
    are generated, so the same cases every run) whose path ids are valid UUIDs, use ids of
    real records instead (one valid UUID for another, so the case stays as valid or invalid
    as it was generated), and send If-Match with the current ETag, so that changes get as
    far as the services."""
    from careweave.people.models import Person

    path = case.path_parameters or {}
    ids = [path.get(name) for name in records if name in path]
    if not ids:
        return
    try:
        for value in ids:
            uuid.UUID(str(value))
    except ValueError:
        return
    turn = next(_TURNS)
    if turn % 2:
        return
    for name, options in records.items():
        if name in path and options:
            path[name] = options[(turn // 2) % len(options)]
    if case.method.upper() == "PATCH" and case.headers is not None and "If-Match" in case.headers:
        case.headers["If-Match"] = Person.objects.get(pk=path["person_id"]).etag


READS = ("", "/care-team", "/consents", "/timeline", "/access-log")


def still_readable(person_id: str, bearer: dict[str, str]) -> None:
    """After a change was accepted, the person's record still answers, on the API and on the
    person page: 200, or 404 when the change took the caller's own access away (ending its
    place on the care team), never a 500 (a consent from the year 1 once made every page of
    its person a 500)."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    api = Client(HTTP_AUTHORIZATION=bearer["Authorization"])
    for tail in READS:
        response = api.get(f"/api/v1/people/{person_id}{tail}")
        assert response.status_code in (200, 404), (tail, response.status_code,
                                                     response.content[:500])
    page = Client()
    page.force_login(get_user_model().objects.get(username="gp.uk"))
    response = page.get(f"/people/{person_id}/")
    assert response.status_code in (200, 404), (response.status_code, response.content[:500])


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_conforms_to_its_description(case: Any, bearer: dict[str, str],
                                             records: dict[str, list[str]]) -> None:
    if case.headers and case.headers.get("Authorization") == PLACEHOLDER:
        case.headers["Authorization"] = bearer["Authorization"]
    aim_at_real_records(case, records)
    with one_connection():
        response = case.call_and_validate()
    if case.method.upper() in UNSAFE and 200 <= response.status_code < 300:
        person_id = (case.path_parameters or {}).get("person_id") or response.json().get("id")
        if person_id and case.path != "/api/v1/break-glass":
            still_readable(str(person_id), bearer)
