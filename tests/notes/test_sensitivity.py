"""Sensitivity as a table, through the service (the selectors), the page and the API: for
each level an actor who may see the note or the warning and actors who may not. Who may not
gets a 404 for the item, and the banner says nothing of it.

The cast (the demo): Arthur was registered by Riverside Surgery (gp.uk, a GP); Northshire
Council (sw.uk, a social worker) and Oakwood Care Home (home.uk, a care worker) are on his
care team; Hillside (outsider.uk) breaks the glass. Maya's team is Riverside, the CMHT
(mh.uk) and the council, which she objected to for direct care; here St Mary's (hosp.uk)
joins her team too, and for one case she consents to coordination with the council.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from careweave.access import services as access
from careweave.access import sharing
from careweave.access.gate import AccessDenied, open_person
from careweave.access.models import CareTeamMember, Consent
from careweave.audit.models import AuditEvent
from careweave.notes import rules, selectors, services
from careweave.notes.models import CaseNote, PersonWarning
from careweave.orgs.models import Organisation
from tests.support import sign_in

pytestmark = pytest.mark.django_db

MAY, MAY_NOT = True, False


def note(actor: Any, person: Any, summary: str, **audience: Any) -> CaseNote:
    made, _created = services.note_create(actor=actor, person_id=person.pk, data={
        "kind": "visit", "occurred_at": timezone.now() - dt.timedelta(hours=1),
        "summary": summary, "body": f"Body of {summary}", **audience})
    return made


def warning(actor: Any, person: Any, title: str, **audience: Any) -> PersonWarning:
    return services.warning_raise(actor=actor, person_id=person.pk, data={
        "kind": "safeguarding", "title": title, **audience})


@pytest.fixture
def glass(actor_for, arthur):  # noqa: ANN001, ANN201
    access.break_glass_start(actor=actor_for("outsider.uk"), person_id=arthur.pk,
                             reason="Unconscious in A&E, need his warnings")
    return actor_for("outsider.uk")


@pytest.fixture
def arthur_items(actor_for, arthur):  # noqa: ANN001, ANN201
    gp = actor_for("gp.uk")
    return {
        "care_team": (note(gp, arthur, "Team note"), warning(gp, arthur, "Team warning")),
        "organisation": (note(gp, arthur, "Riverside-only note", sensitivity="organisation"),
                         warning(gp, arthur, "Riverside-only warning",
                                 sensitivity="organisation")),
        "restricted_roles": (note(gp, arthur, "Clinicians-only note", sensitivity="restricted",
                                  roles=["clinician"]),
                             warning(gp, arthur, "Clinicians-only warning",
                                     sensitivity="restricted", roles=["clinician"])),
        "restricted_kinds": (None, warning(gp, arthur, "Social-care warning",
                                           sensitivity="restricted",
                                           organisation_kinds=["social_care"])),
    }


# (level, username, may see); glass is outsider.uk on emergency access
ARTHUR_TABLE = [
    ("care_team", "gp.uk", MAY), ("care_team", "sw.uk", MAY), ("care_team", "home.uk", MAY),
    ("care_team", "glass", MAY),
    ("organisation", "gp.uk", MAY), ("organisation", "sw.uk", MAY_NOT),
    ("organisation", "home.uk", MAY_NOT), ("organisation", "glass", MAY_NOT),
    ("restricted_roles", "gp.uk", MAY), ("restricted_roles", "sw.uk", MAY_NOT),
    ("restricted_roles", "home.uk", MAY_NOT), ("restricted_roles", "glass", MAY_NOT),
    ("restricted_kinds", "gp.uk", MAY), ("restricted_kinds", "sw.uk", MAY),
    ("restricted_kinds", "home.uk", MAY_NOT), ("restricted_kinds", "glass", MAY_NOT),
]


def _actor(username: str, actor_for: Any, glass: Any) -> Any:
    return glass if username == "glass" else actor_for(username)


def _page(username: str) -> Client:
    return sign_in(Client(), "outsider.uk" if username == "glass" else username)


def _api(username: str, api_as: Any) -> Any:
    return api_as("outsider.uk" if username == "glass" else username)


@pytest.mark.parametrize("level,username,allowed", ARTHUR_TABLE,
                         ids=[f"{r[0]}-{r[1]}" for r in ARTHUR_TABLE])
def test_arthur_table_through_the_service(level: str, username: str, allowed: bool,
                                          arthur_items, arthur, actor_for, glass) -> None:  # noqa: ANN001
    actor = _actor(username, actor_for, glass)
    the_note, the_warning = arthur_items[level]
    _person, decision = open_person(actor, arthur.pk)
    warnings = selectors.warnings_for(actor=actor, person=arthur, decision=decision)
    assert (the_warning in warnings) is allowed
    if the_note is not None:
        page = selectors.notes_page(actor=actor, person=arthur, decision=decision, size=100)
        assert (the_note in page.items) is allowed
        if allowed:
            assert selectors.note_detail(actor=actor, person_id=arthur.pk,
                                         note_id=the_note.pk)[2] == the_note
        else:
            with pytest.raises(AccessDenied):
                selectors.note_detail(actor=actor, person_id=arthur.pk, note_id=the_note.pk)
    if not allowed:
        with pytest.raises(AccessDenied):
            selectors.warning_detail(actor=actor, person_id=arthur.pk,
                                     warning_id=the_warning.pk)
        refused = AuditEvent.objects.filter(outcome="denied", person_id=arthur.pk,
                                            object_type="Warning",
                                            object_id=str(the_warning.pk))
        assert refused.count() == 1


@pytest.mark.parametrize("level,username,allowed", ARTHUR_TABLE,
                         ids=[f"{r[0]}-{r[1]}" for r in ARTHUR_TABLE])
def test_arthur_table_through_the_pages(level: str, username: str, allowed: bool,
                                        arthur_items, arthur, glass) -> None:  # noqa: ANN001
    the_note, the_warning = arthur_items[level]
    client = _page(username)
    person_page = client.get(f"/people/{arthur.pk}/").content.decode()
    banner = person_page[person_page.index('id="warnings-banner"'):]
    banner = banner[:banner.index("</section>")]
    assert (the_warning.title in banner) is allowed
    # and nowhere else on the page; on other pages of the person only in the banner
    assert (the_warning.title in person_page) is allowed
    timeline = client.get(f"/people/{arthur.pk}/timeline/").content.decode()
    assert (the_warning.title in timeline) is allowed
    warnings_page = client.get(f"/people/{arthur.pk}/warnings/").content.decode()
    assert (the_warning.title in warnings_page) is allowed
    for action in ("review", "end"):
        status = client.get(f"/people/{arthur.pk}/warnings/{the_warning.pk}/{action}/")
        if not allowed:
            assert status.status_code == 404
    if the_note is not None:
        detail = client.get(f"/people/{arthur.pk}/notes/{the_note.pk}/")
        assert detail.status_code == (200 if allowed else 404)
        assert (the_note.summary in detail.content.decode()) is allowed
        listing = client.get(f"/people/{arthur.pk}/notes/").content.decode()
        assert (the_note.summary in listing) is allowed


@pytest.mark.parametrize("level,username,allowed", ARTHUR_TABLE,
                         ids=[f"{r[0]}-{r[1]}" for r in ARTHUR_TABLE])
def test_arthur_table_through_the_api(level: str, username: str, allowed: bool,
                                      arthur_items, arthur, api_as, glass) -> None:  # noqa: ANN001
    the_note, the_warning = arthur_items[level]
    api = _api(username, api_as)
    listed = [w["id"] for w in api.get(f"/people/{arthur.pk}/warnings").json()]
    assert (str(the_warning.pk) in listed) is allowed
    one = api.get(f"/people/{arthur.pk}/warnings/{the_warning.pk}")
    assert one.status_code == (200 if allowed else 404)
    if not allowed:
        assert one["Content-Type"].startswith("application/problem+json")
        assert the_warning.title not in one.content.decode()
    if the_note is not None:
        got = api.get(f"/people/{arthur.pk}/notes/{the_note.pk}")
        assert got.status_code == (200 if allowed else 404)
        listed = [n["id"] for n in api.get(f"/people/{arthur.pk}/notes?size=100").json()["items"]]
        assert (str(the_note.pk) in listed) is allowed


# -- Maya: by kind of organisation and by consent ------------------------------------------


@pytest.fixture
def maya_team(maya, org):  # noqa: ANN001, ANN201
    """St Mary's (hosp.uk) joins Maya's care team: it reads her record (implied consent)."""
    CareTeamMember.objects.create(person=maya, organisation=org("St Mary's Hospital"),
                                  role="Ward", start_date=dt.date(2025, 1, 1))
    sharing.recompute([maya.pk])  # as the access services would, in the same transaction
    return maya


MAYA_TABLE = [("mh.uk", MAY), ("gp.uk", MAY), ("hosp.uk", MAY_NOT)]


@pytest.mark.parametrize("username,allowed", MAYA_TABLE)
def test_mayas_risk_to_self_is_for_the_mental_health_team_and_the_gp(
        username: str, allowed: bool, maya_team, api_as) -> None:  # noqa: ANN001
    risk = PersonWarning.objects.get(person=maya_team, kind="risk_to_self")
    assert risk.sensitivity == rules.RESTRICTED
    client = sign_in(Client(), username)
    page = client.get(f"/people/{maya_team.pk}/")
    assert page.status_code == 200  # everyone here may read Maya's record...
    html = page.content.decode()
    assert (risk.title in html) is allowed  # ...not everyone the warning
    if not allowed:
        assert 'id="warnings-banner"' not in html  # her only warning: no banner at all
        assert "Risk to self" not in html
    api = api_as(username)
    assert api.get(f"/people/{maya_team.pk}/warnings/{risk.pk}").status_code == (
        200 if allowed else 404)
    caseload = client.get("/caseload/").content.decode()
    row = caseload[caseload.index("Okafor, Maya"):]
    row = row[:row.index("</tr>")]
    assert ("Risk to self" in row) is allowed


def test_the_council_sees_nothing_of_maya(maya_team, api_as) -> None:  # noqa: ANN001
    client = sign_in(Client(), "sw.uk")
    assert client.get(f"/people/{maya_team.pk}/").status_code == 404
    assert client.get(f"/people/{maya_team.pk}/warnings/").status_code == 404
    assert api_as("sw.uk").get(f"/people/{maya_team.pk}/warnings").status_code == 404


def test_a_coordination_only_reader_sees_the_care_team_level_not_restricted(
        maya, actor_for, org) -> None:  # noqa: ANN001
    """Maya objected to direct care by the council, then consents to coordination (SIP) with
    it: the council reads her record for coordination, and so sees care-team warnings but
    not one restricted to social care (restricted items need a direct-care reader)."""
    consent = Consent.objects.create(person=maya, purpose="coordination", decision="permit",
                                     given_by="person", method="written",
                                     valid_from=timezone.now() - dt.timedelta(days=1),
                                     covers_all_organisations=False)
    consent.organisations.set([org("Northshire Council Adult Social Care")])
    sharing.recompute([maya.pk])
    mh, sw = actor_for("mh.uk"), actor_for("sw.uk")
    team = warning(mh, maya, "Care-team warning for the council")
    social = warning(mh, maya, "Restricted to social care", sensitivity="restricted",
                     organisation_kinds=["social_care"])
    _person, decision = open_person(sw, maya.pk)
    assert decision.purpose == "coordination"
    shown = selectors.warnings_for(actor=sw, person=maya, decision=decision)
    assert team in shown and social not in shown
    # the caseload flag says the same (its own consent check, per person)
    flags = selectors.flag_warnings(sw, [maya])
    assert [w.pk for w in flags.get(maya.pk, [])] == [team.pk]
    # a direct-care reader of the same kind would see it
    Consent.objects.filter(person=maya, decision="deny").update(
        withdrawn_at=timezone.now())
    consent.delete()
    sharing.recompute([maya.pk])
    assert social in selectors.warnings_for(actor=sw, person=maya,
                                            decision=open_person(sw, maya.pk)[1])


def test_only_care_team_items_go_on_the_shared_timeline(arthur_items, arthur) -> None:  # noqa: ANN001
    from careweave.people.models import TimelineEntry

    on_timeline = set(TimelineEntry.objects.filter(person=arthur, kind__startswith="notes.")
                      .values_list("object_id", flat=True))
    for level, (the_note, the_warning) in arthur_items.items():
        for item in (the_note, the_warning):
            if item is not None:
                assert (str(item.pk) in on_timeline) is (level == "care_team"), level


def test_the_query_agrees_with_the_pure_rule_for_every_item_and_reader(
        arthur_items, arthur, actor_for, glass) -> None:  # noqa: ANN001
    """Every note and warning on the demo records, for every reader of Arthur: the query
    (what pages and the API show) and rules.may_see give the same answer."""
    for username in ("gp.uk", "sw.uk", "home.uk", "glass"):
        actor = _actor(username, actor_for, glass)
        _person, decision = open_person(actor, arthur.pk)
        viewer = selectors.viewer_of(actor, decision)
        for model in (CaseNote, PersonWarning):
            rows = list(model.objects.filter(person=arthur))
            assert rows
            by_query = set(model.objects.filter(selectors.visible_q(actor, decision),
                                                person=arthur).values_list("pk", flat=True))
            by_rule = {r.pk for r in rows if rules.may_see(viewer, r.as_item())}
            assert by_query == by_rule, (username, model.__name__)


def test_organisation_kind_comes_from_the_readers_organisation(arthur_items, actor_for,
                                                              arthur) -> None:  # noqa: ANN001
    """If the council stopped being social care, the same reader would lose the warning."""
    sw = actor_for("sw.uk")
    social = arthur_items["restricted_kinds"][1]
    assert social in selectors.warnings_for(actor=sw, person=arthur,
                                            decision=open_person(sw, arthur.pk)[1])
    Organisation.objects.filter(pk=sw.organisation_id).update(kind="voluntary")
    sw = actor_for("sw.uk")
    assert social not in selectors.warnings_for(actor=sw, person=arthur,
                                                decision=open_person(sw, arthur.pk)[1])
