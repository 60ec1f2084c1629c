"""The registry: an app adds a panel, timeline kinds and caseload flags to the person page
and the caseload without ``people`` importing it. Here a test app registers its own, and
the person page shows them to who may see the person and nothing to who may not."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from careweave.core.registry import CaseloadFlag, Panel, Registry, registry

pytestmark = pytest.mark.django_db

TEMPLATES = Path(__file__).parent / "templates"
calls: list[tuple[str, str]] = []


def load_test_panel(actor, person, decision):  # noqa: ANN001, ANN201
    calls.append((actor.user.username, str(decision.basis)))
    if actor.role == "care_worker":
        return None  # a loader may show nothing to some roles
    return {"secret": "pale blue door"}


TEST_PANEL = Panel(key="test.panel", title="Test panel",
                   template="registry_test/panel.html", load=load_test_panel, order=25,
                   app="tests")


def safety_flags(actor, people):  # noqa: ANN001, ANN201
    return {p.pk: "Safety flag" for p in people if p.family_name == "Penrose"}


TEST_FLAG = CaseloadFlag(key="test.safety", label="Safety flag", load=safety_flags)


@pytest.fixture
def test_app(settings):  # noqa: ANN001, ANN201
    settings.TEMPLATES = [{**settings.TEMPLATES[0],
                           "DIRS": [*settings.TEMPLATES[0]["DIRS"], TEMPLATES]}]
    calls.clear()
    with registry.temporarily(TEST_PANEL, TEST_FLAG):
        yield


def test_a_registered_panel_is_on_the_person_page_in_its_place(test_app, login_as, arthur):  # noqa: ANN001, E501
    page = login_as("gp.uk").get(f"/people/{arthur.pk}/").content.decode()
    assert "Secret of Arthur: pale blue door (own-organisation)" in page
    # order 25: after the care team (20), before consent (30)
    assert page.index('id="care-team"') < page.index("test-panel") < page.index('id="consent"')
    assert calls == [("gp.uk", "own-organisation")]


def test_a_panel_shows_nothing_to_who_may_not_see_the_person(test_app, login_as, arthur, maya):  # noqa: ANN001, E501
    for username, person in (("outsider.uk", arthur), ("sw.uk", maya)):
        response = login_as(username).get(f"/people/{person.pk}/")
        assert response.status_code == 404
        assert "pale blue door" not in response.content.decode()
    assert calls == []  # the loader never ran for a refused reader


def test_a_loader_may_hide_its_panel(test_app, login_as, arthur) -> None:  # noqa: ANN001
    page = login_as("home.uk").get(f"/people/{arthur.pk}/").content.decode()
    assert "test-panel" not in page and 'id="care-team"' in page
    assert calls == [("home.uk", "implied-consent-direct-care")]


def test_a_caseload_flag_is_shown_beside_the_person(test_app, login_as) -> None:  # noqa: ANN001
    page = login_as("gp.uk").get("/caseload/").content.decode()
    row = page[page.index("Penrose, Arthur"):]
    row = row[:row.index("</tr>")]
    assert 'data-flag="test.safety"' in row and "Safety flag" in row
    assert page.count('data-flag="test.safety"') == 1


def test_the_interpreter_flag_comes_through_the_registry(login_as, person_named) -> None:  # noqa: ANN001, E501
    page = login_as("gp.se").get("/caseload/").content.decode()
    assert 'data-flag="people.interpreter"' in page


def test_keys_are_registered_once() -> None:
    fresh = Registry()
    fresh.panel(TEST_PANEL)
    with pytest.raises(ValueError, match="registered already"):
        fresh.panel(TEST_PANEL)
    with fresh.temporarily(TEST_FLAG):
        assert fresh.caseload_flags() == [TEST_FLAG]
    assert fresh.caseload_flags() == []


def test_every_app_panel_and_kind_is_registered() -> None:
    assert [p.key for p in registry.panels()] == [
        "notes.warnings", "access.care_team", "notes.contacts", "access.consent",
        "people.network", "medicines.list", "assessments.assessments", "notes.notes",
        "plans.plans", "people.timeline"]
    # a crisis plan in force shows first, then a safety flag, then the warnings
    assert [b.key for b in registry.person_banners()] == ["plans.crisis", "assessments.safety",
                                                          "notes.warnings"]
    kinds = {k.key for k in registry.timeline_kinds()}
    assert {"access.care_team_joined", "access.care_team_left", "access.consent_recorded",
            "access.consent_withdrawn", "access.break_glass", "people.registered",
            "people.identifier_changed", "people.address_changed"} <= kinds


def test_the_person_page_query_count_does_not_grow_with_the_record(
    login_as, arthur, actor_for, django_assert_max_num_queries,  # noqa: ANN001
) -> None:
    """Care-team members, consents and timeline entries: more of each, same queries."""
    from careweave.access.models import CareTeamMember, Consent
    from careweave.orgs.models import Organisation
    from careweave.people.timeline import timeline_add

    client = login_as("gp.uk")
    client.get(f"/people/{arthur.pk}/")  # warm the session
    with django_assert_max_num_queries(30) as small:
        assert client.get(f"/people/{arthur.pk}/").status_code == 200
    gp = actor_for("gp.uk")
    orgs = list(Organisation.objects.filter(country="GB"))
    for org in orgs[:6]:
        CareTeamMember.objects.create(person=arthur, organisation=org, role="Extra",
                                      start_date=dt.date(2025, 1, 1))
    for _org in orgs[:5]:
        consent = Consent.objects.create(person=arthur, purpose="direct_care",
                                         decision="permit", given_by="person", method="verbal",
                                         valid_from=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
                                         covers_all_organisations=False)
        consent.organisations.set(orgs[:3])
    for i in range(40):
        timeline_add(actor=gp, person_id=arthur.pk, kind="people.address_changed",
                     data={"before": [], "after": [f"{i} High Street"]})
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(f"/people/{arthur.pk}/").status_code == 200
