"""The plans API: ETag and If-Match on every change, problem+json for every refusal, the
conflict between two coordinators, replays, versions, comparisons, reviews, exports and
the crisis plan."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from careweave.plans.models import CrisisPlan, Goal, Plan, PlanAction, PlanVersion, Review
from tests.plans.helpers import fresh, goal_data, plan_of
from tests.plans.pdftext import flat, pdf_text
from tests.support import assert_problem

pytestmark = pytest.mark.django_db


def goal_json(**over: object) -> dict[str, object]:
    data = {**goal_data(), **over}
    if isinstance(data["target_date"], dt.date):
        data["target_date"] = data["target_date"].isoformat()
    return data


def base(plan: Plan) -> str:
    return f"/people/{plan.person_id}/plans/{plan.pk}"


def test_read_a_plan_with_its_etag(astrid, api_as) -> None:  # noqa: ANN001
    plan = plan_of(astrid)
    response = api_as("sw.se").get(base(plan))
    assert response.status_code == 200 and response["ETag"] == f'W/"{plan.version}"'
    body = response.json()
    assert body["plan_type"] == "sip" and body["language"] == "sv"
    assert body["status"] == "agreed" and body["agreed_version"] == 1
    assert [g["own_words"] for g in body["goals"]] == [
        "Jag vill kunna gå till kören på onsdagar igen.",
        "Jag vill inte vara rädd för att ramla när jag är ensam hemma."]
    assert {a["organisation"]["name"] for a in body["actions"]} == {
        "Vårdcentralen Nordstan", "Göteborgs Stad socialtjänst"}
    socialt = [a for a in body["actions"] if a["organisation"]["name"].startswith("Göteborgs")]
    assert all(a["may_move_to"] for a in socialt if a["status"] != "done")
    assert all(item["agreed"] for item in body["organisation_agreements"])
    choir = body["goals"][0]["id"]
    rating = next(r for r in body["reviews"][0]["ratings"] if r["goal_id"] == choir)
    assert (rating["professional_score"], rating["person_score"]) == (0, -1)
    listing = api_as("sw.se").get(f"/people/{astrid.pk}/plans").json()
    assert [p["id"] for p in listing] == [str(plan.pk)]


def test_every_change_needs_if_match(astrid, api_as) -> None:  # noqa: ANN001
    plan = plan_of(astrid)
    api = api_as("gp.se")
    goal = Goal.objects.filter(plan=plan).first()
    action = PlanAction.objects.filter(plan=plan).first()
    changes = [
        ("patch", base(plan), {"contingency": "Ring Per."}),
        ("post", base(plan) + "/goals", goal_json()),
        ("patch", base(plan) + f"/goals/{goal.pk}", {"measurable": "Tre av fyra"}),
        ("post", base(plan) + f"/goals/{goal.pk}/remove", {"reason": "Inte längre"}),
        ("post", base(plan) + "/actions", {"description": "Ny",
                                           "organisation_id": str(action.organisation_id)}),
        ("patch", base(plan) + f"/actions/{action.pk}", {"description": "Ändrad"}),
        ("post", base(plan) + f"/actions/{action.pk}/status", {"status": "in_progress"}),
        ("post", base(plan) + "/sections", {"heading": "H", "body": "B"}),
        ("post", base(plan) + "/participants", {"kind": "relative", "name": "Per"}),
        ("post", base(plan) + "/agreement", {"given_by": "person", "method": "verbal"}),
        ("post", base(plan) + "/action-agreement", {}),
        ("post", base(plan) + "/reviews", {"held_on": "2026-01-01", "ratings": []}),
        ("post", base(plan) + "/close", {"reason": "Klar"}),
        ("patch", f"/people/{astrid.pk}/crisis-plan", {"triggers": "x"}),
    ]
    version = plan.version
    for method, path, body in changes:
        response = getattr(api, method)(path, body)
        assert_problem(response, 428)
        response = getattr(api, method)(path, body, HTTP_IF_MATCH='"banana"')
        assert_problem(response, 412)
    assert fresh(plan).version == version


def test_two_coordinators_and_one_plan(astrid, api_as) -> None:  # noqa: ANN001
    plan = plan_of(astrid)
    gp, sw = api_as("gp.se"), api_as("sw.se")
    etag = gp.get(base(plan))["ETag"]
    assert sw.get(base(plan))["ETag"] == etag
    first = gp.patch(base(plan), {"contingency": "Ring Per först."}, HTTP_IF_MATCH=etag)
    assert first.status_code == 200 and first["ETag"] != etag
    second = sw.patch(base(plan), {"contingency": "Ring hemtjänsten först."}, HTTP_IF_MATCH=etag)
    problem = assert_problem(second, 412)
    assert "Someone else changed this plan" in problem["detail"]
    assert problem["current_version"] == fresh(plan).version
    assert fresh(plan).contingency == "Ring Per först."
    # with the new ETag it goes through
    again = sw.patch(base(plan), {"contingency": "Ring hemtjänsten först."},
                     HTTP_IF_MATCH=first["ETag"])
    assert again.status_code == 200


def test_bad_goals(astrid, api_as) -> None:  # noqa: ANN001
    plan = plan_of(astrid)
    api = api_as("gp.se")
    before = Goal.objects.filter(plan=plan).count()
    for body, field in (
        (goal_json(own_words="x" * 1001), "own_words"),
        (goal_json(own_words="x" * 100_000), "own_words"),
        (goal_json(target_date="2026-02-30"), "target_date"),
        (goal_json(target_date="1850-01-01"), "target_date"),
        (goal_json(kind="life goal"), "kind"),
        ({**goal_json(), "colour": "blue"}, "colour"),
        ({k: v for k, v in goal_json().items() if k != "level_p2"}, "level_p2"),
    ):
        problem = assert_problem(api.post(base(plan) + "/goals", body,
                                          HTTP_IF_MATCH=fresh(plan).etag), 422)
        assert field in problem["errors"], (field, problem)
    assert Goal.objects.filter(plan=plan).count() == before
    html = "<img src=x onerror=alert(1)> Jag vill sjunga"
    created = api.post(base(plan) + "/goals", goal_json(own_words=html),
                       HTTP_IF_MATCH=fresh(plan).etag)
    assert created.status_code == 201 and created.json()["own_words"] == html
    assert created["ETag"] == fresh(plan).etag


def test_plans_bad_input(asa, astrid, api_as, org) -> None:  # noqa: ANN001
    api = api_as("gp.se")
    nordstan = str(org("Vårdcentralen Nordstan").pk)
    problem = assert_problem(api.post(f"/people/{asa.pk}/plans",
                                      {"plan_type": "life_plan",
                                       "coordinating_organisation_id": nordstan}), 422)
    assert "plan_type" in problem["errors"]
    assert_problem(api.post(f"/people/{astrid.pk}/plans",
                            {"plan_type": "sip", "coordinating_organisation_id": nordstan}), 409)
    problem = assert_problem(api.post(f"/people/{asa.pk}/plans", {
        "plan_type": "sip", "coordinating_organisation_id": str(org("Lindgårdens äldreboende").pk)
    }), 422)
    assert "cannot see this person's record" in problem["errors"][
        "coordinating_organisation_id"][0]
    assert not Plan.objects.filter(person=asa).exists()
    created = api.post(f"/people/{asa.pk}/plans", {"plan_type": "sip",
                                                   "coordinating_organisation_id": nordstan},
                       HTTP_IDEMPOTENCY_KEY="start-2026-11")
    assert created.status_code == 201 and created["ETag"] == 'W/"1"'
    replay = api.post(f"/people/{asa.pk}/plans", {"plan_type": "sip",
                                                  "coordinating_organisation_id": nordstan},
                      HTTP_IDEMPOTENCY_KEY="start-2026-11")
    assert replay.status_code == 201 and replay.json()["id"] == created.json()["id"]


def test_actions_and_their_status(arthur, api_as, org) -> None:  # noqa: ANN001
    plan = plan_of(arthur)
    api = api_as("sw.uk")
    today = timezone.localdate()
    problem = assert_problem(api.post(base(plan) + "/actions", {
        "description": "Visit", "organisation_id": str(org("Oakwood Care Home").pk),
        "start_date": today.isoformat(),
        "due_date": (today - dt.timedelta(days=2)).isoformat()},
        HTTP_IF_MATCH=fresh(plan).etag), 422)
    assert problem["errors"] == {"due_date": ["The due date must be on or after the start date."]}
    problem = assert_problem(api.post(base(plan) + "/actions", {
        "description": "Visit", "organisation_id": str(org("St Mary's Hospital").pk)},
        HTTP_IF_MATCH=fresh(plan).etag), 422)
    assert "organisation_id" in problem["errors"]
    created = api.post(base(plan) + "/actions", {
        "description": "Respite week in June", "organisation_id": str(org("Oakwood Care Home").pk),
        "due_date": (today + dt.timedelta(days=90)).isoformat()}, HTTP_IF_MATCH=fresh(plan).etag)
    assert created.status_code == 201, created.content
    action = created.json()
    assert action["may_move_to"] == ["cancelled"]  # the council coordinates; the home owns it
    moved = api_as("home.uk").post(base(plan) + f"/actions/{action['id']}/status",
                                   {"status": "in_progress"}, HTTP_IF_MATCH=fresh(plan).etag)
    assert moved.status_code == 200 and moved.json()["status"] == "in_progress"
    problem = assert_problem(api.post(base(plan) + f"/actions/{action['id']}/status",
                                      {"status": "done"}, HTTP_IF_MATCH=fresh(plan).etag), 422)
    assert "status" in problem["errors"]


def test_agreement_versions_and_comparisons(arthur, api_as) -> None:  # noqa: ANN001
    plan = plan_of(arthur)
    api = api_as("sw.uk")
    problem = assert_problem(api.post(base(plan) + "/agreement",
                                      {"given_by": "person", "method": "verbal"},
                                      HTTP_IF_MATCH=fresh(plan).etag), 409)
    assert "already been agreed" in problem["detail"]
    goal = Goal.objects.filter(plan=plan).order_by("position").first()
    api.patch(base(plan) + f"/goals/{goal.pk}", {"own_words": "I want to sit in the garden "
                                                 "every fine afternoon.", "reason": "Arthur's "
                                                 "wish at the review"},
              HTTP_IF_MATCH=fresh(plan).etag)
    agreed = api.post(base(plan) + "/agreement", {"given_by": "representative",
                                                  "representative_name": "Jean Penrose-Hill",
                                                  "method": "written"},
                      HTTP_IF_MATCH=fresh(plan).etag, HTTP_IDEMPOTENCY_KEY="jean-signed")
    assert agreed.status_code == 201 and agreed.json()["number"] == 2
    assert agreed["Location"].endswith("/versions/2")
    replay = api.post(base(plan) + "/agreement", {"given_by": "representative",
                                                  "representative_name": "Jean Penrose-Hill",
                                                  "method": "written"},
                      HTTP_IF_MATCH=fresh(plan).etag, HTTP_IDEMPOTENCY_KEY="jean-signed")
    assert replay.status_code == 201 and replay.json()["number"] == 2
    assert PlanVersion.objects.filter(plan=plan).count() == 2
    assert [v["number"] for v in api.get(base(plan) + "/versions").json()] == [2, 1]
    one = api.get(base(plan) + "/versions/1").json()
    assert one["content"]["goals"][0]["own_words"] == goal.own_words
    problem = assert_problem(api.get(base(plan) + "/versions/3"), 404)
    assert problem["detail"] == "This plan has no version 3."
    comparison = api.get(base(plan) + "/compare?from=1&to=2").json()
    assert [(g["id"], g["change"], g["fields"]) for g in comparison["goals"]] == [
        (str(goal.pk), "changed", ["own_words"])]
    assert comparison["actions"] == [] and comparison["plan_fields"] == []
    assert any(c["kind"] == "goal_changed" and c["reason"] == "Arthur's wish at the review"
               and c["organisation"] == "Northshire Council Adult Social Care"
               for c in comparison["changes"])
    draft = api.get(base(plan) + "/compare?from=2").json()
    assert draft["to_version"] is None and draft["goals"] == []
    assert_problem(api.get(base(plan) + "/compare?from=1&to=5"), 404)
    assert_problem(api.get(base(plan) + "/compare?from=1&to=latest"), 422)
    assert_problem(api.get(base(plan) + "/compare?to=2"), 422)


def test_reviews(astrid, arthur, api_as) -> None:  # noqa: ANN001
    plan = plan_of(astrid)
    api = api_as("gp.se")
    foreign = Goal.objects.filter(plan=plan_of(arthur)).first()
    before = Review.objects.filter(plan=plan).count()
    problem = assert_problem(api.post(base(plan) + "/reviews", {
        "held_on": timezone.localdate().isoformat(),
        "ratings": [{"goal_id": str(foreign.pk), "professional_score": 1}]},
        HTTP_IF_MATCH=fresh(plan).etag), 422)
    assert "ratings.0.goal_id" in problem["errors"]
    goal = Goal.objects.filter(plan=plan).first()
    problem = assert_problem(api.post(base(plan) + "/reviews", {
        "held_on": timezone.localdate().isoformat(),
        "ratings": [{"goal_id": str(goal.pk), "professional_score": 7}]},
        HTTP_IF_MATCH=fresh(plan).etag), 422)
    assert "ratings.0.professional_score" in problem["errors"]
    assert Review.objects.filter(plan=plan).count() == before
    made = api.post(base(plan) + "/reviews", {
        "held_on": timezone.localdate().isoformat(), "account": "Bättre nu.",
        "ratings": [{"goal_id": str(goal.pk), "professional_score": 1, "person_score": 2}]},
        HTTP_IF_MATCH=fresh(plan).etag)
    assert made.status_code == 201
    assert [r["ratings"][0]["person_score"] for r in api.get(base(plan) + "/reviews").json()][-1] \
        == 2


def test_export(astrid, api_as) -> None:  # noqa: ANN001
    plan = plan_of(astrid)
    api = api_as("sw.se")
    as_json = api.get(base(plan) + "/export?format=json").json()
    assert as_json["number"] == 1 and len(as_json["content"]["goals"]) == 2
    pdf = api.get(base(plan) + "/export?language=sv&easy_read=true")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    words = flat(pdf_text(pdf.content))
    assert "Jag vill kunna gå till kören på onsdagar igen." in words
    assert_problem(api.get(base(plan) + "/export?format=docx"), 422)
    assert_problem(api.get(base(plan) + "/export?version=9"), 404)
    assert_problem(api.get(base(plan) + "/export?language=de"), 422)


def test_the_crisis_plan_api(maya, arthur, api_as) -> None:  # noqa: ANN001
    mh = api_as("mh.uk")
    got = mh.get(f"/people/{maya.pk}/crisis-plan")
    assert got.status_code == 200
    body = got.json()
    assert body["crisis_since"] and [c["name"] for c in body["contacts"]][:3] == [
        "Priya Shah", "Crisis team", "Chidi Okafor"]
    changed = mh.patch(f"/people/{maya.pk}/crisis-plan", {"triggers": "Night shifts."},
                       HTTP_IF_MATCH=got["ETag"])
    assert changed.status_code == 200 and changed.json()["triggers"] == "Night shifts."
    assert_problem(mh.patch(f"/people/{maya.pk}/crisis-plan", {"triggers": "Stale"},
                            HTTP_IF_MATCH=got["ETag"]), 412)
    assert_problem(mh.post(f"/people/{maya.pk}/crisis-plan/crisis", {"note": "Again now"}), 409)
    assert mh.post(f"/people/{maya.pk}/crisis-plan/crisis/end", {"note": ""}).status_code == 200
    gp = api_as("gp.uk")
    assert_problem(gp.get(f"/people/{arthur.pk}/crisis-plan"), 404)
    assert_problem(gp.post(f"/people/{arthur.pk}/crisis-plan", {
        "early_warning_signs": "Wanders", "contacts": [{"name": "Jean", "phone": "?"}]}), 422)
    created = gp.post(f"/people/{arthur.pk}/crisis-plan", {
        "early_warning_signs": "Wanders at night",
        "contacts": [{"name": "Jean", "phone": "07700 900123"}]})
    assert created.status_code == 201 and created["ETag"] == 'W/"1"'
    assert_problem(gp.post(f"/people/{arthur.pk}/crisis-plan",
                           {"early_warning_signs": "Again"}), 409)
    assert CrisisPlan.objects.filter(person=arthur).count() == 1


def test_an_outsider_gets_the_same_404_whatever_it_sends(arthur, api_as) -> None:  # noqa: ANN001
    plan = plan_of(arthur)
    api = api_as("outsider.uk")
    for response in (
        api.get(base(plan)),
        api.post(base(plan) + "/goals", {"nonsense": True}),
        api.post(base(plan) + "/goals", goal_json(), HTTP_IF_MATCH=plan.etag),
        api.patch(base(plan), {"contingency": "x"}),  # no If-Match: still a 404, not a 428
        api.get(base(plan) + "/compare?from=1"),
        api.get(base(plan) + "/export"),
        api.post(f"/people/{arthur.pk}/crisis-plan", {}),
    ):
        assert_problem(response, 404)
