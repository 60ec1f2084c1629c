"""A date of birth is in the sane range (careweave.core.dates): not in the future, not
before 1880; pages and the API give the same clear message, in English and Swedish, and
write nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.test import Client
from django.utils import timezone

from careweave.people.models import Person
from tests.support import assert_problem, sign_in

pytestmark = pytest.mark.django_db

NEW = {"given_name": "Ebba", "family_name": "Åkesson"}


def tomorrow() -> dt.date:
    """Worked out when the test runs, not when it is collected (a run may cross midnight)."""
    return timezone.localdate() + dt.timedelta(days=1)


def _day(born: str) -> str:
    """"today" and "tomorrow" as dates of the moment the test runs; other values as given."""
    return {"today": timezone.localdate().isoformat(),
            "tomorrow": tomorrow().isoformat()}.get(born, born)


@pytest.mark.parametrize(("born", "message"), [
    ("0001-01-01", "Date of birth must be in 1880 or later."),
    ("1879-12-31", "Date of birth must be in 1880 or later."),
    ("tomorrow", "Date of birth must be in the past."),
    ("9999-12-31", "Date of birth must be in the past."),
])
def test_api_refuses_a_birth_date_out_of_range(api_as, born: str, message: str) -> None:  # noqa: ANN001
    problem = assert_problem(api_as("gp.uk").post("/people", {**NEW, "birth_date": _day(born)}),
                             422)
    assert problem["errors"]["birth_date"] == [message]
    assert not Person.objects.filter(family_name="Åkesson").exists()


@pytest.mark.parametrize("born", ["1880-01-01", "today"])
def test_api_accepts_the_ends_of_the_range(api_as, born: str) -> None:  # noqa: ANN001
    response = api_as("gp.uk").post("/people", {**NEW, "birth_date": _day(born)})
    assert response.status_code == 201, response.content[:300]


def test_api_change_to_a_birth_date_out_of_range_is_refused(api_as, arthur) -> None:  # noqa: ANN001
    problem = assert_problem(api_as("gp.uk").patch(
        f"/people/{arthur.pk}", {"birth_date": "1066-10-14"}, HTTP_IF_MATCH=arthur.etag), 422)
    assert "1880" in problem["errors"]["birth_date"][0]
    arthur.refresh_from_db()
    assert arthur.birth_date == dt.date(1934, 5, 2) and arthur.version == 1


def test_the_message_is_swedish_for_swedish_readers(api_as) -> None:  # noqa: ANN001
    problem = assert_problem(api_as("gp.se").post(
        "/people", {**NEW, "birth_date": tomorrow().isoformat()}, HTTP_ACCEPT_LANGUAGE="sv"), 422)
    assert problem["errors"]["birth_date"] == ["Födelsedatumet måste ha passerat."]


def _page_post(day: dt.date | None = None, **parts: str) -> dict[str, str]:
    data = {**NEW, "identifier_nhs": "", "living_situation": "", "area_code": ""}
    if day is not None:
        parts = {"birth_date_day": str(day.day), "birth_date_month": str(day.month),
                 "birth_date_year": str(day.year), **parts}
    return {**data, **parts}


@pytest.mark.parametrize(("form", "message"), [
    (lambda: _page_post(tomorrow()), "Date of birth must be in the past."),
    (lambda: _page_post(dt.date(1879, 12, 31)), "Enter a year from 1880 to 2200."),
    (lambda: _page_post(birth_date_day="1", birth_date_month="1", birth_date_year="0001"),
     "Enter a year from 1880 to 2200."),
], ids=["tomorrow", "1879", "year-1"])
def test_pages_refuse_a_birth_date_out_of_range(demo, form: Callable[[], dict[str, str]],  # noqa: ANN001
                                                message: str) -> None:
    response = sign_in(Client(), "gp.uk").post("/people/new/", form())
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Person.objects.filter(family_name="Åkesson").exists()


def test_pages_accept_a_birth_in_the_1880s(demo) -> None:  # noqa: ANN001
    """The page's date input used to stop at 1900, where the API allowed 1880."""
    response = sign_in(Client(), "gp.uk").post("/people/new/", _page_post(dt.date(1889, 6, 1)))
    assert response.status_code == 302
    assert Person.objects.get(family_name="Åkesson").birth_date == dt.date(1889, 6, 1)
