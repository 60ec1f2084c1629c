"""The header menu and the landing page follow the role the user acts in: each role sees
only what it may use, and starts on the page it works from."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from careweave.orgs.middleware import SESSION_MEMBERSHIP
from careweave.orgs.models import Membership
from tests.support import text

pytestmark = pytest.mark.django_db
PASSWORD = "careweave-demo"

MENU = {
    "gp.uk": ["My caseload", "Add a person", "Assessments to follow up", "Emergency access"],
    "sw.uk": ["My caseload", "Add a person", "Assessments to follow up", "Emergency access"],
    # care workers cannot break the glass
    "home.uk": ["My caseload", "Add a person", "Assessments to follow up"],
    "privacy.se": ["Audit log", "Emergency access report"],
    "analyst.uk": ["Insights"],
    "orgadmin.uk": ["Staff"],
    "orgadmin.se": ["Staff"],
}

LANDING = {
    "gp.uk": "/caseload/",
    "home.uk": "/caseload/",
    "privacy.se": "/audit/",
    "analyst.uk": "/insights/",
    "orgadmin.uk": "/staff/",
    "orgadmin.se": "/staff/",
}


def menu_of(page: str) -> list[str]:
    nav = re.search(r'<ul class="govuk-service-navigation__list" id="navigation">(.*?)</ul>',
                    page, re.S)
    if nav is None:
        return []
    return [re.sub(r"<[^>]+>", "", item).strip()
            for item in re.findall(r"<li[^>]*>(.*?)</li>", nav.group(1), re.S)]


@pytest.mark.parametrize(("username", "expected"), MENU.items())
def test_the_menu_shows_what_the_role_may_use(demo, client: Client, username: str,  # noqa: ANN001
                                              expected: list[str]) -> None:
    response = client.post("/login/", {"username": username, "password": PASSWORD})
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert menu_of(text(page)) == expected


@pytest.mark.parametrize(("username", "landing"), LANDING.items())
def test_each_role_lands_on_its_own_page(demo, client: Client, username: str,  # noqa: ANN001
                                         landing: str) -> None:
    response = client.post("/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == landing
    assert client.get("/")["Location"] == landing
    assert client.get(landing).status_code == 200


def test_the_platform_admin_chooses_then_lands_on_organisations(demo, client: Client) -> None:  # noqa: ANN001, E501
    response = client.post("/login/", {"username": "admin", "password": PASSWORD})
    assert response["Location"] == "/acting-as/"
    platform = Membership.objects.get(user__username="admin", role="platform_admin")
    response = client.post("/acting-as/", {"membership": str(platform.pk)})
    assert response["Location"] == "/"
    assert client.get("/")["Location"] == "/organisations/"
    assert menu_of(text(client.get("/organisations/"))) == ["Organisations"]
    # acting as "Administrator", a superuser is a platform administrator too
    session = client.session
    session[SESSION_MEMBERSHIP] = str(Membership.objects.get(user__username="admin",
                                                             role="admin").pk)
    session.save()
    assert client.get("/")["Location"] == "/organisations/"


def test_a_care_role_still_goes_where_it_was_going(demo, client: Client, arthur) -> None:  # noqa: ANN001, E501
    response = client.post(f"/login/?next=/people/{arthur.pk}/",
                           {"username": "gp.uk", "password": PASSWORD,
                            "next": f"/people/{arthur.pk}/"})
    assert response["Location"] == f"/people/{arthur.pk}/"


@pytest.mark.parametrize("username", ["privacy.se", "analyst.uk", "orgadmin.uk"])
def test_roles_without_records_have_no_caseload(login_as, username: str) -> None:  # noqa: ANN001
    client = login_as(username)
    assert client.get("/caseload/").status_code == 404
    landing = client.get(client.get("/")["Location"])
    assert landing.status_code == 200
    assert "Add a person" not in text(landing) and "My caseload" not in text(landing)


def test_the_service_name_links_home(login_as) -> None:  # noqa: ANN001
    page = text(login_as("orgadmin.uk").get("/staff/"))
    assert 'href="/" class="govuk-service-navigation__link">Careweave</a>' in page
