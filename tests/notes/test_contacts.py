"""Care-team contacts: each organisation keeps its own members' phones, hours and key worker
(one per person per organisation), any professional may make one member the lead
coordinator (one per person); out-of-hours numbers per organisation."""

from __future__ import annotations

import pytest
from django.test import Client

from careweave.access import sharing
from careweave.access.gate import AccessDenied
from careweave.access.models import CareTeamMember
from careweave.core.errors import NotPermitted, StaleVersion, ValidationFailed
from careweave.notes import services
from careweave.notes.models import OutOfHours, TeamContact
from careweave.people.models import TimelineEntry
from tests.support import assert_problem, sign_in

pytestmark = pytest.mark.django_db


def member(person, org_name: str) -> CareTeamMember:  # noqa: ANN001
    return CareTeamMember.objects.get(person=person, organisation__name=org_name)


def test_the_contacts_panel_shows_how_to_reach_the_team(arthur) -> None:  # noqa: ANN001
    html = sign_in(Client(), "home.uk").get(f"/people/{arthur.pk}/").content.decode()
    panel = html[html.index('id="contacts-panel"'):]
    panel = panel[:panel.index("</section>")]
    assert "01632 960 300" in panel and "asc.duty@example.org" in panel
    assert "Lead coordinator" in panel and "Key worker" in panel
    assert "Emergency duty team" in panel and "NHS 111" in panel
    assert "Change contact details" not in panel  # a care worker changes none


def test_an_organisation_changes_its_own_contacts_only(actor_for, arthur, api_as) -> None:  # noqa: ANN001
    gp = actor_for("gp.uk")
    riverside = member(arthur, "Riverside Surgery")
    contact = services.team_contact_update(actor=gp, person_id=arthur.pk,
                                           member_id=riverside.pk,
                                           data={"hours": "Monday to Friday 8–18"},
                                           expected_version=1)
    assert contact.version == 2 and contact.phone == "01632 960 100"
    with pytest.raises(NotPermitted):
        services.team_contact_update(actor=gp, person_id=arthur.pk,
                                     member_id=member(arthur, "Oakwood Care Home").pk,
                                     data={"phone": "01632 000 000"}, expected_version=None)
    with pytest.raises(AccessDenied):  # care workers do not change contact details
        services.team_contact_update(actor=actor_for("home.uk"), person_id=arthur.pk,
                                     member_id=member(arthur, "Oakwood Care Home").pk,
                                     data={"phone": "01632 000 000"}, expected_version=None)
    with pytest.raises(StaleVersion):
        services.team_contact_update(actor=gp, person_id=arthur.pk, member_id=riverside.pk,
                                     data={"hours": "x"}, expected_version=1)
    api = api_as("gp.uk")
    listed = {c["organisation"]["name"]: c for c in
              api.get(f"/people/{arthur.pk}/care-team-contacts").json()}
    assert listed["Riverside Surgery"]["version"] == 2
    url = f"/people/{arthur.pk}/care-team-contacts/{riverside.pk}"
    assert_problem(api.patch(url, {"phone": "01632 960 101"}), 428)
    assert_problem(api.patch(url, {"phone": "01632 960 101"}, HTTP_IF_MATCH='W/"1"'), 412)
    assert_problem(api.patch(url, {"email": "not an email"}, HTTP_IF_MATCH='W/"2"'), 422)
    assert_problem(api.patch(url, {"phone": "call me"}, HTTP_IF_MATCH='W/"2"'), 422)
    assert_problem(api.patch(url, {"colour": "red"}, HTTP_IF_MATCH='W/"2"'), 422)
    done = api.patch(url, {"phone": "01632 960 101"}, HTTP_IF_MATCH='W/"2"')
    assert done.status_code == 200 and done["ETag"] == 'W/"3"'
    assert api_as("home.uk").patch(url, {"phone": "1"}, HTTP_IF_MATCH='W/"3"').status_code == 404
    assert api_as("sw.uk").patch(url, {"phone": "1"}, HTTP_IF_MATCH='W/"3"').status_code == 403


