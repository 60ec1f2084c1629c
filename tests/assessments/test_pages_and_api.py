"""The recording pages (paged form, draft, resume, check, submit), the self-completion link
(one time, expiring, tamper-proof), the trend page, and the API (instruments, submit with
replays, list, problem+json for bad input)."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.utils import timezone

from careweave.assessments import rules, services
from careweave.assessments.models import Assessment, SelfCompletionLink
from careweave.audit.models import AuditEvent
from tests.support import assert_problem, date_parts, sign_in

pytestmark = pytest.mark.django_db

FREQ = ["LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9"]


def _start(client, person, instrument="phq9", **extra):  # noqa: ANN001, ANN003, ANN202
    data = {"instrument": instrument, "language": "en", "idempotency_key": "key-1",
            **date_parts("taken_on", None), **extra}
    return client.post(f"/people/{person.pk}/assessments/new/", data)


def test_record_a_phq9_page_by_page_save_a_draft_resume_and_submit(client, maya) -> None:  # noqa: ANN001
    sign_in(client, "gp.uk")
    assert client.get(f"/people/{maya.pk}/assessments/new/").status_code == 200
    response = _start(client, maya)
    assert response.status_code == 302
    draft = Assessment.objects.get(person=maya, status=rules.DRAFT)
    assert response["Location"].endswith(f"/assessments/{draft.pk}/page/1/")
    # the same form posted twice (a double click) makes one draft
    assert _start(client, maya)["Location"] == response["Location"]
    assert Assessment.objects.filter(person=maya, status=rules.DRAFT).count() == 1
    page1 = f"/people/{maya.pk}/assessments/{draft.pk}/page/1/"
    assert "Little interest or pleasure" in client.get(page1).content.decode()
    # save as draft and come back later
    response = client.post(page1, {"q1": FREQ[1], "q2": FREQ[2], "save_draft": "1"})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.answers == {"q1": FREQ[1], "q2": FREQ[2]} and draft.page == 1
    # resumed from the person's assessments: the answers are there
    listing = client.get(f"/people/{maya.pk}/assessments/").content.decode()
    assert f"/assessments/{draft.pk}/" in listing
    assert f'value="{FREQ[2]}" checked' in client.get(page1).content.decode()
    assert client.post(page1, {"q1": FREQ[1], "q2": FREQ[2], "q3": FREQ[0], "q4": FREQ[0],
                               "q5": FREQ[0], "continue": "1"}).status_code == 302
    page2 = f"/people/{maya.pk}/assessments/{draft.pk}/page/2/"
    # item 9 is required: "Continue" without it is refused on the page
    response = client.post(page2, {"q6": FREQ[0], "continue": "1"})
    assert response.status_code == 400 and "Answer this question." in response.content.decode()
    response = client.post(page2, {"q6": FREQ[0], "q7": FREQ[0], "q8": FREQ[0], "q9": FREQ[1],
                                   "continue": "1"})
    assert response.status_code == 302
    page3 = f"/people/{maya.pk}/assessments/{draft.pk}/page/3/"
    assert client.post(page3, {"continue": "1"})["Location"].endswith("/check/")
    check = f"/people/{maya.pk}/assessments/{draft.pk}/check/"
    assert "Several days" in client.get(check).content.decode()
    response = client.post(check)
    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.status, draft.total, draft.band) == (rules.SUBMITTED, 4, "minimal")
    assert draft.result["flags"] == ["self_harm"]
    detail = client.get(response["Location"]).content.decode()
    assert "4 (Minimal)" in detail and 'data-banner="assessments.safety"' in detail
    # a submitted assessment's pages are gone; a second submit changes nothing
    assert client.get(page1).status_code == 404
    assert client.post(check).status_code == 404


def test_bad_answers_on_a_page_are_form_errors(client, maya) -> None:  # noqa: ANN001
    sign_in(client, "gp.uk")
    _start(client, maya)
    draft = Assessment.objects.get(person=maya, status=rules.DRAFT)
    page1 = f"/people/{maya.pk}/assessments/{draft.pk}/page/1/"
    response = client.post(page1, {"q1": "LA0000-0", "continue": "1"})
    assert response.status_code == 400
    assert client.get(f"/people/{maya.pk}/assessments/{draft.pk}/page/9/").status_code == 404
    response = _start(client, maya, idempotency_key="key-2",
                      **date_parts("taken_on", timezone.localdate() + dt.timedelta(days=2)))
    assert response.status_code == 400
    assert "cannot be in the future" in response.content.decode()


def test_another_organisation_cannot_open_the_draft(client, maya) -> None:  # noqa: ANN001
    sign_in(client, "gp.uk")
    _start(client, maya)
    draft = Assessment.objects.get(person=maya, status=rules.DRAFT)
    sign_in(client, "mh.uk")
    assert client.get(f"/people/{maya.pk}/assessments/{draft.pk}/page/1/").status_code == 404
    assert f"/assessments/{draft.pk}/" not in client.get(
        f"/people/{maya.pk}/assessments/").content.decode()


def test_the_trend_page_has_the_chart_data_and_the_table(client, maya) -> None:  # noqa: ANN001
    sign_in(client, "mh.uk")
    response = client.get(f"/people/{maya.pk}/assessments/trend/phq9/")
    page = response.content.decode()
    assert response.status_code == 200
    spec = json.loads(re.search(r'id="trend-chart-spec" type="application/json">(.*?)</script>',
                                page, re.S).group(1))
    assert spec["layer"][0]["mark"]["type"] == "rect"  # the bands
    totals = [v["total"] for v in spec["layer"][1]["data"]["values"]]
    assert totals == [16, 9, 7, 6, 7, 15, 19, 13, 8, 6, 5]
    assert 'data-change="reliable_deterioration"' in page
    assert 'data-change="reliable_recovery"' in page
    assert "<script>" not in page  # no inline script: the spec is a JSON data block
    assert client.get(f"/people/{maya.pk}/assessments/trend/nothing/").status_code == 404


# -- the self-completion link -----------------------------------------------------------------


@pytest.fixture
def link(actor_for, maya):  # noqa: ANN001, ANN201
    return services.link_issue(actor=actor_for("gp.uk"), person_id=maya.pk, instrument="gad7",
                               days=7)


def _complete(client, token):  # noqa: ANN001, ANN202
    base = f"/complete/{token}/"
    assert client.post(base + "?page=1", {"page": "1", **{f"q{i}": FREQ[1]
                                                          for i in range(1, 5)}}).status_code \
        == 302
    assert client.post(base + "?page=2", {"page": "2", **{f"q{i}": FREQ[2]
                                                          for i in range(5, 8)}}).status_code \
        == 302
    return client.post(base + "?page=3", {"page": "3"})


def test_a_self_completion_link_shows_only_the_form_and_works_once(client, link, maya) -> None:  # noqa: ANN001
    row, token = link
    assert SelfCompletionLink.objects.get(pk=row.pk).token_hash != token  # only its hash
    page = client.get(f"/complete/{token}/")
    text = page.content.decode()
    assert page.status_code == 200 and "Feeling nervous" in text
    assert "Okafor" not in text and "Maya" not in text  # nothing about the person
    assert page["Referrer-Policy"] == "same-origin"
    done = _complete(client, token)
    assert done.status_code == 200 and "Your answers have been sent" in done.content.decode()
    assessment = Assessment.objects.get(pk=row.assessment_id)
    assert (assessment.status, assessment.total, assessment.mode) == ("submitted", 10, "self")
    # replayed: the link is used up, nothing is stored twice
    before = Assessment.objects.filter(person=maya).count()
    again = client.post(f"/complete/{token}/?page=3", {"page": "3"})
    assert again.status_code == 410 and "already been sent" in again.content.decode()
    assert client.get(f"/complete/{token}/").status_code == 410
    assert Assessment.objects.filter(person=maya).count() == before
    assert AuditEvent.objects.filter(object_type="SelfCompletionLink",
                                     detail__event="submit").count() == 1


def test_an_expired_or_tampered_link_is_refused(client, link, maya) -> None:  # noqa: ANN001
    row, token = link
    SelfCompletionLink.objects.filter(pk=row.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert client.get(f"/complete/{token}/").status_code == 410
    assert client.post(f"/complete/{token}/?page=1", {"page": "1"}).status_code == 410
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert client.get(f"/complete/{tampered}/").status_code == 404
    assert client.get("/complete/short/").status_code == 404
    assert Assessment.objects.get(pk=row.assessment_id).status == rules.DRAFT


def test_a_revoked_link_stops_working(client, link, maya, actor_for) -> None:  # noqa: ANN001
    row, token = link
    sign_in(client, "gp.uk")
    assert client.post(f"/people/{maya.pk}/assessments/links/{row.pk}/revoke/").status_code == \
        302
    client.logout()
    assert client.get(f"/complete/{token}/").status_code == 410
    assert Assessment.objects.get(pk=row.assessment_id).status == rules.DISCARDED


def test_issuing_a_link_from_the_page_shows_it_once(client, maya) -> None:  # noqa: ANN001
    sign_in(client, "gp.uk")
    response = client.post(f"/people/{maya.pk}/assessments/send/",
                           {"instrument": "phq9", "language": "en", "days": "3"})
    assert response.status_code == 200
    url = re.search(r'id="self-completion-url">([^<]+)<', response.content.decode()).group(1)
    assert "/complete/" in url
    assert client.post(f"/people/{maya.pk}/assessments/send/",
                       {"instrument": "phq9", "language": "en", "days": "90"}).status_code == 400
    sign_in(client, "outsider.uk")
    assert client.post(f"/people/{maya.pk}/assessments/send/",
                       {"instrument": "phq9", "language": "en", "days": "3"}).status_code == 404


# -- the API ------------------------------------------------------------------------------------


def test_api_lists_and_gets_instruments(api_as) -> None:  # noqa: ANN001
    api = api_as("gp.uk")
    codes = {i["code"] for i in api.get("/instruments").json()}
    assert codes == {"phq9", "gad7", "loneliness3", "ahc_hrsn", "careweave_hna"}
    assert {i["code"] for i in api_as("home.uk").get("/instruments").json()} == {
        "loneliness3", "ahc_hrsn", "careweave_hna"}
    detail = api.get("/instruments/phq9").json()
    assert detail["definition"]["scoring"]["bands"][2]["min"] == 10
    assert detail["licence"]["en"].startswith("PHQ-9 © Pfizer")
    questionnaire = api.get("/instruments/phq9/questionnaire")
    assert questionnaire["Content-Type"].startswith("application/json")
    assert questionnaire.json()["resourceType"] == "Questionnaire"
    assert_problem(api.get("/instruments/phq9?version=0.1"), 422)
    assert_problem(api.get("/instruments/nothing"), 422)
    assert api_as("gp.uk").client.get("/api/v1/instruments").status_code == 401


def test_api_submit_scores_and_a_replay_returns_the_first(api_as, maya) -> None:  # noqa: ANN001
    api = api_as("gp.uk")
    body = {"instrument": "phq9", "answers": {f"q{i}": FREQ[2] for i in range(1, 10)},
            "taken_on": timezone.localdate().isoformat()}
    first = api.post(f"/people/{maya.pk}/assessments", body, HTTP_IDEMPOTENCY_KEY="abc")
    assert first.status_code == 201, first.content
    data = first.json()
    assert (data["score"]["total"], data["score"]["band"]) == (18, "moderately_severe")
    assert data["score"]["scoring_version"] == "sum/1 phq9@1.0.0"
    assert data["score"]["flags"] == ["self_harm"]
    again = api.post(f"/people/{maya.pk}/assessments", body, HTTP_IDEMPOTENCY_KEY="abc")
    assert again.status_code == 200 and again.json()["id"] == data["id"]
    other = {**body, "answers": {**body["answers"], "q1": FREQ[0]}}
    assert_problem(api.post(f"/people/{maya.pk}/assessments", other,
                            HTTP_IDEMPOTENCY_KEY="abc"), 409)
    listing = api.get(f"/people/{maya.pk}/assessments?instrument=phq9").json()
    assert listing["items"][0]["id"] == data["id"]
    assert listing["items"][0]["change"] == "reliable_deterioration"  # 5 -> 18
    flags = api.get(f"/people/{maya.pk}/safety-flags").json()
    assert [f["assessment"] for f in flags] == [data["id"]]
    review = api.post(f"/people/{maya.pk}/safety-flags/{flags[0]['id']}/review",
                      {"note": "Seen the same day, no plan or intent."},
                      HTTP_IF_MATCH='W/"1"')
    assert review.status_code == 200 and review.json()["status"] == "reviewed"
    assert_problem(api.post(f"/people/{maya.pk}/safety-flags/{flags[0]['id']}/review",
                            {"note": "Reviewed once more."}), 428)


API_BAD = [
    ("not an option", {"instrument": "phq9", "answers": {"q1": "nope", "q9": FREQ[0]}}, 422),
    ("missing required", {"instrument": "phq9", "answers": {"q1": FREQ[0]}}, 422),
    ("unknown version", {"instrument": "phq9", "version": "7",
                         "answers": {"q9": FREQ[0]}}, 422),
    ("a number for an answer", {"instrument": "phq9", "answers": {"q9": 0}}, 422),
    ("an unknown field", {"instrument": "phq9", "answers": {"q9": FREQ[0]}, "score": 0}, 422),
    ("a date as a number", {"instrument": "phq9", "answers": {"q9": FREQ[0]}, "taken_on": 0},
     422),
]


@pytest.mark.parametrize("what,body,status", API_BAD, ids=[c[0] for c in API_BAD])
def test_api_bad_submissions_are_problems_and_store_nothing(what, body, status, api_as,  # noqa: ANN001
                                                            maya) -> None:
    before = Assessment.objects.count()
    assert_problem(api_as("gp.uk").post(f"/people/{maya.pk}/assessments", body), status)
    assert Assessment.objects.count() == before


def test_api_correction_needs_if_match_and_keeps_the_original(api_as, maya) -> None:  # noqa: ANN001
    api = api_as("gp.uk")
    body = {"instrument": "gad7", "answers": {f"q{i}": FREQ[3] for i in range(1, 8)}}
    first = api.post(f"/people/{maya.pk}/assessments", body).json()
    url = f"/people/{maya.pk}/assessments/{first['id']}/corrections"
    fixed = {"answers": {f"q{i}": FREQ[1] for i in range(1, 8)}, "reason": "Wrong column."}
    assert_problem(api.post(url, fixed), 428)
    assert_problem(api.post(url, fixed, HTTP_IF_MATCH='W/"5"'), 412)
    done = api.post(url, fixed, HTTP_IF_MATCH='W/"1"')
    assert done.status_code == 201 and done.json()["score"]["total"] == 7
    assert done.json()["corrects"] == first["id"]
    original = api.get(f"/people/{maya.pk}/assessments/{first['id']}").json()
    assert original["score"]["total"] == 21 and original["corrected_by"] == done.json()["id"]
    # another organisation may not correct it
    assert_problem(api_as("mh.uk").post(url, fixed, HTTP_IF_MATCH='W/"2"'), 403)


def test_the_api_refuses_outsiders_with_404(api_as, maya) -> None:  # noqa: ANN001
    api = api_as("outsider.uk")
    assert_problem(api.get(f"/people/{maya.pk}/assessments"), 404)
    assert_problem(api.post(f"/people/{maya.pk}/assessments",
                            {"instrument": "phq9", "answers": {"q9": FREQ[0]}}), 404)
    assert_problem(api.get(f"/people/{maya.pk}/safety-flags"), 404)
