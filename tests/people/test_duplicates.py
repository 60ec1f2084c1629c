"""Possible duplicates: the warning when registering someone who may already have a record
(service, page, API), the pairs kept for the data-quality list, the list itself (page and
API) with who may see it, and "not the same person"."""

from __future__ import annotations

import datetime as dt
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Q
from django.test import Client

from careweave.access import sharing
from careweave.access.gate import AccessDenied
from careweave.access.models import CareTeamMember
from careweave.audit.models import AuditEvent
from careweave.core.errors import DuplicateRecord
from careweave.orgs.models import Organisation
from careweave.people.models import DuplicateCandidate, Person
from careweave.people.selectors import duplicate_pairs
from careweave.people.services import duplicate_dismiss, person_create, person_update
from tests.people.conftest import data_quality_officers_merge
from tests.support import assert_problem, date_parts, text

pytestmark = pytest.mark.django_db

ARTHUR_AGAIN = {"given_name": "Arthur", "family_name": "Penrose", "birth_date": "1934-05-02"}


# -- the warning when registering -------------------------------------------------------------


def test_arthur_again_without_his_nhs_number_warns_with_the_reasons(actor_for, arthur) -> None:  # noqa: ANN001
    before = Person.objects.count()
    with pytest.raises(DuplicateRecord) as warned:
        person_create(actor=actor_for("gp.uk"), data=ARTHUR_AGAIN)
    assert warned.value.extra["confirmable"] is True
    assert warned.value.extra["similar"] == [str(arthur.pk)]
    ((person, match),) = warned.value.extra["matches"]
    assert person == arthur and match.score == 90 and match.likely
    assert {str(r) for r in match.reasons} == {"same-name", "same-birth-date"}
    assert Person.objects.count() == before


@pytest.mark.parametrize(("data", "reason"), [
    ({"given_name": "Artur", "family_name": "Penrose", "birth_date": "1934-02-05"},
     "birth-day-month-swapped"),
    ({"given_name": "Penrose", "family_name": "Arthur", "birth_date": "1934-05-02"},
     "name-swapped"),
    ({"given_name": "Arthur", "family_name": "Penrose-Hill", "birth_date": "1935-05-02",
      "postcode": "rv1 4ab"}, "name-part"),
    ({"given_name": "A", "family_name": "PENROSE", "birth_date": "1934-05-02"}, "initial"),
])
def test_near_misses_warn_too(actor_for, arthur, data, reason: str) -> None:  # noqa: ANN001
    with pytest.raises(DuplicateRecord) as warned:
        person_create(actor=actor_for("gp.uk"), data=data)
    ((person, match),) = warned.value.extra["matches"]
    assert person == arthur and reason in match.reasons


def test_swedish_spellings_warn(actor_for) -> None:  # noqa: ANN001
    with pytest.raises(DuplicateRecord) as warned:
        person_create(actor=actor_for("gp.se"), data={
            "given_name": "Asa", "family_name": "Oberg", "birth_date": "1941-08-19"})
    assert [p.display_name for p, _m in warned.value.extra["matches"]] == ["Åsa Öberg"]


def test_no_warning_for_someone_else(actor_for, arthur) -> None:  # noqa: ANN001
    gp = actor_for("gp.uk")
    # his daughter, born the same day? a twin? the same name and another day: not enough
    for data in ({**ARTHUR_AGAIN, "given_name": "Jean"},
                 {**ARTHUR_AGAIN, "birth_date": "1950-01-01"},
                 {"given_name": "Maya", "family_name": "Okafor", "birth_date": "1934-05-02"}):
        person_create(actor=gp, data=data)
    # a different NHS number: a different person
    person_create(actor=gp, data=ARTHUR_AGAIN, identifiers=[("nhs", "401 023 2137")])


def test_only_people_the_actor_may_see_are_named(actor_for, arthur, pair_of) -> None:  # noqa: ANN001
    # Hillside does not care for Arthur: no warning, nothing learnt about him.
    created = person_create(actor=actor_for("outsider.uk"), data=ARTHUR_AGAIN)
    assert created.registered_by.name == "Hillside Medical Practice"
    # the pair is still kept, for whoever may see both records
    assert pair_of(arthur, created).score == 90


