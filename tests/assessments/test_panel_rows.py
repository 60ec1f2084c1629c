"""The latest scores and the open safety flags as hand-written statements
(careweave.core.rawsql) give the same rows, in the same order, with the same related objects
cached, as the ORM queries they replaced, for every role."""

from __future__ import annotations

import pytest

from careweave.assessments import rules
from careweave.assessments.models import LatestScore, SafetyFlag
from careweave.assessments.selectors import audience_q, latest_for, open_flags
from careweave.people.models import Person

pytestmark = pytest.mark.django_db

USERS = ["gp.uk", "sw.uk", "mh.uk", "home.uk", "analyst.uk"]


def values(obj) -> list:  # noqa: ANN001
    return [getattr(obj, f.attname) for f in obj._meta.concrete_fields]


@pytest.mark.parametrize("username", USERS)
def test_latest_and_flags_are_what_the_orm_queries_give(
        username: str, actor_for, django_assert_num_queries) -> None:  # noqa: ANN001
    try:
        actor = actor_for(username)
    except Exception:  # noqa: BLE001 - a user the demo does not have
        pytest.skip(f"no {username} in the demo")
    people = set(LatestScore.objects.values_list("person_id", flat=True)) | set(
        SafetyFlag.objects.values_list("person_id", flat=True))
    assert people
    seen_latest = seen_flags = 0
    for person in Person.objects.filter(pk__in=people):
        if not rules.visible_audiences(actor.role):
            with django_assert_num_queries(0):
                assert latest_for(actor=actor, person=person) == []
                assert open_flags(actor=actor, person=person) == []
            continue
        orm_latest = list(LatestScore.objects.filter(audience_q(actor), person_id=person.pk)
                          .select_related("instrument", "assessment__instrument_version")
                          .order_by("instrument__code"))
        orm_flags = list(SafetyFlag.objects.filter(audience_q(actor), person_id=person.pk,
                                                   status=rules.OPEN)
                         .select_related("assessment__instrument_version", "organisation")
                         .order_by("raised_at"))
        with django_assert_num_queries(2):
            latest = latest_for(actor=actor, person=person)
            flags = open_flags(actor=actor, person=person)
        assert [values(r) for r in latest] == [values(r) for r in orm_latest]
        assert [values(f) for f in flags] == [values(f) for f in orm_flags]
        with django_assert_num_queries(0):
            for a, b in zip(latest, orm_latest, strict=True):
                assert values(a.instrument) == values(b.instrument)
                assert values(a.assessment) == values(b.assessment)
                assert a.assessment.instrument_version.definition == \
                    b.assessment.instrument_version.definition
            for a, b in zip(flags, orm_flags, strict=True):
                assert values(a.assessment) == values(b.assessment)
                assert values(a.assessment.instrument_version) == \
                    values(b.assessment.instrument_version)
                assert values(a.organisation) == values(b.organisation)
        seen_latest += len(latest)
        seen_flags += len(flags)
    if rules.visible_audiences(actor.role) and username == "gp.uk":
        assert seen_latest  # (the demo may have no open flag: both sides empty then)
