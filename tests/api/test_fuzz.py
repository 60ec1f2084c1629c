"""Fuzzing the JSON API against its own OpenAPI description (schemathesis, in the suite).

Every operation, with a bearer token on the demo data, as gp.uk or, where only another
role gets past the 404, as the privacy lead, the organisation administrator or the
platform administrator, aimed at real records half of the time: schemathesis's examples, coverage
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


PLACEHOLDER = "Bearer the-callers-token"


@schema.auth(refresh_interval=None)
class CallerToken:
    """Schemathesis sends the caller's token as the bearer, except where it tests authentication
    itself (leaving it out or spoiling it). The cases are built before the test has a
    token (the demo is loaded afresh for each test), so they carry a placeholder that the
    test swaps for the real token."""

    def get(self, case: Any, context: Any) -> str:
        return PLACEHOLDER

    def set(self, case: Any, data: str, context: Any) -> None:
        case.headers = {**(case.headers or {}), "Authorization": data}


# Who calls each operation: gp.uk (a GP at Riverside Surgery), except where only another
# role gets past the 404: the privacy lead for the audit log, Riverside's organisation
# administrator for its staff, the platform administrator for organisations and areas.
CALLERS = (
    ("/api/v1/audit", "privacy.uk"),
    ("/api/v1/staff", "orgadmin.uk"),
    ("/api/v1/areas", "admin"),
    ("/api/v1/organisations/", "admin"),
)


def caller_of(method: str, path: str) -> str:
    if method.upper() == "POST" and path == "/api/v1/organisations":
        return "admin"
    for prefix, username in CALLERS:
        if path.startswith(prefix):
            return username
    return "gp.uk"


@pytest.fixture
def bearers(demo, actor_for) -> dict[str, dict[str, str]]:  # noqa: ANN001
    """A token for each caller (created in this test's copy of the demo)."""
    from careweave.access.services import token_create
    from careweave.orgs.models import Membership

    memberships = {"gp.uk": actor_for("gp.uk").membership,
                   "privacy.uk": actor_for("privacy.uk", org="Riverside Surgery").membership,
                   "orgadmin.uk": actor_for("orgadmin.uk").membership,
                   "admin": Membership.objects.get(user__username="admin",
                                                   role="platform_admin")}
    headers = {}
    for username, membership in memberships.items():
        _token, raw = token_create(membership=membership, name="fuzz")
        headers[username] = {"Authorization": f"Bearer {raw}"}
    return headers


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
def records(arthur, org) -> dict[str, list[Any]]:  # noqa: ANN001
    """Real ids the callers may see: Arthur, his care-team members and consents; the staff
    of Riverside (but its administrator), its pending invitations; organisations and areas
    (Hillside's, not Riverside's, which the callers act through)."""
    from django.contrib.auth import get_user_model

    from careweave.access.models import CareTeamMember, Consent
    from careweave.orgs.models import Invitation

    hillside = org("Hillside Medical Practice")
    return {
        "person_id": [str(arthur.pk)],
        "member_id": [str(pk) for pk in CareTeamMember.objects.filter(person=arthur)
                      .values_list("pk", flat=True)],
        "consent_id": [str(pk) for pk in Consent.objects.filter(person=arthur)
                       .values_list("pk", flat=True)],
        "user_id": list(get_user_model().objects
                        .filter(memberships__organisation__name="Riverside Surgery")
                        .exclude(username__in=["orgadmin.uk", "admin", "gp.uk"])
                        .order_by("pk").values_list("pk", flat=True).distinct()),
        "invitation_id": [str(pk) for pk in Invitation.objects.values_list("pk", flat=True)],
        "organisation_id": [str(hillside.pk)],
        "area_id": [str(hillside.area_id)] if hillside.area_id else [],
        **plan_records(arthur),
    }


def plan_records(person: Any) -> dict[str, list[Any]]:
    """Arthur's plan and its goals, actions and who took part (careweave.plans)."""
    from careweave.plans.models import Goal, Participant, Plan, PlanAction

    plans = list(Plan.objects.filter(person=person).values_list("pk", flat=True))
    return {
        "plan_id": [str(pk) for pk in plans],
        "goal_id": [str(pk) for pk in Goal.objects.filter(plan__in=plans)
                    .values_list("pk", flat=True)],
        "action_id": [str(pk) for pk in PlanAction.objects.filter(plan__in=plans)
                      .values_list("pk", flat=True)],
        "participant_id": [str(pk) for pk in Participant.objects.filter(plan__in=plans)
                           .values_list("pk", flat=True)],
    }


_TURNS = itertools.count()


def aim_at_real_records(case: Any, records: dict[str, list[Any]]) -> None:
    """Random UUIDs only ever find nothing (404). For every other case (in the order they
    are generated, so the same cases every run) whose path ids are valid UUIDs, use ids of
    real records instead (one valid UUID for another, so the case stays as valid or invalid
    as it was generated), and send If-Match with the current ETag, so that changes get as
    far as the services."""
    from careweave.people.models import Person

    path = case.path_parameters or {}
    names = [name for name in records if name in path]
    if not names:
        return
    for name in names:
        value = path[name]
        if name == "user_id":
            if type(value) is not int:
                return
        else:
            try:
                uuid.UUID(str(value))
            except ValueError:
                return
    turn = next(_TURNS)
    if turn % 2:
        return
    for name in names:
        if records[name]:
            path[name] = records[name][(turn // 2) % len(records[name])]
    if "person_id" in path and case.headers is not None and "If-Match" in case.headers:
        case.headers["If-Match"] = Person.objects.get(pk=path["person_id"]).etag
        if "plan_id" in path:
            from careweave.plans.models import Plan

            plan = Plan.objects.filter(pk=path["plan_id"]).first()
            if plan is not None:
                case.headers["If-Match"] = plan.etag


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
def test_the_api_conforms_to_its_description(case: Any, bearers: dict[str, dict[str, str]],
                                             records: dict[str, list[Any]]) -> None:
    caller = bearers[caller_of(case.method, case.path)]
    if case.headers and case.headers.get("Authorization") == PLACEHOLDER:
        case.headers["Authorization"] = caller["Authorization"]
    aim_at_real_records(case, records)
    with one_connection():
        response = case.call_and_validate()
    if case.method.upper() in UNSAFE and 200 <= response.status_code < 300:
        if "{person_id}" in case.path:
            still_readable(str(case.path_parameters["person_id"]), bearers["gp.uk"])
        elif case.path == "/api/v1/people":
            still_readable(str(response.json()["id"]), bearers["gp.uk"])