def test_the_candidates_are_an_indexed_probe_by_date_of_birth(
    actor_for, arthur, django_assert_max_num_queries,  # noqa: ANN001
) -> None:
    gp = actor_for("gp.uk")
    with django_assert_max_num_queries(3) as captured, pytest.raises(DuplicateRecord):
        person_create(actor=gp, data=ARTHUR_AGAIN)
    candidates = [q["sql"] for q in captured.captured_queries if '"birth_date" IN' in q["sql"]]
    assert len(candidates) == 1
    # the dates of birth that count (about 60), never the whole table
    dates = re.findall(r"'(\d{4}-\d{2}-\d{2})", candidates[0])
    assert {"1934-05-02", "1934-02-05", "1935-05-02"} <= set(dates)
    assert len(dates) < 80


def test_the_page_warns_with_reasons_and_lets_the_user_confirm(login_as, arthur) -> None:  # noqa: ANN001
    client = login_as("gp.uk")
    form = {"given_name": "Arthur", "family_name": "Penrose",
            **date_parts("birth_date", dt.date(1934, 5, 2))}
    response = client.post("/people/new/", form)
    assert response.status_code == 409
    page = text(response)
    assert "This may be someone who already has a record" in page
    assert f'href="/people/{arthur.pk}/"' in page
    assert "Same name" in page and "Same date of birth" in page
    assert 'name="confirm_similar"' in page
    created = client.post("/people/new/", {**form, "confirm_similar": "on"})
    assert created.status_code == 302
    assert Person.objects.filter(family_name="Penrose").count() == 2


def test_the_api_answers_409_with_the_matches(api_as, arthur) -> None:  # noqa: ANN001
    api = api_as("gp.uk")
    body = assert_problem(api.post("/people", ARTHUR_AGAIN), 409)
    assert body["confirmable"] is True
    assert body["similar"] == [f"http://testserver/api/v1/people/{arthur.pk}"]
    (match,) = body["matches"]
    assert match["url"] == body["similar"][0] and match["score"] == 90 and match["likely"]
    assert {"code": "same-birth-date", "text": "Same date of birth"} in match["reasons"]
    assert api.post("/people", {**ARTHUR_AGAIN, "confirm_similar": True}).status_code == 201
    # someone who may not see Arthur gets no 409 and no link to him
    assert api_as("outsider.uk").post("/people", ARTHUR_AGAIN).status_code == 201


# -- the pairs kept for the list -----------------------------------------------------------------


def test_registering_and_changing_keep_the_pairs_up_to_date(arthur_again, arthur, pair_of,  # noqa: ANN001
                                                            actor_for) -> None:
    pair = pair_of(arthur, arthur_again)
    assert pair.score == 100
    assert set(pair.reasons) == {"same-name", "same-birth-date", "same-postcode"}
    gp = actor_for("gp.uk")
    # a new surname: the same given name, birthday and postcode still make it possible
    person_update(actor=gp, person_id=arthur_again.pk, changes={"family_name": "Smith"})
    assert pair_of(arthur, arthur_again).score == 75
    # and another birthday makes it nobody
    person_update(actor=gp, person_id=arthur_again.pk, changes={"birth_date": "1960-01-01"})
    assert not DuplicateCandidate.objects.filter(
        Q(person_a=arthur_again) | Q(person_b=arthur_again)).exists()


def test_a_dismissed_pair_stays_dismissed(arthur_again, arthur, pair_of, coordinator,  # noqa: ANN001
                                          actor_for) -> None:
    pair = pair_of(arthur, arthur_again)
    duplicate_dismiss(actor=coordinator, pair_id=pair.pk)
    person_update(actor=actor_for("gp.uk"), person_id=arthur_again.pk,
                  changes={"phone": "01632 960999", "given_name": "Arthur"})
    call_command("duplicates", "scan", stdout=StringIO())
    pair.refresh_from_db()
    assert pair.dismissed_at is not None and pair.dismissed_by == coordinator.membership
    events = AuditEvent.objects.filter(object_type="DuplicateCandidate", action="update")
    assert {e.person_id for e in events} == {arthur.pk, arthur_again.pk}


