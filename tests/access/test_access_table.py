"""The access table: each demo case gets the same answer from the gate itself, from the
person page and from the JSON API; refusals are 404 everywhere and audited as denied."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.test import Client
from django.utils import timezone

from careweave.access.gate import decide, people_visible_to
from careweave.access.models import BreakGlass, Consent
from careweave.access.services import consent_withdraw, token_create
from careweave.audit.models import AuditEvent
from careweave.core.context import Actor
from careweave.orgs.middleware import SESSION_MEMBERSHIP
from careweave.orgs.models import Organisation


@dataclass
class Case:
    name: str
    username: str
    person: tuple[str, str]
    allowed: bool
    basis: str
    org: str | None = None
    setup: Callable[..., None] | None = None


def withdraw_arthurs_consent(actor_for: Callable[..., Actor], person_named) -> None:
    consent = Consent.objects.get(person=person_named("Arthur"), decision="permit")
    consent_withdraw(actor=actor_for("gp.uk"), consent_id=consent.pk, reason="Asked us to stop")


def object_to_direct_care(withdraw_coordination: bool = False) -> Callable[..., None]:
    def setup(actor_for: Callable[..., Actor], person_named) -> None:
        from careweave.access.services import consent_record

        gp = actor_for("gp.uk")
        oakwood = Organisation.objects.get(name="Oakwood Care Home")
        consent_record(actor=gp, person_id=person_named("Arthur").pk, purpose="direct_care",
                       decision="deny", organisation_ids=[oakwood.pk])
        if withdraw_coordination:
            withdraw_arthurs_consent(actor_for, person_named)

    return setup


def break_glass(hours: float) -> Callable[..., None]:
    def setup(actor_for: Callable[..., Actor], person_named) -> None:
        actor = actor_for("outsider.uk")
        now = timezone.now()
        started = now - dt.timedelta(hours=5) if hours < 0 else now
        BreakGlass.objects.create(
            person=person_named("Arthur"), membership=actor.membership, user=actor.user,
            reason="Unconscious in A&E, need medication list", started_at=started,
            expires_at=now + dt.timedelta(hours=hours),
        )

    return setup


CASES = [
    Case("UK in care team, implied consent", "sw.uk", ("Arthur", "Penrose"), True,
         "implied-consent-direct-care"),
    Case("UK registering organisation", "gp.uk", ("Maya", "Okafor"), True, "own-organisation"),
    Case("UK in care team, opted out", "sw.uk", ("Maya", "Okafor"), False, "person-objected"),
    Case("not in care team", "outsider.uk", ("Arthur", "Penrose"), False, "not-in-care-team"),
    Case("SE in care team with consent", "sw.se", ("Astrid", "Lindqvist"), True,
         "explicit-consent"),
    Case("SE in care team, no consent yet", "sw.se", ("Karim", "Haddad"), False, "no-consent"),
    # Purposes are separate decisions: withdrawing the coordination (SIP) consent leaves
    # implied consent for direct care standing.
    Case("UK coordination consent withdrawn", "home.uk", ("Arthur", "Penrose"), True,
         "implied-consent-direct-care", setup=withdraw_arthurs_consent),
    Case("UK objects to direct care, consents to coordination", "home.uk",
         ("Arthur", "Penrose"), True, "explicit-consent", setup=object_to_direct_care()),
    Case("UK objects to direct care, coordination withdrawn", "home.uk",
         ("Arthur", "Penrose"), False, "person-objected",
         setup=object_to_direct_care(withdraw_coordination=True)),
    Case("UK before withdrawal", "home.uk", ("Arthur", "Penrose"), True,
         "implied-consent-direct-care"),
    Case("break-glass active", "outsider.uk", ("Arthur", "Penrose"), True, "break-glass",
         setup=break_glass(2)),
    Case("break-glass expired", "outsider.uk", ("Arthur", "Penrose"), False, "not-in-care-team",
         setup=break_glass(-1)),
    Case("analyst", "analyst.uk", ("Arthur", "Penrose"), False, "role-has-no-record-access"),
    Case("privacy lead", "privacy.uk", ("Arthur", "Penrose"), False,
         "role-has-no-record-access", org="Riverside Surgery"),
]


@pytest.fixture
def case_setup(actor_for, person_named):  # noqa: ANN001, ANN201
    def run(case: Case) -> tuple[Actor, object]:
        if case.setup:
            case.setup(actor_for, person_named)
        return actor_for(case.username, org=case.org), person_named(*case.person)

    return run


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_gate(case: Case, case_setup) -> None:  # noqa: ANN001
    actor, person = case_setup(case)
    decision = decide(actor, person)
    assert (decision.allowed, str(decision.basis)) == (case.allowed, case.basis)
    # The list query gives the same answer (break-glass opens a record, not a caseload).
    listed = people_visible_to(actor).filter(pk=person.pk).exists()
    assert listed == (case.allowed and case.basis != "break-glass")


def _denied_events(person) -> int:  # noqa: ANN001
    return AuditEvent.objects.filter(person_id=person.pk, outcome="denied").count()


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_person_page(case: Case, case_setup) -> None:  # noqa: ANN001
    actor, person = case_setup(case)
    client = Client()
    client.force_login(actor.user)
    session = client.session
    session[SESSION_MEMBERSHIP] = str(actor.membership.pk)
    session.save()
    before = _denied_events(person)
    response = client.get(f"/people/{person.pk}/")
    if case.allowed:
        assert response.status_code == 200
        assert person.family_name in response.content.decode()
    else:
        assert response.status_code == 404
        assert person.family_name not in response.content.decode()
        assert _denied_events(person) == before + 1


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_api(case: Case, case_setup) -> None:  # noqa: ANN001
    actor, person = case_setup(case)
    _token, raw = token_create(membership=actor.membership)
    before = _denied_events(person)
    response = Client().get(f"/api/v1/people/{person.pk}",
                            HTTP_AUTHORIZATION=f"Bearer {raw}")
    if case.allowed:
        assert response.status_code == 200
        assert response.json()["family_name"] == person.family_name
    else:
        assert response.status_code == 404
        assert response["Content-Type"].startswith("application/problem+json")
        assert person.family_name not in response.content.decode()
        assert _denied_events(person) == before + 1
