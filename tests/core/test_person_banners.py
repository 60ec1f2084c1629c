"""Person banners (core.registry.PersonBanner): what an app registers shows first on every
page of the person, after the gate, and nowhere for a reader the gate refuses. (The plans
app adds its crisis-plan banner this way; notes adds the warnings.)"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client

from careweave.core.registry import PersonBanner, Registry, registry
from tests.support import sign_in

pytestmark = pytest.mark.django_db

TEMPLATES = Path(__file__).parent / "templates"
calls: list[str] = []


def load_banner(actor, person, decision):  # noqa: ANN001, ANN201
    calls.append(actor.user.username)
    if actor.role == "care_worker":
        return None
    return {"text": "call the crisis team first"}


BANNER = PersonBanner(key="test.crisis", template="registry_test/banner.html",
                      load=load_banner, order=5, app="tests")


@pytest.fixture
def test_app(settings):  # noqa: ANN001, ANN201
    settings.TEMPLATES = [{**settings.TEMPLATES[0],
                           "DIRS": [*settings.TEMPLATES[0]["DIRS"], TEMPLATES]}]
    calls.clear()
    with registry.temporarily(BANNER):
        yield


def test_a_banner_is_first_on_every_page_of_the_person(test_app, arthur) -> None:  # noqa: ANN001
    client = sign_in(Client(), "gp.uk")
    for page in ("", "timeline/", "consents/add/", "notes/", "medicines/", "access-log/"):
        html = client.get(f"/people/{arthur.pk}/{page}").content.decode()
        assert "Crisis plan for Arthur: call the crisis team first (own-organisation)" in html
        # in order: this banner (5) before the warnings (10), both before the page's heading
        assert html.index("test-banner") < html.index('id="warnings-banner"') < \
            html.index("<h1"), page
    # the person page asks the gate once and shares its decision with the banners
    assert calls == ["gp.uk"] * 6


def test_no_banner_for_a_refused_reader_and_the_loader_never_runs(test_app, arthur, maya) -> None:  # noqa: ANN001
    for username, person in (("outsider.uk", arthur), ("sw.uk", maya)):
        response = sign_in(Client(), username).get(f"/people/{person.pk}/")
        assert response.status_code == 404 and b"Crisis plan" not in response.content
    assert calls == []


def test_a_loader_may_show_no_banner(test_app, arthur) -> None:  # noqa: ANN001
    html = sign_in(Client(), "home.uk").get(f"/people/{arthur.pk}/").content.decode()
    assert "test-banner" not in html and 'id="warnings-banner"' in html
    assert calls == ["home.uk"]


def test_no_banner_on_pages_without_a_person(test_app, demo) -> None:  # noqa: ANN001
    assert b"test-banner" not in sign_in(Client(), "gp.uk").get("/caseload/").content
    assert calls == []


def test_banners_are_ordered_and_registered_once() -> None:
    local = Registry()
    later = PersonBanner(key="b", template="t", load=load_banner, order=20)
    sooner = PersonBanner(key="a", template="t", load=load_banner, order=10)
    local.person_banner(later)
    local.person_banner(sooner)
    assert local.person_banners() == [sooner, later]
    with pytest.raises(ValueError):
        local.person_banner(sooner)
