"""Every access rule of plans, with an actor who may and actors who may not, through the
service, the page and the API. A refusal is the gate's 404 everywhere.

The cast, on Arthur Penrose's care and support plan (coordinated by the council):
gp.uk (Riverside, registering) and sw.uk (the council, care team) may; home.uk (a care
worker of the care home) reads and moves the care home's actions but does not write the
plan; outsider.uk (Hillside, not on the care team) may do nothing, and with emergency access
reads but changes nothing; privacy.uk and analyst.uk see no records. On Maya Okafor's
mental-health plan, sw.uk gets a 404: she objected to sharing with the council.
"""

from __future__ import annotations

import pytest
from django.utils import timezone

from careweave.access.gate import AccessDenied, decide
from careweave.plans import rules, selectors, services
from careweave.plans.models import Goal, PlanAction
from tests.plans.helpers import fresh, goal_data, plan_of
from tests.support import assert_problem

pytestmark = pytest.mark.django_db

READERS = ["gp.uk", "sw.uk", "home.uk"]
NOT_READERS = ["outsider.uk", "privacy.uk", "analyst.uk", "mh.se"]
WRITERS = ["gp.uk", "sw.uk"]
NOT_WRITERS = ["home.uk", "outsider.uk", "privacy.uk", "analyst.uk"]


def _org(username: str) -> dict[str, str]:
    return {"org": "Riverside Surgery"} if username == "privacy.uk" else {}


@pytest.fixture
def page_as(client, demo):  # noqa: ANN001, ANN201
    """A signed-in page client, acting for Riverside when the user has two memberships."""
    from tests.support import sign_in

    return lambda username: sign_in(client, username, _org(username).get("org"))


# -- reading -----------------------------------------------------------------------------------


@pytest.mark.parametrize("username", READERS + NOT_READERS)
def test_reading_the_plan(username, arthur, actor_for, page_as, api_as) -> None:  # noqa: ANN001
    plan = plan_of(arthur)
    may = username in READERS
    actor = actor_for(username, **_org(username))
    if may:
        view = selectors.plan_view(actor=actor, person_id=arthur.pk, plan_id=plan.pk)
        assert view.plan == plan and len(view.live.goals) == 2
    else:
        with pytest.raises(AccessDenied):
            selectors.plan_view(actor=actor, person_id=arthur.pk, plan_id=plan.pk)
    page = page_as(username)
    for url in (f"/people/{arthur.pk}/plans/", f"/people/{arthur.pk}/plans/{plan.pk}/",
                f"/people/{arthur.pk}/plans/{plan.pk}/versions/1/",
                f"/people/{arthur.pk}/plans/{plan.pk}/compare/?from=1&to=draft"):
        response = page.get(url)
        assert response.status_code == (200 if may else 404), url
        if str(plan.pk) in url and "compare" not in url:
            assert ("I want to see Jean every Sunday." in response.content.decode()) == may
        assert ("Care and support plan" in response.content.decode()) == may
    api = api_as(username, **_org(username))
    for path in (f"/people/{arthur.pk}/plans", f"/people/{arthur.pk}/plans/{plan.pk}",
                 f"/people/{arthur.pk}/plans/{plan.pk}/versions/1",
                 f"/people/{arthur.pk}/plans/{plan.pk}/reviews"):
        response = api.get(path)
        if may:
            assert response.status_code == 200, path
        else:
            assert_problem(response, 404)


def test_a_person_who_objected_to_sharing_with_the_council(maya, actor_for, login_as,
                                                          api_as) -> None:  # noqa: ANN001
    plan = plan_of(maya)
    with pytest.raises(AccessDenied):
        selectors.plan_view(actor=actor_for("sw.uk"), person_id=maya.pk, plan_id=plan.pk)
    assert login_as("sw.uk").get(f"/people/{maya.pk}/plans/{plan.pk}/").status_code == 404
    assert_problem(api_as("sw.uk").get(f"/people/{maya.pk}/crisis-plan"), 404)
    assert login_as("mh.uk").get(f"/people/{maya.pk}/plans/{plan.pk}/").status_code == 200


def test_another_persons_plan_id_is_a_404(arthur, maya, login_as, api_as) -> None:  # noqa: ANN001
    """gp.uk may see both Arthur and Maya, but Maya's plan is not Arthur's."""
    mayas = plan_of(maya)
    assert login_as("gp.uk").get(f"/people/{arthur.pk}/plans/{mayas.pk}/").status_code == 404
    assert_problem(api_as("gp.uk").get(f"/people/{arthur.pk}/plans/{mayas.pk}"), 404)


# -- changing ----------------------------------------------------------------------------------


