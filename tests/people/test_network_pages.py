"""The social network and the person page's panels, in the browser."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from careweave.access.models import CareTeamMember, Consent
from careweave.audit.models import AuditEvent
from careweave.people.models import Person, RelatedPerson
from tests.support import messages_of, sign_in, text

pytestmark = pytest.mark.django_db

ARTHUR_NHS = "943 476 5919"


def person_routes(person: Person) -> list[str]:
    """Every person-scoped page of this module, for ``person``."""
    member = CareTeamMember.objects.filter(person=person).first()
    consent = Consent.objects.filter(person=person).first()
    assert member is not None and consent is not None
    kw = {"person_id": person.pk}
    return [
        reverse("access:care_team_add", kwargs=kw),
        reverse("access:care_team_end", kwargs={**kw, "member_id": member.pk}),
        reverse("access:consent_add", kwargs=kw),
        reverse("access:consent_withdraw", kwargs={**kw, "consent_id": consent.pk}),
        reverse("people:network_add", kwargs=kw),
        reverse("audit:access_log", kwargs=kw),
    ]


# -- who may open the person-scoped pages ----------------------------------------------------


def test_add_someone_to_the_social_network(client: Client, arthur: Person) -> None:
    sign_in(client, "gp.uk")
    url = reverse("people:network_add", kwargs={"person_id": arthur.pk})
    assert "Relationship to the person" in text(client.get(url))
    response = client.post(url, {"name": "Åke Öström", "relationship": "friend",
                                 "phone": "07700 900999", "is_carer": "on"})
    assert response.status_code == 302
    related = RelatedPerson.objects.get(person=arthur, name="Åke Öström")
    assert related.is_carer and not related.is_next_of_kin and not related.may_share
    assert "Åke Öström has been added to the social network." in messages_of(response)
    assert AuditEvent.objects.filter(object_type="RelatedPerson",
                                     object_id=str(related.pk)).exists()


def test_social_network_bad_input(client: Client, arthur: Person) -> None:
    sign_in(client, "gp.uk")
    url = reverse("people:network_add", kwargs={"person_id": arthur.pk})
    response = client.post(url, {"name": "", "relationship": "cousin", "phone": "0" * 41})
    assert response.status_code == 400
    page = text(response)
    assert "Enter a name." in page
    assert "Choose a relationship from the list." in page
    assert "Phone must be 40 characters or fewer." in page
    assert RelatedPerson.objects.filter(person=arthur).count() == 1


def test_person_page_panels_render(rf, arthur: Person, actor_for) -> None:  # noqa: ANN001
    """The registered panels of the person page: every row has its action link."""
    from careweave.access.models import CareTeamMember, Consent
    from careweave.people.selectors import person_detail
    from careweave.people.views import render_panels

    actor = actor_for("gp.uk")
    detail = person_detail(actor=actor, person_id=arthur.pk)
    request = rf.get("/")
    request.user = actor.user
    panels = [p for p in render_panels(request, actor, detail["person"], detail["decision"])
              if p["key"].split(".")[0] in ("access", "people")]  # other apps test their own
    assert [p["key"] for p in panels][:3] == ["access.care_team", "access.consent",
                                              "people.network"]
    html = "".join(p["html"] for p in panels if p["key"] != "people.timeline")
    for member in CareTeamMember.objects.filter(person=arthur):
        end = reverse("access:care_team_end", kwargs={"person_id": arthur.pk,
                                                      "member_id": member.pk})
        # the registering organisation's place cannot end (it transfers registration)
        assert (end in html) == (member.organisation_id != arthur.registered_by_id)
    assert "Who can see this record now" in html
    consent = Consent.objects.filter(person=arthur).first()
    assert reverse("access:consent_withdraw", kwargs={"person_id": arthur.pk,
                                                      "consent_id": consent.pk}) in html
    assert reverse("audit:access_log", kwargs={"person_id": arthur.pk}) in html
    assert "Jean Penrose-Hill" in html and html.count("<caption") == 3
