"""The analysts' page: insights are coming; nobody else may open it."""

from __future__ import annotations

import pytest

from careweave.audit.models import AuditEvent
from tests.support import text

pytestmark = pytest.mark.django_db


def test_an_analyst_sees_that_insights_are_coming(login_as) -> None:  # noqa: ANN001
    page = login_as("analyst.uk").get("/insights/")
    assert page.status_code == 200
    assert "Insights are coming" in text(page)
    assert "Add a person" not in text(page)


@pytest.mark.parametrize("who", ["gp.uk", "privacy.se", "orgadmin.uk"])
def test_nobody_else_opens_it(login_as, who: str) -> None:  # noqa: ANN001
    assert login_as(who).get("/insights/").status_code == 404
    assert AuditEvent.objects.filter(outcome="denied", object_type="Insights",
                                     username=who).count() == 1


def test_anonymous_users_are_sent_to_sign_in(demo, client) -> None:  # noqa: ANN001
    response = client.get("/insights/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