@pytest.mark.parametrize("username", WRITERS + NOT_WRITERS)
def test_changing_the_plan(username, arthur, actor_for, page_as, api_as) -> None:  # noqa: ANN001
    plan = plan_of(arthur)
    may = username in WRITERS
    before = Goal.objects.filter(plan=plan).count()
    actor = actor_for(username, **_org(username))
    if may:
        services.goal_add(actor=actor, person_id=arthur.pk, plan_id=plan.pk,
                          expected_version=fresh(plan).version, data=goal_data())
    else:
        with pytest.raises(AccessDenied):
            services.goal_add(actor=actor, person_id=arthur.pk, plan_id=plan.pk,
                              expected_version=fresh(plan).version, data=goal_data())
    page = page_as(username)
    url = f"/people/{arthur.pk}/plans/{plan.pk}/goals/new/"
    assert page.get(url).status_code == (200 if may else 404)
    form = {**goal_data(), "target_date_day": "1", "target_date_month": "6",
            "target_date_year": str(goal_data()["target_date"].year),
            "version": fresh(plan).version}
    del form["target_date"]
    response = page.post(url, form)
    assert response.status_code == (302 if may else 404), response.content[:400]
    api = api_as(username, **_org(username))
    data = {**goal_data(), "target_date": goal_data()["target_date"].isoformat()}
    response = api.post(f"/people/{arthur.pk}/plans/{plan.pk}/goals", data,
                        HTTP_IF_MATCH=fresh(plan).etag)
    if may:
        assert response.status_code == 201
    else:
        assert_problem(response, 404)
    assert Goal.objects.filter(plan=plan).count() == before + (3 if may else 0)


@pytest.mark.parametrize("username,status", [("gp.uk", 201), ("sw.uk", 201), ("home.uk", 404),
                                             ("outsider.uk", 404)])
def test_agreeing_and_following_up(username, status, arthur, api_as) -> None:  # noqa: ANN001
    plan = plan_of(arthur)
    api = api_as(username)
    goal = Goal.objects.filter(plan=plan).first()
    review = api.post(f"/people/{arthur.pk}/plans/{plan.pk}/reviews",
                      {"held_on": "2026-01-05", "ratings": [{"goal_id": str(goal.pk),
                                                              "professional_score": 0}]},
                      HTTP_IF_MATCH=fresh(plan).etag)
    assert review.status_code == status, review.content[:300]
    # the plan is agreed in the demo: change it first, so that there is something to agree
    if status == 201:
        api.patch(f"/people/{arthur.pk}/plans/{plan.pk}", {"contingency": "Ring Jean."},
                  HTTP_IF_MATCH=fresh(plan).etag)
    agreed = api.post(f"/people/{arthur.pk}/plans/{plan.pk}/agreement",
                      {"given_by": "person", "method": "verbal"},
                      HTTP_IF_MATCH=fresh(plan).etag)
    assert agreed.status_code == status, agreed.content[:300]


def test_emergency_access_reads_the_plan_and_changes_nothing(arthur, break_glass, actor_for,
                                                             login_as, api_as) -> None:  # noqa: ANN001
    plan = plan_of(arthur)
    break_glass("outsider.uk", arthur)
    actor = actor_for("outsider.uk")
    assert selectors.plan_view(actor=actor, person_id=arthur.pk, plan_id=plan.pk).plan == plan
    page = login_as("outsider.uk")
    assert page.get(f"/people/{arthur.pk}/plans/{plan.pk}/").status_code == 200
    for url in ("goals/new/", "edit/", "agree/", "reviews/new/", "pdf/", "print/"):
        assert page.get(f"/people/{arthur.pk}/plans/{plan.pk}/{url}").status_code == 404, url
    with pytest.raises(AccessDenied):
        services.goal_add(actor=actor, person_id=arthur.pk, plan_id=plan.pk,
                          expected_version=fresh(plan).version, data=goal_data())
    api = api_as("outsider.uk")
    assert api.get(f"/people/{arthur.pk}/plans/{plan.pk}").status_code == 200
    assert_problem(api.patch(f"/people/{arthur.pk}/plans/{plan.pk}", {"contingency": "x"},
                             HTTP_IF_MATCH=fresh(plan).etag), 404)
    assert_problem(api.get(f"/people/{arthur.pk}/plans/{plan.pk}/export?format=json"), 404)


@pytest.mark.parametrize("username,may", [("home.uk", True), ("sw.uk", True), ("gp.uk", False)])
def test_moving_the_care_homes_action(username, may, arthur, login_as, api_as) -> None:  # noqa: ANN001, E501
    """The care home (owner, even a care worker) and the council (coordinator) may; the GP
    practice, on the care team but neither, may not (a clear 403, not a 404: it sees the
    plan)."""
    plan = plan_of(arthur)
    action = PlanAction.objects.filter(plan=plan, organisation__name="Oakwood Care Home",
                                       status="in_progress").first()
    target = "on_hold" if username == "home.uk" else "cancelled"
    page = login_as(username)
    url = f"/people/{arthur.pk}/plans/{plan.pk}/actions/{action.pk}/status/"
    assert page.get(url).status_code == 200
    response = page.post(url, {"status": target, "version": fresh(plan).version})
    assert response.status_code == (302 if may else 403), response.content[:300]
    action.refresh_from_db()
    assert (action.status == target) == may
    if may:
        return
    response = api_as(username).post(
        f"/people/{arthur.pk}/plans/{plan.pk}/actions/{action.pk}/status",
        {"status": "done"}, HTTP_IF_MATCH=fresh(plan).etag)
    assert_problem(response, 403)