@pytest.mark.parametrize("who", ["gp.uk", "sw.uk", "outsider.uk", "analyst.uk"])
def test_others_may_not_dismiss(arthur_again, arthur, pair_of, actor_for, who: str) -> None:  # noqa: ANN001
    pair = pair_of(arthur, arthur_again)
    with pytest.raises(AccessDenied):
        duplicate_dismiss(actor=actor_for(who), pair_id=pair.pk)
    pair.refresh_from_db()
    assert pair.dismissed_at is None


def test_the_scan_finds_pairs_made_outside_the_services(arthur_again, arthur, pair_of) -> None:  # noqa: ANN001
    DuplicateCandidate.objects.all().delete()
    out = StringIO()
    call_command("duplicates", "scan", "--batch", "7", stdout=out)
    assert pair_of(arthur, arthur_again).score == 100
    assert "possible duplicate pairs" in out.getvalue()
    # a pair that no longer matches goes at the next scan
    Person.objects.filter(pk=arthur_again.pk).update(birth_date=dt.date(1960, 1, 1))
    call_command("duplicates", "scan", stdout=StringIO())
    assert not DuplicateCandidate.objects.filter(person_b=arthur_again).exists()
    assert not DuplicateCandidate.objects.filter(person_a=arthur_again).exists()


def test_the_scan_refuses_a_silly_batch(demo) -> None:  # noqa: ANN001
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("duplicates", "scan", "--batch", "0")


# -- the list ----------------------------------------------------------------------------------


def test_a_coordinator_sees_the_pairs_of_people_they_may_see(arthur_again, arthur,  # noqa: ANN001
                                                             coordinator,
                                                             council_coordinator) -> None:
    page = duplicate_pairs(actor=coordinator)
    ((pair,),) = [[p for p in page.items if {p.person_a_id, p.person_b_id} ==
                   {arthur.pk, arthur_again.pk}]]
    assert pair.mergeable and pair.likely
    assert "Same name" in pair.reason_texts
    # the council is on Arthur's team, not on the second record's: the pair is not its to see
    assert all(arthur_again.pk not in (p.person_a_id, p.person_b_id)
               for p in duplicate_pairs(actor=council_coordinator).items)
    audited = AuditEvent.objects.filter(object_type="DuplicateCandidate", action="search")
    assert audited.count() == 2


@pytest.mark.parametrize("who", ["gp.uk", "sw.uk", "outsider.uk", "analyst.uk", "home.uk"])
def test_other_roles_get_404(arthur_again, actor_for, who: str) -> None:  # noqa: ANN001
    with pytest.raises(AccessDenied):
        duplicate_pairs(actor=actor_for(who))


@data_quality_officers_merge
def test_a_data_quality_officer_sees_the_pairs(arthur_again, arthur, data_quality) -> None:  # noqa: ANN001
    pairs = duplicate_pairs(actor=data_quality).items
    assert any({p.person_a_id, p.person_b_id} == {arthur.pk, arthur_again.pk} for p in pairs)


@pytest.fixture
def many_pairs(demo, actor_for):  # noqa: ANN001, ANN201
    """Twelve people registered twice each at Riverside."""
    gp = actor_for("gp.uk")
    for i in range(12):
        data = {"given_name": f"Twice{'abcdefghijkl'[i]}", "family_name": "Registered",
                "birth_date": dt.date(1950, 1, 1 + i)}
        person_create(actor=gp, data=data, confirm_similar=True)
        person_create(actor=gp, data=data, confirm_similar=True)


def test_the_list_pages_by_keyset_with_constant_queries(many_pairs, coordinator,  # noqa: ANN001
                                                        django_assert_max_num_queries) -> None:
    seen: list[str] = []
    cursor = None
    scores: list[int] = []
    while True:
        with django_assert_max_num_queries(8):
            page = duplicate_pairs(actor=coordinator, cursor=cursor, size=5)
            [str(p.person_a.identifiers.all()) for p in page.items]
        seen += [str(p.pk) for p in page.items]
        scores += [p.score for p in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) >= 12
    assert scores == sorted(scores, reverse=True)
    assert duplicate_pairs(actor=coordinator, cursor="garbage", size=5).items


