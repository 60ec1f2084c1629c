"""The hidden "Error:" before each field error (for screen readers) is in the page's
language, like everything else on it."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

HIDDEN = '<span class="govuk-visually-hidden">{}</span>'


@pytest.mark.parametrize(("language", "prefix"), [("en", "Error:"), ("sv", "Fel:")])
def test_field_errors_are_prefixed_in_the_page_language(language: str, prefix: str) -> None:
    response = Client().post("/login/", {"username": "", "password": ""},
                             HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 400
    page = response.content.decode()
    assert page.count(HIDDEN.format(prefix)) == 2  # username and password
    if language == "sv":
        assert HIDDEN.format("Error:") not in page
