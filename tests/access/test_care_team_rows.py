"""The care team of the person page as one hand-written statement (careweave.core.rawsql)
gives the same members, in the same order, with the same related objects cached, as the ORM
query it replaced."""

from __future__ import annotations

import datetime as dt

import pytest

from careweave.access.models import CareTeamMember
from careweave.access.panels import care_team
from careweave.orgs.models import Membership, Organisation

pytestmark = pytest.mark.django_db


def values(obj) -> list:  # noqa: ANN001
    return [getattr(obj, f.attname) for f in obj._meta.concrete_fields]


def test_the_care_team_is_what_the_orm_query_gives(arthur, django_assert_num_queries) -> None:  # noqa: ANN001, E501
    orgs = list(Organisation.objects.filter(country="GB"))
    staff = Membership.objects.filter(organisation=orgs[0]).select_related("user").first()
    CareTeamMember.objects.create(person=arthur, organisation=orgs[0], staff=staff,
                                  role="Named nurse", start_date=dt.date(2025, 2, 1))
    CareTeamMember.objects.create(person=arthur, organisation=orgs[1], role="Ended",
                                  start_date=dt.date(2024, 1, 1), end_date=dt.date(2024, 6, 1),
                                  end_reason="Moved")
    orm = list(CareTeamMember.objects.filter(person=arthur)
               .select_related("organisation", "staff__user")
               .order_by("end_date", "start_date", "id"))
    with django_assert_num_queries(1):
        raw = care_team(arthur.pk)
    assert len(orm) >= 5
    assert [values(m) for m in raw] == [values(m) for m in orm]
    with django_assert_num_queries(0):
        for a, b in zip(raw, orm, strict=True):
            assert values(a.organisation) == values(b.organisation)
            assert (a.staff is None) == (b.staff is None)
            if a.staff is not None:
                assert values(a.staff) == values(b.staff)
                assert values(a.staff.user) == values(b.staff.user)
                assert a.staff.user.get_full_name() == b.staff.user.get_full_name()
    assert any(m.staff is not None for m in raw)