def test_the_crisis_plan_by_role(maya, login_as, api_as) -> None:  # noqa: ANN001
    assert login_as("mh.uk").get(f"/people/{maya.pk}/crisis-plan/edit/").status_code == 200
    assert login_as("gp.uk").get(f"/people/{maya.pk}/crisis-plan/").status_code == 200
    for username in ("sw.uk", "outsider.uk", "home.uk"):
        assert login_as(username).get(f"/people/{maya.pk}/crisis-plan/").status_code == 404
        assert_problem(api_as(username).get(f"/people/{maya.pk}/crisis-plan"), 404)


# -- sharing follows consent: sections marked sensitive ----------------------------------------

HISTORY = "Two admissions to hospital"
WARD_DETAIL = "Admitted under section 2"


def _ward_person():  # noqa: ANN202
    from careweave.plans.models import PlanSection

    return PlanSection.objects.get(heading="Mental health detail").person


@pytest.mark.parametrize("username,person,sees", [
    ("mh.uk", "maya", True),  # the coordinating organisation
    ("gp.uk", "maya", True),  # the registering organisation
    ("mh.uk", "ward", True),
    ("gp.uk", "ward", True),
    ("hosp.uk", "ward", False),  # on the care team by implied consent: not covered
])
def test_sensitive_sections_follow_consent(username, person, sees, maya, actor_for, login_as,
                                           api_as) -> None:  # noqa: ANN001
    who = maya if person == "maya" else _ward_person()
    secret = HISTORY if person == "maya" else WARD_DETAIL
    heading = "Mental health history" if person == "maya" else "Mental health detail"
    plan = plan_of(who)
    view = selectors.plan_view(actor=actor_for(username), person_id=who.pk, plan_id=plan.pk)
    assert bool(view.live.sections) == sees and view.withheld == (0 if sees else 1)
    page = login_as(username).get(f"/people/{who.pk}/plans/{plan.pk}/").content.decode()
    assert (secret in page) == sees and (heading in page) == sees
    assert ("1 section of this plan is not shown to you" in page) == (not sees)
    body = api_as(username).get(f"/people/{who.pk}/plans/{plan.pk}").json()
    assert bool(body["sections"]) == sees and body["sections_withheld"] == (0 if sees else 1)
    assert (secret in str(body)) == sees
    for fmt in ("json",):
        exported = api_as(username).get(f"/people/{who.pk}/plans/{plan.pk}/export?format={fmt}"
                                        "&version=draft")
        assert (secret in exported.content.decode()) == sees


def test_emergency_access_never_sees_sensitive_detail(maya, break_glass, login_as) -> None:  # noqa: ANN001, E501
    plan = plan_of(maya)
    break_glass("outsider.uk", maya)
    page = login_as("outsider.uk").get(f"/people/{maya.pk}/plans/{plan.pk}/").content.decode()
    assert HISTORY not in page and "Mental health history" not in page
    assert "1 section of this plan is not shown to you" in page


def test_a_withheld_section_is_as_if_it_did_not_exist(actor_for, login_as) -> None:  # noqa: ANN001
    from careweave.plans.models import PlanSection

    section = PlanSection.objects.get(heading="Mental health detail")
    plan, who = section.plan, section.person
    url = f"/people/{who.pk}/plans/{plan.pk}/sections/{section.pk}/edit/"
    assert login_as("mh.uk").get(url).status_code == 200
    assert login_as("hosp.uk").get(url).status_code == 404
    with pytest.raises(AccessDenied):
        services.section_update(actor=actor_for("hosp.uk"), person_id=who.pk, plan_id=plan.pk,
                                section_id=section.pk, expected_version=fresh(plan).version,
                                changes={"body": "Overwritten"})
    section.refresh_from_db()
    assert section.body.startswith(WARD_DETAIL)


def test_versions_and_comparisons_withhold_it_too(actor_for) -> None:  # noqa: ANN001
    from careweave.plans.comparisons import comparison_context
    from careweave.plans.models import PlanSection
    from tests.plans.helpers import agree

    section = PlanSection.objects.get(heading="Mental health detail")
    plan, who = section.plan, section.person
    mh, hosp = actor_for("mh.uk"), actor_for("hosp.uk")
    agree(mh, plan)
    services.section_update(actor=mh, person_id=who.pk, plan_id=plan.pk, section_id=section.pk,
                            expected_version=fresh(plan).version,
                            changes={"body": "Now informal; discharge planned."},
                            reason="Section lifted")
    for actor, sees in ((mh, True), (hosp, False)):
        decision = decide(actor, who)
        found = comparison_context(actor, who, decision, plan, 1, None)
        assert bool(found["comparison"].items["sections"]) == sees
        assert any(c.kind == "section_changed" for c in found["changes"]) == sees
        viewer = selectors.viewer_for(actor, who, decision, plan)
        content, withheld = selectors.filtered(plan.versions.get(number=1).snapshot, viewer,
                                               rules.sees_sensitive(viewer, timezone.now()))
        assert (len(content["sections"]), withheld) == ((1, 0) if sees else (0, 1))
