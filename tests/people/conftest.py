"""The people tests' own cast on top of the demo: the data-quality roles (a care coordinator
and a data quality officer at Riverside, a coordinator at the council) and a second record
of Arthur Penrose, registered again without his NHS number."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from careweave.core.context import Actor


@pytest.fixture
def staff(demo):  # noqa: ANN001, ANN201
    """staff("coord.uk", "Riverside Surgery", "coordinator") -> Actor (2FA exempt)."""
    from django.contrib.auth import get_user_model

    from careweave.orgs.models import Membership, Organisation, StaffProfile

    def make(username: str, organisation: str, role: str) -> Actor:
        user, created = get_user_model().objects.get_or_create(
            username=username, defaults={"first_name": username.split(".")[0].title(),
                                         "last_name": "Tester"})
        if created:
            user.set_password("careweave-demo")
            user.save()
            StaffProfile.objects.create(user=user, two_factor_exempt=True,
                                        preferred_language="en")
        membership, _ = Membership.objects.get_or_create(
            user=user, organisation=Organisation.objects.get(name=organisation), role=role)
        return Actor(user=user, membership=membership)

    return make


@pytest.fixture
def coordinator(staff) -> Actor:  # noqa: ANN001
    """May merge records Riverside registered (a data-quality role with record access)."""
    return staff("coord.uk", "Riverside Surgery", "coordinator")


@pytest.fixture
def data_quality(staff) -> Actor:  # noqa: ANN001
    return staff("dq.uk", "Riverside Surgery", "data_quality")


@pytest.fixture
def council_coordinator(staff) -> Actor:  # noqa: ANN001
    """A coordinator whose organisation is on Arthur's team but did not register him."""
    return staff("coord.council", "Northshire Council Adult Social Care", "coordinator")


def data_quality_officers_merge(test):  # noqa: ANN001, ANN201
    """Tests of the data-quality officer's merge (the policy lets the role read and merge
    the records its organisation registered)."""
    return test


@pytest.fixture
def arthur_again(demo, actor_for, arthur):  # noqa: ANN001, ANN201
    """Arthur registered a second time at Riverside, with no NHS number (confirmed past the
    warning), with a family member of his own."""
    from careweave.people.models import RelatedPerson
    from careweave.people.services import person_create

    gp = actor_for("gp.uk")
    again = person_create(actor=gp, data={"given_name": "Arthur", "family_name": "Penrose",
                                          "birth_date": dt.date(1934, 5, 2),
                                          "postcode": "RV1 4AB", "phone": "01632 960123"},
                          confirm_similar=True)
    RelatedPerson.objects.create(person=again, name="Jean Penrose-Hill", relationship="child")
    return again


@pytest.fixture
def pair_of(demo) -> Callable[..., object]:  # noqa: ANN001
    from django.db.models import Q

    from careweave.people.models import DuplicateCandidate

    def get(a, b):  # noqa: ANN001, ANN202
        return DuplicateCandidate.objects.get(Q(person_a=a, person_b=b) | Q(person_a=b,
                                                                         person_b=a))

    return get


def on_team(person, organisation: str, role: str, *, start: dt.date = dt.date(2026, 1, 1),  # noqa: ANN001, ANN201
            end: dt.date | None = None):
    """A care-team place written as a test fixture, with the sharing summary recomputed as
    the access services would in the same transaction."""
    from careweave.access import sharing
    from careweave.access.models import CareTeamMember
    from careweave.orgs.models import Organisation

    member = CareTeamMember.objects.create(
        person=person, organisation=Organisation.objects.get(name=organisation), role=role,
        start_date=start, end_date=end)
    sharing.recompute([person.pk])
    return member
