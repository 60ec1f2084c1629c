"""The plans in the demo, as the issue tells them, and the plans the seeder adds at scale."""

from __future__ import annotations

import pytest

from careweave.plans import selectors, versions
from careweave.plans.models import CrisisPlan, Goal, GoalRating, Plan, PlanAction, Review
from tests.plans.helpers import plan_of

pytestmark = pytest.mark.django_db


def test_astrids_agreed_sip_in_swedish(astrid) -> None:  # noqa: ANN001
    plan = plan_of(astrid)
    assert (plan.plan_type, plan.language, plan.status, plan.agreed_version) == (
        "sip", "sv", "agreed", 1)
    assert plan.coordinating_organisation.name == "Vårdcentralen Nordstan"
    assert plan.coordinator is not None and plan.coordinator.user.username == "gp.se"
    assert Goal.objects.filter(plan=plan).count() == 2
    owners = sorted(PlanAction.objects.filter(plan=plan).values_list("organisation__name",
                                                                    flat=True))
    assert owners == ["Göteborgs Stad socialtjänst"] * 2 + ["Vårdcentralen Nordstan"] * 2
    agreed = selectors.agreed_organisations(plan, plan.versions.get(number=1).snapshot)
    assert all(item["agreed"] for item in agreed.values()) and len(agreed) == 2
    review = Review.objects.get(plan=plan)
    ratings = list(GoalRating.objects.filter(review=review))
    assert len(ratings) == 2 and any(r.person_score is not None for r in ratings)
    assert plan.participants.count() == 4


def test_arthurs_care_and_support_plan(arthur) -> None:  # noqa: ANN001
    plan = plan_of(arthur)
    assert plan.plan_type == "care_support" and plan.status == "agreed"
    owners = set(PlanAction.objects.filter(plan=plan).values_list("organisation__name", flat=True))
    assert {"Oakwood Care Home", "Northshire Council Adult Social Care"} <= owners


def test_mayas_mental_health_plan_and_crisis_plan(maya) -> None:  # noqa: ANN001
    plan = plan_of(maya)
    assert plan.plan_type == "mental_health" and plan.sections.filter(sensitive=True).exists()
    crisis = CrisisPlan.objects.get(person=maya)
    assert crisis.plan == plan and crisis.crisis_since is not None
    assert [c.position for c in crisis.contacts.all()] == [1, 2, 3, 4]


def seeded_plans(known: set) -> object:  # noqa: ANN001
    return Plan.objects.exclude(person_id__in=known)


def test_the_seeder_adds_plans_for_a_third_of_the_people(demo) -> None:  # noqa: ANN001
    from careweave.audit.services import audit_verify
    from careweave.people.models import Person
    from careweave.seed.generator import seed_people

    known = set(Person.objects.values_list("pk", flat=True))
    seed_people(people=600, seed=11, batch=300, log=lambda _m: None)
    plans = seeded_plans(known)
    people = Person.objects.exclude(pk__in=known).count()
    assert people == 600 and 0.25 * people < plans.count() < 0.42 * people, plans.count()
    assert not plans.filter(reviews__isnull=True).exists()  # every seeded plan was followed up
    assert not plans.filter(versions__isnull=True).exists()
    ratings = GoalRating.objects.filter(person__in=Person.objects.exclude(pk__in=known))
    assert ratings.count() == 2 * Review.objects.filter(plan__in=plans).count()
    # a seeded version reads exactly like the plan it was agreed from
    for plan in plans[:20]:
        live = selectors.snapshot(plan, selectors.content(plan))
        assert versions.compare(plan.versions.get(number=1).snapshot, live).empty, plan.pk
    # and an organisation owning an action may see the person
    for action in PlanAction.objects.filter(plan__in=plans).select_related("person")[:60]:
        assert action.organisation_id in selectors.organisations_that_may_see(action.person)
    _checked, problems = audit_verify()
    assert problems == []


def test_the_seed_step_is_deterministic(demo) -> None:  # noqa: ANN001
    """The plans a batch gets depend only on the batch (its random stream, people, care
    teams and consents): the same batch twice gives the same rows."""
    import random
    from types import SimpleNamespace

    from django.utils import timezone

    from careweave.access.models import CareTeamMember
    from careweave.people.models import Person
    from careweave.plans.demo import seed_step
    from careweave.seed.generator import _context

    people = list(Person.objects.select_related("registered_by").order_by("sort_name", "id"))
    team = list(CareTeamMember.objects.filter(person__in=people).select_related("organisation")
                .order_by("id"))
    ctx = _context(lambda _m: None)
    now = timezone.now()

    def run() -> list[tuple[str, list[tuple]]]:
        written: list[tuple[str, list[tuple]]] = []
        batch = SimpleNamespace(
            rng=random.Random(5), people=people, team=team, consents=[], consent_orgs=[],
            ctx=ctx, now=now, today=timezone.localdate(now),
            insert=lambda model, rows: written.append(
                (model.__name__, [tuple(getattr(r, f.attname) for f in model._meta.concrete_fields
                                        if f.attname not in ("snapshot",)) for r in rows])))
        counts = seed_step(batch)
        assert counts["plans"] > 0
        return written

    assert run() == run()
