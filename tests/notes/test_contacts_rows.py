"""The care-team contacts as one hand-written statement (careweave.core.rawsql) give the
same members, in the same order, with the same related objects cached, as the ORM query
they replaced."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from careweave.access.gate import active_team_q
from careweave.access.models import CareTeamMember
from careweave.notes.models import TeamContact
from careweave.notes.selectors import team_contacts
from careweave.orgs.models import Membership, Organisation

pytestmark = pytest.mark.django_db


def values(obj) -> list:  # noqa: ANN001
    return [getattr(obj, f.attname) for f in obj._meta.concrete_fields]


def test_the_contacts_are_what_the_orm_query_gives(arthur, django_assert_num_queries) -> None:  # noqa: ANN001, E501
    orgs = list(Organisation.objects.filter(country="GB"))
    staff = Membership.objects.filter(organisation=orgs[0]).first()
    CareTeamMember.objects.create(person=arthur, organisation=orgs[0], staff=staff,
                                  role="Named nurse", start_date=dt.date(2025, 2, 1))
    CareTeamMember.objects.create(person=arthur, organisation=orgs[1], role="Ended",
                                  start_date=dt.date(2024, 1, 1), end_date=dt.date(2024, 6, 1))
    orm = list(CareTeamMember.objects.filter(active_team_q(timezone.now()), person=arthur)
               .select_related("organisation", "organisation__out_of_hours", "staff__user",
                               "contact")
               .order_by("organisation__name", "start_date", "id"))
    with django_assert_num_queries(1):
        raw = team_contacts(arthur)
    assert len(orm) >= 4
    assert [values(m) for m in raw] == [values(m) for m in orm]
    with django_assert_num_queries(0):
        for a, b in zip(raw, orm, strict=True):
            assert values(a.organisation) == values(b.organisation)
            assert (a.staff is None) == (b.staff is None)
            if a.staff is not None:
                assert values(a.staff.user) == values(b.staff.user)
            try:
                expected = b.contact
            except TeamContact.DoesNotExist:
                expected = None
            assert (a.contact_or_none is None) == (expected is None)
            if expected is not None:
                assert values(a.contact) == values(expected)
                assert a.contact.member is a
            ooh = getattr(b.organisation, "out_of_hours", None)
            assert (a.out_of_hours_or_none is None) == (ooh is None)
            if ooh is not None:
                assert values(a.organisation.out_of_hours) == values(ooh)
    assert any(m.contact_or_none for m in raw)
    assert any(m.out_of_hours_or_none for m in raw)
    assert any(m.staff is not None for m in raw)
    for member in raw:
        if member.contact_or_none is None:
            with pytest.raises(TeamContact.DoesNotExist):
                member.contact  # noqa: B018
