from __future__ import annotations

import pytest


@pytest.fixture
def astrid(demo, person_named):  # noqa: ANN001, ANN201
    return person_named("Astrid", "Lindqvist")


@pytest.fixture
def asa(demo, person_named):  # noqa: ANN001, ANN201
    return person_named("Åsa", "Öberg")


@pytest.fixture
def break_glass(actor_for):  # noqa: ANN001, ANN201
    """break_glass("outsider.uk", person): emergency access, as the service grants it."""
    from careweave.access.services import break_glass_start

    def start(username: str, person) -> None:  # noqa: ANN001
        break_glass_start(actor=actor_for(username), person_id=person.pk,
                          reason="Unconscious in A&E, need the crisis plan")

    return start
