"""What plans adds to the person's pages and the caseload: the plans panel, the crisis
banner, the "review overdue" flag and the timeline; and that neither the person page nor the
plan page runs more queries as a plan grows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone, translation

from careweave.people.models import TimelineEntry
from careweave.people.timeline import describe
from careweave.plans import services
from careweave.plans.models import Goal, Plan
from tests.plans.helpers import add_action, add_goal, fresh, plan_of
from tests.support import text

pytestmark = pytest.mark.django_db


def test_the_plans_panel(arthur, login_as) -> None:  # noqa: ANN001
    page = text(login_as("gp.uk").get(f"/people/{arthur.pk}/"))
    assert 'id="plans-panel"' in page and "Care and support plan" in page
    assert "Review overdue" in page  # the demo's follow-up date has passed
    assert "Write a relapse-prevention and crisis plan" in page
    # care workers see the plan, not the links to write one
    page = text(login_as("home.uk").get(f"/people/{arthur.pk}/"))
    assert "Care and support plan" in page and "Start a plan" not in page


def test_review_overdue_on_the_caseload(arthur, login_as) -> None:  # noqa: ANN001
    page = text(login_as("gp.uk").get("/caseload/"))
    row = page[page.index("Penrose, Arthur"):][:1500]
    assert "Review overdue" in row
    plan = plan_of(arthur)
    Plan.objects.filter(pk=plan.pk).update(follow_up_date=timezone.localdate())
    page = text(login_as("gp.uk").get("/caseload/"))
    assert "Review overdue" not in page[page.index("Penrose, Arthur"):][:1500]


def test_the_caseload_flag_is_one_query_for_the_page(arthur, actor_for, login_as, org,
                                                     django_assert_max_num_queries) -> None:  # noqa: ANN001
    from careweave.people.models import Person

    client = login_as("gp.uk")
    client.get("/caseload/")
    with django_assert_max_num_queries(40) as few:
        client.get("/caseload/")
    gp = actor_for("gp.uk")
    riverside = org("Riverside Surgery")
    past = timezone.localdate() - dt.timedelta(days=3)
    for person in Person.objects.filter(registered_by=riverside).exclude(pk=arthur.pk)[:5]:
        if not Plan.objects.filter(person=person).exists():
            services.plan_create(actor=gp, person_id=person.pk, data={
                "plan_type": "care_support", "coordinating_organisation_id": riverside.pk,
                "follow_up_date": past})
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = text(client.get("/caseload/"))
    assert page.count("Review overdue") >= 2


def grow(plan: Plan, actor, org, n: int = 6) -> None:  # noqa: ANN001
    goals = [add_goal(actor, plan, own_words=f"Goal {i}") for i in range(n)]
    for goal in goals:
        add_action(actor, plan, org, goal_id=goal.pk)
    services.section_add(actor=actor, person_id=plan.person_id, plan_id=plan.pk,
                         expected_version=fresh(plan).version,
                         data={"heading": "More", "body": "Text", "sensitive": True})
    for _ in range(3):
        services.review_record(actor=actor, person_id=plan.person_id, plan_id=plan.pk,
                               expected_version=fresh(plan).version,
                               held_on=timezone.localdate(),
                               ratings=[{"goal_id": g.pk, "professional_score": 1,
                                         "person_score": 0} for g in goals])
    services.participant_add(actor=actor, person_id=plan.person_id, plan_id=plan.pk,
                             expected_version=fresh(plan).version,
                             data={"kind": "relative", "name": "Someone"})


@pytest.mark.parametrize("username", ["gp.uk", "sw.uk"])
def test_pages_do_not_run_more_queries_as_the_plan_grows(username, arthur, actor_for, login_as,
                                                         org, django_assert_max_num_queries) -> None:  # noqa: ANN001, E501
    plan = plan_of(arthur)
    grow(plan, actor_for("gp.uk"), org("Oakwood Care Home"), n=1)  # one of everything
    client = login_as(username)
    pages = [f"/people/{arthur.pk}/", f"/people/{arthur.pk}/plans/{plan.pk}/",
             f"/people/{arthur.pk}/plans/{plan.pk}/compare/?from=1&to=draft",
             f"/people/{arthur.pk}/plans/{plan.pk}/print/"]
    counts = {}
    for page in pages:
        client.get(page)
        with django_assert_max_num_queries(60) as used:
            assert client.get(page).status_code == 200
        counts[page] = len(used.captured_queries)
    grow(plan, actor_for("gp.uk"), org("Oakwood Care Home"))
    for page in pages:
        with django_assert_max_num_queries(counts[page]):
            assert client.get(page).status_code == 200


def test_the_api_does_not_run_more_queries_as_the_plan_grows(arthur, actor_for, api_as, org,
                                                             django_assert_max_num_queries) -> None:  # noqa: ANN001, E501
    plan = plan_of(arthur)
    grow(plan, actor_for("gp.uk"), org("Oakwood Care Home"), n=1)  # one of everything
    api = api_as("sw.uk")
    with django_assert_max_num_queries(60) as used:
        assert api.get(f"/people/{arthur.pk}/plans/{plan.pk}").status_code == 200
    grow(plan, actor_for("gp.uk"), org("Oakwood Care Home"))
    with django_assert_max_num_queries(len(used.captured_queries)):
        assert api.get(f"/people/{arthur.pk}/plans/{plan.pk}").status_code == 200


def test_timeline_entries_read_in_both_languages(astrid) -> None:  # noqa: ANN001
    entries = {e.kind: e for e in TimelineEntry.objects.filter(person=astrid,
                                                               kind__startswith="plans.")}
    assert {"plans.created", "plans.agreed", "plans.reviewed", "plans.action_status"} <= set(
        entries)
    with translation.override("en"):
        agreed = describe(entries["plans.agreed"])
    assert agreed.startswith("Version 1 of the coordinated individual plan (sip) was agreed")
    assert "at a planning meeting" in agreed
    assert "2 goals rated" in describe(entries["plans.reviewed"])


def test_the_timeline_page_filters_plan_entries(astrid, login_as) -> None:  # noqa: ANN001
    page = text(login_as("gp.se").get(f"/people/{astrid.pk}/timeline/?kind=plans.agreed"))
    assert "Version 1 of the" in page


def test_goal_counts_stay_on_the_plan(astrid) -> None:  # noqa: ANN001
    assert Goal.objects.filter(person=astrid).count() == 2