def test_the_page_lists_pairs_with_constant_queries(many_pairs, coordinator, settings,  # noqa: ANN001
                                                    django_assert_max_num_queries) -> None:
    settings.CAREWEAVE = {**settings.CAREWEAVE, "PAGE_SIZE": 4}
    client = Client()
    client.force_login(coordinator.user)
    client.get("/people/duplicates/")
    with django_assert_max_num_queries(22) as first:
        response = client.get("/people/duplicates/")
    assert response.status_code == 200
    page = text(response)
    assert "Possible duplicates" in page and "Registered, Twice" in page and "Compare" in page
    assert 'rel="next"' in page
    settings.CAREWEAVE = {**settings.CAREWEAVE, "PAGE_SIZE": 12}
    with django_assert_max_num_queries(len(first.captured_queries)):
        assert client.get("/people/duplicates/").status_code == 200
    # the caseload links there for a coordinator, and not for a clinician
    assert 'href="/people/duplicates/"' in text(client.get("/caseload/"))
    gp = Client()
    gp.force_login(Organisation.objects.get(name="Riverside Surgery").memberships.get(
        role="clinician").user)
    assert 'href="/people/duplicates/"' not in text(gp.get("/caseload/"))


@pytest.mark.parametrize("who", ["gp.uk", "outsider.uk", "analyst.uk"])
def test_the_page_is_404_for_other_roles(arthur_again, login_as, who: str) -> None:  # noqa: ANN001
    response = login_as(who).get("/people/duplicates/")
    assert response.status_code == 404
    assert "Penrose" not in text(response)


def test_the_page_shows_an_empty_list_plainly(coordinator) -> None:  # noqa: ANN001
    client = Client()
    client.force_login(coordinator.user)
    assert "There are no possible duplicates" in text(client.get("/people/duplicates/"))


def test_not_the_same_person_through_the_page(arthur_again, arthur, pair_of,  # noqa: ANN001
                                              coordinator) -> None:
    client = Client()
    client.force_login(coordinator.user)
    pair = pair_of(arthur, arthur_again)
    response = client.post(f"/people/duplicates/{pair.pk}/dismiss/")
    assert response.status_code == 302 and response["Location"] == "/people/duplicates/"
    assert f"/people/duplicates/{pair.pk}/" not in text(client.get("/people/duplicates/"))
    # the pair can still be opened (a link someone kept), and says so
    assert "Marked as two different people" in text(client.get(f"/people/duplicates/{pair.pk}/"))


def test_the_list_through_the_api(many_pairs, coordinator, api_as) -> None:  # noqa: ANN001
    from careweave.access.services import token_create
    from tests.support import ApiClient

    _token, raw = token_create(membership=coordinator.membership, name="test")
    api = ApiClient(raw)
    first = api.get("/duplicates?size=5")
    assert first.status_code == 200
    body = first.json()
    assert len(body["items"]) == 5 and body["next_cursor"]
    item = body["items"][0]
    assert item["a"]["family_name"] == "Registered" and item["mergeable"] is True
    assert {"code": "same-name", "text": "Same name"} in item["reasons"]
    second = api.get(f"/duplicates?size=5&cursor={body['next_cursor']}").json()
    assert not {i["id"] for i in body["items"]} & {i["id"] for i in second["items"]}
    for query in ("size=0", "size=101", "cursor=" + "x" * 501):
        assert_problem(api.get(f"/duplicates?{query}"), 422)
    for who in ("gp.uk", "outsider.uk", "analyst.uk"):
        assert_problem(api_as(who).get("/duplicates"), 404)
    # dismiss
    assert api.post(f"/duplicates/{item['id']}/dismiss").status_code == 204
    assert item["id"] not in {i["id"] for i in api.get("/duplicates?size=100").json()["items"]}
    assert_problem(api_as("gp.uk").post(f"/duplicates/{second['items'][0]['id']}/dismiss"), 404)
    assert_problem(api.post("/duplicates/00000000-0000-0000-0000-000000000000/dismiss"), 404)


def test_a_pair_with_someone_no_longer_on_the_team_leaves_the_list(arthur_again, arthur,  # noqa: ANN001
                                                                   coordinator) -> None:
    CareTeamMember.objects.filter(person=arthur_again).update(end_date=dt.date(2000, 1, 1))
    sharing.recompute([arthur_again.pk])  # as the care-team services do
    assert all(arthur_again.pk not in (p.person_a_id, p.person_b_id)
               for p in duplicate_pairs(actor=coordinator).items)
