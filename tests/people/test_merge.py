"""Merging two records of one person, and undoing it: through the service, the pages and the
API, with who may (a data-quality role of the organisation that registered both) and who
may not (a clinician there, another organisation on the care team, an outsider)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from careweave.access import sharing
from careweave.access.gate import AccessDenied
from careweave.access.models import BreakGlass, CareTeamMember, Consent
from careweave.audit.models import AuditEvent
from careweave.core.errors import Conflict, ValidationFailed
from careweave.core.registry import MergeHandler, registry
from careweave.orgs.models import Organisation
from careweave.people.models import (
    Person,
    PersonIdentifier,
    PersonMerge,
    RelatedPerson,
    TimelineEntry,
)
from careweave.people.selectors import caseload
from careweave.people.services import person_create, person_merge, person_unmerge
from tests.people.conftest import data_quality_officers_merge, on_team
from tests.support import ApiClient, assert_problem, messages_of, text
from tests.support import sign_in as support_sign_in

pytestmark = pytest.mark.django_db


def rows(person: Person) -> dict[str, set[Any]]:
    """Every person-keyed row, by kind, as ids."""
    return {
        "identifiers": set(PersonIdentifier.objects.filter(person=person)
                           .values_list("pk", flat=True)),
        "care_team": set(CareTeamMember.objects.filter(person=person).values_list("pk", flat=True)),
        "consents": set(Consent.objects.filter(person=person).values_list("pk", flat=True)),
        "network": set(RelatedPerson.objects.filter(person=person).values_list("pk", flat=True)),
        "timeline": set(TimelineEntry.objects.filter(person=person).values_list("pk", flat=True)),
    }


def org(name: str) -> Organisation:
    return Organisation.objects.get(name=name)


@pytest.fixture
def second_arthur(arthur_again, coordinator):  # noqa: ANN001, ANN201
    """The second record, with a hospital place and a consent of its own."""
    on_team(arthur_again, "St Mary's Hospital", "Ward", start=dt.date(2026, 1, 5))
    consent = Consent.objects.create(
        person=arthur_again, purpose=Consent.Purpose.COORDINATION,
        decision=Consent.Decision.PERMIT, given_by=Consent.GivenBy.PERSON,
        method=Consent.Method.VERBAL, valid_from=timezone.now() - dt.timedelta(days=3),
        covers_all_organisations=True, recorded_by=coordinator.membership)
    assert consent.pk
    sharing.recompute([arthur_again.pk])
    return arthur_again


def merged_events(person: Person) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(person_id=person.pk, object_type="PersonMerge"))


# -- the service ---------------------------------------------------------------------------------


def test_merge_moves_every_row_and_unmerge_puts_exactly_those_back(
    arthur, second_arthur, coordinator,  # noqa: ANN001
) -> None:
    a, b = arthur, second_arthur
    before_a, before_b = rows(a), rows(b)
    assert before_b["care_team"] and before_b["consents"] and before_b["network"]

    merge = person_merge(actor=coordinator, survivor_id=a.pk, merged_id=b.pk)

    b.refresh_from_db()
    assert b.merged_into_id == a.pk
    after_a, after_b = rows(a), rows(b)
    for kind in ("identifiers", "care_team", "consents", "network"):
        assert after_a[kind] == before_a[kind] | before_b[kind], kind
        assert after_b[kind] == set(), kind
    # B's own timeline moved; each record has a "merged" entry of its own
    assert before_b["timeline"] < after_a["timeline"]
    assert TimelineEntry.objects.filter(person=a, kind="people.merged").count() == 1
    assert list(TimelineEntry.objects.filter(person=b).values_list("kind", flat=True)) == [
        "people.merged"]
    # exactly what moved is recorded
    assert {m["id"] for m in merge.moved["access.care_team"]} == {
        str(pk) for pk in before_b["care_team"]}
    assert set(merge.moved["access.consents"]) == {str(pk) for pk in before_b["consents"]}
    assert set(merge.moved["people.network"]) == {str(pk) for pk in before_b["network"]}
    # Riverside was on both teams: its place from B ends instead of being there twice
    riverside = CareTeamMember.objects.filter(person=a, organisation=org("Riverside Surgery"))
    assert [m.end_date is None for m in riverside.order_by("start_date")].count(True) == 1
    # audited for both, in plain terms
    for person in (a, b):
        (event,) = merged_events(person)
        assert event.action == "update" and event.outcome == "allowed"
        assert event.detail["operation"] == "merge" and event.object_id == str(merge.pk)

    # something added to A after the merge stays with A
    later = RelatedPerson.objects.create(person=a, name="Someone New", relationship="friend")

    person_unmerge(actor=coordinator, merge_id=merge.pk)

    b.refresh_from_db()
    assert b.merged_into_id is None
    after_a, after_b = rows(a), rows(b)
    for kind in ("identifiers", "care_team", "consents", "network"):
        assert after_b[kind] == before_b[kind], kind
    assert after_a["network"] == before_a["network"] | {later.pk}
    assert after_a["care_team"] == before_a["care_team"]
    assert before_b["timeline"] <= after_b["timeline"]
    # the place that was ended is as it was
    assert CareTeamMember.objects.get(person=b, organisation=org("Riverside Surgery")).end_date \
        is None
    assert {e.detail["operation"] for e in merged_events(a)} == {"merge", "unmerge"}
    assert TimelineEntry.objects.filter(person=b, kind="people.unmerged").count() == 1
    merge.refresh_from_db()
    assert merge.unmerged_at is not None and merge.unmerged_by == coordinator.membership
    with pytest.raises(Conflict):
        person_unmerge(actor=coordinator, merge_id=merge.pk)


def test_the_merged_record_leaves_every_list_and_leads_to_the_one_kept(
    arthur, second_arthur, coordinator, actor_for, login_as, api_as,  # noqa: ANN001
) -> None:
    gp = actor_for("gp.uk")
    assert [p.pk for p in caseload(actor=gp, q="penrose").items] == sorted(
        [arthur.pk, second_arthur.pk], key=lambda pk: (Person.objects.get(pk=pk).sort_name, pk))
    person_merge(actor=coordinator, survivor_id=arthur.pk, merged_id=second_arthur.pk)
    assert [p.pk for p in caseload(actor=gp, q="penrose").items] == [arthur.pk]
    # St Mary's, on B's team only, is now on Arthur's
    assert [p.pk for p in caseload(actor=actor_for("hosp.uk"), q="penrose").items] == [arthur.pk]

    for username in ("gp.uk", "sw.uk", "hosp.uk"):
        response = login_as(username).get(f"/people/{second_arthur.pk}/")
        assert response.status_code == 302, username
        assert response["Location"] == f"/people/{arthur.pk}/"
    api = api_as("gp.uk").get(f"/people/{second_arthur.pk}")
    assert api.status_code == 307 and api["Location"] == f"/api/v1/people/{arthur.pk}"
    # who may not see Arthur learns nothing: a plain 404
    outsider = login_as("outsider.uk").get(f"/people/{second_arthur.pk}/")
    assert outsider.status_code == 404 and "Penrose" not in text(outsider)
    assert_problem(api_as("outsider.uk").get(f"/people/{second_arthur.pk}"), 404)
    # nor can anyone change the merged record
    response = api_as("gp.uk").patch(f"/people/{second_arthur.pk}", {"phone": "1"},
                                     HTTP_IF_MATCH='W/"1"')
    assert_problem(response, 404)


def test_after_an_unmerge_each_record_is_on_its_own_caseloads_again(
    arthur, second_arthur, coordinator, actor_for,  # noqa: ANN001
) -> None:
    merge = person_merge(actor=coordinator, survivor_id=arthur.pk, merged_id=second_arthur.pk)
    person_unmerge(actor=coordinator, merge_id=merge.pk)
    gp, hospital = actor_for("gp.uk"), actor_for("hosp.uk")
    assert {p.pk for p in caseload(actor=gp, q="penrose").items} == {arthur.pk,
                                                                     second_arthur.pk}
    # St Mary's is on the second record's team only, as before the merge
    assert [p.pk for p in caseload(actor=hospital, q="penrose").items] == [second_arthur.pk]


def test_emergency_access_stays_with_the_merged_record(
    arthur, second_arthur, coordinator, actor_for, login_as,  # noqa: ANN001
) -> None:
    from careweave.access.services import break_glass_start

    outsider = actor_for("outsider.uk")
    episode = break_glass_start(actor=outsider, person_id=second_arthur.pk,
                                reason="Found unconscious at the bus station.")
    person_merge(actor=coordinator, survivor_id=arthur.pk, merged_id=second_arthur.pk)
    assert BreakGlass.objects.get(pk=episode.pk).person_id == second_arthur.pk
    # it opened B, not A: still nothing to see, and not a way into Arthur's record
    assert login_as("outsider.uk").get(f"/people/{second_arthur.pk}/").status_code == 404
    assert login_as("outsider.uk").get(f"/people/{arthur.pk}/").status_code == 404


def test_keeping_the_second_record_moves_the_nhs_number(arthur, second_arthur,  # noqa: ANN001
                                                         coordinator) -> None:
    nhs = PersonIdentifier.objects.get(person=arthur)
    merge = person_merge(actor=coordinator, survivor_id=second_arthur.pk, merged_id=arthur.pk)
    assert PersonIdentifier.objects.get(pk=nhs.pk).person_id == second_arthur.pk
    assert merge.moved["people.identifiers"] == [str(nhs.pk)]
    person_unmerge(actor=coordinator, merge_id=merge.pk)
    assert PersonIdentifier.objects.get(pk=nhs.pk).person_id == arthur.pk


@pytest.mark.parametrize("who", ["gp.uk", "outsider.uk", "sw.uk", "analyst.uk", "privacy.uk"])
def test_others_may_not_merge_and_nothing_moves(arthur, second_arthur, actor_for,  # noqa: ANN001
                                                who: str) -> None:
    before = rows(arthur), rows(second_arthur)
    denied = AuditEvent.objects.filter(outcome="denied").count()
    with pytest.raises(AccessDenied):
        person_merge(actor=actor_for(who), survivor_id=arthur.pk, merged_id=second_arthur.pk)
    assert (rows(arthur), rows(second_arthur)) == before
    assert not PersonMerge.objects.exists()
    assert AuditEvent.objects.filter(outcome="denied").count() == denied + 1


def test_a_coordinator_of_another_organisation_on_the_team_may_not_merge(
    arthur, second_arthur, council_coordinator,  # noqa: ANN001
) -> None:
    on_team(second_arthur, "Northshire Council Adult Social Care", "Social worker")
    with pytest.raises(AccessDenied):
        person_merge(actor=council_coordinator, survivor_id=arthur.pk,
                     merged_id=second_arthur.pk)
    assert Person.objects.get(pk=second_arthur.pk).merged_into_id is None


def test_only_records_the_organisation_registered_both_of(arthur, coordinator,  # noqa: ANN001
                                                           actor_for) -> None:
    council_arthur = person_create(actor=actor_for("sw.uk"), confirm_similar=True, data={
        "given_name": "Arthur", "family_name": "Penrose", "birth_date": "1934-05-02"})
    on_team(council_arthur, "Riverside Surgery", "GP")
    with pytest.raises(AccessDenied):
        person_merge(actor=coordinator, survivor_id=arthur.pk, merged_id=council_arthur.pk)


@data_quality_officers_merge
def test_a_data_quality_officer_may_merge(arthur, second_arthur, data_quality) -> None:  # noqa: ANN001
    merge = person_merge(actor=data_quality, survivor_id=arthur.pk, merged_id=second_arthur.pk)
    assert merge.merged_id == second_arthur.pk


def test_two_different_nhs_numbers_are_two_people(arthur, second_arthur,  # noqa: ANN001
                                                  coordinator) -> None:
    PersonIdentifier.objects.create(person=second_arthur, system="nhs", value="9000000009")
    before = rows(arthur), rows(second_arthur)
    with pytest.raises(Conflict) as refused:
        person_merge(actor=coordinator, survivor_id=arthur.pk, merged_id=second_arthur.pk)
    assert "NHS number" in refused.value.message
    assert (rows(arthur), rows(second_arthur)) == before


def test_records_of_two_countries_are_not_merged(arthur, coordinator, actor_for) -> None:  # noqa: ANN001
    swedish = person_create(actor=actor_for("gp.uk"), confirm_similar=True, data={
        "given_name": "Arthur", "family_name": "Penrose", "birth_date": "1934-05-02",
        "country": "SE"})
    with pytest.raises(Conflict):
        person_merge(actor=coordinator, survivor_id=arthur.pk, merged_id=swedish.pk)


def test_bad_requests(arthur, second_arthur, coordinator, actor_for) -> None:  # noqa: ANN001
    with pytest.raises(ValidationFailed):
        person_merge(actor=coordinator, survivor_id=arthur.pk, merged_id=str(arthur.pk))
    for bad in ("not-a-uuid", "00000000-0000-0000-0000-000000000000", "x" * 10_000):
        with pytest.raises(AccessDenied):
            person_merge(actor=coordinator, survivor_id=arthur.pk, merged_id=bad)
        with pytest.raises(AccessDenied):
            person_unmerge(actor=coordinator, merge_id=bad)
    merge = person_merge(actor=coordinator, survivor_id=arthur.pk, merged_id=second_arthur.pk)
    # B is merged: it cannot be merged again, nor have anything merged into it
    with pytest.raises(AccessDenied):
        person_merge(actor=coordinator, survivor_id=arthur.pk, merged_id=second_arthur.pk)
    with pytest.raises(AccessDenied):
        person_merge(actor=coordinator, survivor_id=second_arthur.pk, merged_id=arthur.pk)
    # and only its organisation's data-quality roles may undo it
    with pytest.raises(AccessDenied):
        person_unmerge(actor=actor_for("gp.uk"), merge_id=merge.pk)


def test_a_chain_of_merges_is_undone_from_the_last(arthur, second_arthur, coordinator,  # noqa: ANN001
                                                   actor_for, login_as) -> None:
    third = person_create(actor=actor_for("gp.uk"), confirm_similar=True, data={
        "given_name": "Arthur", "family_name": "Penrose", "birth_date": "1934-05-02"})
    first = person_merge(actor=coordinator, survivor_id=second_arthur.pk, merged_id=third.pk)
    second = person_merge(actor=coordinator, survivor_id=arthur.pk, merged_id=second_arthur.pk)
    # the first record merged leads through the chain to the one kept
    response = login_as("gp.uk").get(f"/people/{third.pk}/")
    assert response.status_code == 302 and response["Location"] == f"/people/{arthur.pk}/"
    with pytest.raises(AccessDenied):  # its survivor is merged away: through the gate, 404
        person_unmerge(actor=coordinator, merge_id=first.pk)
    person_unmerge(actor=coordinator, merge_id=second.pk)
    person_unmerge(actor=coordinator, merge_id=first.pk)
    assert Person.objects.filter(merged_into__isnull=False).count() == 0


# -- apps' rows follow through the registry ---------------------------------------------------


def test_an_app_registers_a_merge_handler(arthur, second_arthur, coordinator) -> None:  # noqa: ANN001
    calls: list[tuple[str, Any, Any, Any]] = []

    def move(merged_id, survivor_id):  # noqa: ANN001, ANN202
        calls.append(("move", merged_id, survivor_id, None))
        return ["row-1", "row-2"]

    def restore(survivor_id, merged_id, moved):  # noqa: ANN001, ANN202
        calls.append(("restore", survivor_id, merged_id, moved))
        return len(moved)

    handler = MergeHandler(key="plans.plans", label="Plans", move=move, restore=restore,
                           app="plans")
    with registry.temporarily(handler):
        merge = person_merge(actor=coordinator, survivor_id=arthur.pk, merged_id=second_arthur.pk)
        assert merge.moved["plans.plans"] == ["row-1", "row-2"]
        person_unmerge(actor=coordinator, merge_id=merge.pk)
    assert calls == [("move", second_arthur.pk, arthur.pk, None),
                     ("restore", arthur.pk, second_arthur.pk, ["row-1", "row-2"])]


def test_a_handler_may_refuse_a_merge(arthur, second_arthur, coordinator) -> None:  # noqa: ANN001
    handler = MergeHandler(key="plans.plans", label="Plans", move=lambda m, s: [],
                           restore=lambda s, m, moved: 0,
                           check=lambda m, s: ["Both records have an agreed plan."])
    with registry.temporarily(handler), pytest.raises(Conflict) as refused:
        person_merge(actor=coordinator, survivor_id=arthur.pk, merged_id=second_arthur.pk)
    assert refused.value.message == "Both records have an agreed plan."
    assert not PersonMerge.objects.exists()


def test_registering_a_merge_handler_twice_is_refused() -> None:
    handler = registry.merge_handler_of("people.identifiers")
    assert handler is not None
    with pytest.raises(ValueError):
        registry.merge_handler(handler)


# -- the pages ---------------------------------------------------------------------------------


def sign_in(actor) -> Client:  # noqa: ANN001
    client = Client()
    client.force_login(actor.user)
    return client


def test_merge_and_undo_through_the_pages(arthur, second_arthur, coordinator,  # noqa: ANN001
                                          pair_of) -> None:
    client = sign_in(coordinator)
    pair = pair_of(arthur, second_arthur)
    page = client.get(f"/people/duplicates/{pair.pk}/")
    assert page.status_code == 200
    body = text(page)
    assert "Same name" in body and "Merge records" in body and 'name="keep"' in body

    # no choice: the error is on the form, nothing merged
    refused = client.post(f"/people/duplicates/{pair.pk}/merge/", {})
    assert refused.status_code == 400
    assert "Choose which record to keep." in text(refused)
    assert "govuk-error-summary" in text(refused)
    assert not PersonMerge.objects.exists()

    done = client.post(f"/people/duplicates/{pair.pk}/merge/", {"keep": str(arthur.pk)})
    merge = PersonMerge.objects.get()
    assert done.status_code == 302 and done["Location"] == f"/people/merges/{merge.pk}/"
    assert merge.survivor_id == arthur.pk and merge.merged_id == second_arthur.pk
    summary = client.get(done["Location"])
    assert "Undo merge" in text(summary) and "Care team" in text(summary)
    assert "The records have been merged" in " ".join(messages_of(summary))

    undone = client.post(f"/people/merges/{merge.pk}/unmerge/")
    assert undone.status_code == 302
    after = client.get(undone["Location"])
    assert "This merge was undone" in text(after) and "Undo merge" not in text(after)
    # a second undo is a clear message, not an error page
    again = client.post(f"/people/merges/{merge.pk}/unmerge/", follow=True)
    assert "undone already" in text(again)


@pytest.mark.parametrize("who", ["gp.uk", "outsider.uk", "sw.uk", "privacy.uk"])
def test_merge_pages_are_404_for_others(arthur, second_arthur, coordinator, pair_of,  # noqa: ANN001
                                        login_as, who: str) -> None:
    pair = pair_of(arthur, second_arthur)
    merge = person_merge(actor=coordinator, survivor_id=arthur.pk, merged_id=second_arthur.pk)
    client = (support_sign_in(Client(), who, org="Riverside Surgery") if who == "privacy.uk"
              else login_as(who))
    for method, url in (("get", f"/people/duplicates/{pair.pk}/"),
                        ("post", f"/people/duplicates/{pair.pk}/merge/"),
                        ("post", f"/people/duplicates/{pair.pk}/dismiss/"),
                        ("get", f"/people/merges/{merge.pk}/"),
                        ("post", f"/people/merges/{merge.pk}/unmerge/")):
        response = getattr(client, method)(url, {"keep": str(arthur.pk)} if method == "post"
                                           else None)
        assert response.status_code == 404, (who, url)
        assert "Penrose" not in text(response)
    assert PersonMerge.objects.get().unmerged_at is None


def test_another_organisation_on_both_teams_sees_the_pair_but_cannot_merge(
    arthur, second_arthur, council_coordinator, pair_of,  # noqa: ANN001
) -> None:
    on_team(second_arthur, "Northshire Council Adult Social Care", "Social worker")
    client = sign_in(council_coordinator)
    pair = pair_of(arthur, second_arthur)
    page = client.get(f"/people/duplicates/{pair.pk}/")
    assert page.status_code == 200
    assert "Merge records" not in text(page)
    assert "organisation that registered both records" in text(page)
    assert client.post(f"/people/duplicates/{pair.pk}/merge/",
                       {"keep": str(arthur.pk)}).status_code == 404
    assert not PersonMerge.objects.exists()


# -- the API ---------------------------------------------------------------------------------


@pytest.fixture
def api_for():  # noqa: ANN201
    from careweave.access.services import token_create

    def make(actor) -> ApiClient:  # noqa: ANN001
        _token, raw = token_create(membership=actor.membership, name="test")
        return ApiClient(raw)

    return make


def test_merge_and_undo_through_the_api(arthur, second_arthur, coordinator, api_for) -> None:  # noqa: ANN001
    api = api_for(coordinator)
    response = api.post("/merges", {"survivor": str(arthur.pk), "merged": str(second_arthur.pk)})
    assert response.status_code == 201, response.content
    body = response.json()
    assert response["Location"] == body["url"] == f"/api/v1/merges/{body['id']}"
    assert body["moved"]["access.care_team"] == 2 and body["moved"]["people.network"] == 1
    assert {"code": "same-name", "text": "Same name"} in body["reasons"]
    assert api.get(body["url"]).json()["id"] == body["id"]
    undone = api.post(f"/merges/{body['id']}/unmerge")
    assert undone.status_code == 200 and undone.json()["unmerged_at"]
    assert_problem(api.post(f"/merges/{body['id']}/unmerge"), 409)


def test_merge_api_refusals(arthur, second_arthur, coordinator, api_for, api_as) -> None:  # noqa: ANN001
    body = {"survivor": str(arthur.pk), "merged": str(second_arthur.pk)}
    for who in ("gp.uk", "outsider.uk", "sw.uk", "analyst.uk"):
        assert_problem(api_as(who).post("/merges", body), 404)
    assert_problem(ApiClient().post("/merges", body), 401)
    api = api_for(coordinator)
    assert_problem(api.post("/merges", {"survivor": str(arthur.pk)}), 422)
    assert_problem(api.post("/merges", {**body, "extra": 1}), 422)
    assert_problem(api.post("/merges", {"survivor": str(arthur.pk), "merged": "nope"}), 422)
    same = assert_problem(api.post("/merges", {"survivor": str(arthur.pk),
                                               "merged": str(arthur.pk)}), 422)
    assert "merged" in same["errors"]
    PersonIdentifier.objects.create(person=second_arthur, system="nhs", value="9000000009")
    conflict = assert_problem(api.post("/merges", body), 409)
    assert "NHS number" in conflict["detail"]
    assert not PersonMerge.objects.exists()
