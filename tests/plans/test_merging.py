"""Plans follow a merge of two records of one person, and go back on an unmerge; a merge
that would give the person two open plans of one type, or two crisis plans, is refused."""

from __future__ import annotations

import pytest

from careweave.core.errors import Conflict
from careweave.people.services import person_merge, person_unmerge
from careweave.plans.models import CrisisPlan, Goal, Plan, PlanVersion
from tests.people import conftest as people
from tests.plans.helpers import add_goal, agree, new_plan

# The people tests' second record of Arthur and the data-quality coordinator who merges.
staff, coordinator, arthur_again = people.staff, people.coordinator, people.arthur_again

pytestmark = pytest.mark.django_db


def test_a_second_records_plan_moves_and_comes_back(arthur, arthur_again, coordinator,
                                                    actor_for, org) -> None:  # noqa: ANN001
    gp = actor_for("gp.uk")
    plan = new_plan(gp, arthur_again, plan_type="mental_health",
                    coordinating=org("Riverside Surgery"))
    add_goal(gp, plan, own_words="I want to sleep through the night.")
    agree(gp, plan)
    merge = person_merge(actor=coordinator, survivor_id=arthur.pk, merged_id=arthur_again.pk)
    assert set(Plan.objects.filter(person=arthur).values_list("plan_type", flat=True)) == {
        "care_support", "mental_health"}
    assert Goal.objects.filter(plan=plan, person=arthur).count() == 1
    assert PlanVersion.objects.filter(plan=plan, person=arthur).count() == 1
    assert not Plan.objects.filter(person=arthur_again).exists()
    person_unmerge(actor=coordinator, merge_id=merge.pk)
    assert Plan.objects.get(pk=plan.pk).person_id == arthur_again.pk
    assert Goal.objects.filter(plan=plan, person=arthur_again).count() == 1
    assert PlanVersion.objects.filter(plan=plan, person=arthur_again).count() == 1


def test_two_open_plans_of_one_type_stop_a_merge(arthur, arthur_again, coordinator, actor_for,
                                                 org) -> None:  # noqa: ANN001
    new_plan(actor_for("gp.uk"), arthur_again, plan_type="care_support",
             coordinating=org("Riverside Surgery"))
    with pytest.raises(Conflict) as caught:
        person_merge(actor=coordinator, survivor_id=arthur.pk, merged_id=arthur_again.pk)
    assert "Both records have an open care and support plan" in caught.value.message
    assert Plan.objects.filter(person=arthur_again).count() == 1


def test_two_crisis_plans_stop_a_merge(arthur, arthur_again, coordinator, actor_for) -> None:  # noqa: ANN001, E501
    from careweave.plans import services

    for person in (arthur, arthur_again):
        services.crisis_plan_create(actor=actor_for("gp.uk"), person_id=person.pk,
                                    data={"early_warning_signs": "Wanders at night"})
    with pytest.raises(Conflict):
        person_merge(actor=coordinator, survivor_id=arthur.pk, merged_id=arthur_again.pk)
    assert CrisisPlan.objects.filter(person=arthur_again).exists()


def test_cached_pdfs_do_not_follow_a_merge(arthur, arthur_again, coordinator, actor_for,
                                           org) -> None:  # noqa: ANN001
    """A cached PDF carries the name of the record it was made for: B's are deleted on a
    merge, and those made since from the versions that go back are deleted on an unmerge."""
    from careweave.plans import exports
    from careweave.plans.models import PlanPdf

    def cache(person) -> PlanPdf:  # noqa: ANN001
        version = PlanVersion.objects.get(plan=plan)
        doc = exports.document(version.snapshot, person=person, version=version, withheld=0)
        exports.pdf_of(doc, version=version, language="en", easy_read=False)
        return PlanPdf.objects.get(version=version, person=person)

    gp = actor_for("gp.uk")
    plan = new_plan(gp, arthur_again, plan_type="mental_health",
                    coordinating=org("Riverside Surgery"))
    add_goal(gp, plan, own_words="I want to sleep through the night.")
    agree(gp, plan)
    cache(arthur_again)
    merge = person_merge(actor=coordinator, survivor_id=arthur.pk, merged_id=arthur_again.pk)
    assert not PlanPdf.objects.exists()
    made_since = cache(arthur)
    assert PlanPdf.objects.get().pk == made_since.pk
    person_unmerge(actor=coordinator, merge_id=merge.pk)
    assert not PlanPdf.objects.exists()
    assert PlanVersion.objects.get(plan=plan).person_id == arthur_again.pk
