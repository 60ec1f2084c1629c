"""Person banners (careweave.core.registry.PersonBanner): a warning an app registers is shown
first on the person page, above the name, to whoever may see the person; a loader that
returns None shows nothing; nobody else sees it."""

from __future__ import annotations

from pathlib import Path

import pytest

from careweave.core.registry import PersonBanner, Registry, registry

pytestmark = pytest.mark.django_db

TEMPLATES = Path(__file__).parent / "templates"


def load_banner(actor, person, decision):  # noqa: ANN001, ANN201
    if person.family_name != "Penrose":
        return None  # the usual case: nothing to warn about
    return {"warning": "uses a hearing aid on the left"}


BANNER = PersonBanner(key="test.banner", template="banner_test/banner.html", load=load_banner,
                      app="tests")


@pytest.fixture
def with_banner(settings):  # noqa: ANN001, ANN201
    settings.TEMPLATES = [{**settings.TEMPLATES[0],
                           "DIRS": [*settings.TEMPLATES[0]["DIRS"], TEMPLATES]}]
    with registry.temporarily(BANNER):
        yield


def test_a_banner_comes_first(with_banner, login_as, arthur) -> None:  # noqa: ANN001
    page = login_as("gp.uk").get(f"/people/{arthur.pk}/").content.decode()
    assert "Warning for Arthur: uses a hearing aid on the left" in page
    assert page.index("test-banner") < page.index("<h1")


def test_no_banner_when_the_loader_has_nothing(with_banner, login_as, maya) -> None:  # noqa: ANN001
    assert "test-banner" not in login_as("gp.uk").get(f"/people/{maya.pk}/").content.decode()


def test_no_banner_for_who_may_not_see_the_person(with_banner, login_as, arthur) -> None:  # noqa: ANN001
    response = login_as("outsider.uk").get(f"/people/{arthur.pk}/")
    assert response.status_code == 404 and "hearing aid" not in response.content.decode()


def test_banners_register_once_in_order() -> None:
    fresh = Registry()
    late = PersonBanner(key="b.late", template="x.html", load=load_banner, order=90)
    early = PersonBanner(key="a.early", template="x.html", load=load_banner, order=10)
    fresh.person_banner(late)
    fresh.person_banner(early)
    assert fresh.person_banners() == [early, late]
    with pytest.raises(ValueError, match="registered already"):
        fresh.person_banner(early)
    with fresh.temporarily(PersonBanner(key="c.tmp", template="x.html", load=load_banner)):
        assert len(fresh.person_banners()) == 3
    assert len(fresh.person_banners()) == 2