def test_one_key_worker_per_organisation_and_one_lead_coordinator(actor_for, arthur, org) -> None:  # noqa: ANN001
    gp = actor_for("gp.uk")
    riverside = member(arthur, "Riverside Surgery")
    second = CareTeamMember.objects.create(person=arthur, organisation=org("Riverside Surgery"),
                                           role="Practice nurse", start_date=riverside.start_date)
    sharing.recompute([arthur.pk])
    services.team_contact_update(actor=gp, person_id=arthur.pk, member_id=second.pk,
                                 data={"key_worker": True}, expected_version=None)
    services.team_contact_update(actor=gp, person_id=arthur.pk, member_id=riverside.pk,
                                 data={"key_worker": True}, expected_version=None)
    keys = TeamContact.objects.filter(person=arthur, organisation=org("Riverside Surgery"),
                                      key_worker=True)
    assert [c.member_id for c in keys] == [riverside.pk]
    # the council's social worker is the lead; the GP takes over the lead
    assert TeamContact.objects.get(person=arthur, lead_coordinator=True).member == \
        member(arthur, "Northshire Council Adult Social Care")
    services.team_contact_update(actor=gp, person_id=arthur.pk, member_id=riverside.pk,
                                 data={"lead_coordinator": True}, expected_version=None)
    assert TeamContact.objects.get(person=arthur, lead_coordinator=True).member == riverside
    entry = TimelineEntry.objects.filter(person=arthur, kind="notes.lead_coordinator").latest("at")
    assert entry.data["organisation"] == "Riverside Surgery"
    with pytest.raises(ValidationFailed):
        services.team_contact_update(actor=gp, person_id=arthur.pk, member_id=riverside.pk,
                                     data={"lead_coordinator": "yes"}, expected_version=None)


def test_a_member_of_another_person_is_a_404(actor_for, arthur, maya) -> None:  # noqa: ANN001
    mayas = member(maya, "Riverside Surgery")
    with pytest.raises(AccessDenied):
        services.team_contact_update(actor=actor_for("gp.uk"), person_id=arthur.pk,
                                     member_id=mayas.pk, data={"phone": "1"},
                                     expected_version=None)
    client = sign_in(Client(), "gp.uk")
    assert client.get(f"/people/{arthur.pk}/contacts/{mayas.pk}/").status_code == 404


def test_the_contact_page(arthur) -> None:  # noqa: ANN001
    riverside = member(arthur, "Riverside Surgery")
    client = sign_in(Client(), "gp.uk")
    url = f"/people/{arthur.pk}/contacts/{riverside.pk}/"
    assert client.get(url).status_code == 200
    bad = client.post(url, {"email": "nope", "version": "1"})
    assert bad.status_code == 400 and "Enter an email address" in bad.content.decode()
    stale = client.post(url, {"phone": "01632 960 111", "version": "9"})
    assert stale.status_code == 412
    assert client.post(url, {"phone": "01632 960 111", "version": "1"}).status_code == 302
    assert TeamContact.objects.get(member=riverside).phone == "01632 960 111"
    assert sign_in(Client(), "sw.uk").get(url).status_code == 404  # not theirs to change


def test_out_of_hours_numbers(actor_for) -> None:  # noqa: ANN001
    with pytest.raises(NotPermitted):
        services.out_of_hours_set(actor=actor_for("home.uk"), phone="01632 960 210")
    with pytest.raises(ValidationFailed):
        services.out_of_hours_set(actor=actor_for("gp.uk"), phone="ring the bell")
    services.out_of_hours_set(actor=actor_for("gp.uk"), phone="111", details="NHS 111")
    client = sign_in(Client(), "gp.uk")
    assert client.post("/out-of-hours/", {"phone": ""}).status_code == 400
    assert client.post("/out-of-hours/", {"phone": "01632 960 199",
                                          "details": "Duty doctor"}).status_code == 302
    row = OutOfHours.objects.get(organisation__name="Riverside Surgery")
    assert (row.phone, row.details) == ("01632 960 199", "Duty doctor")
