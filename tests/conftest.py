"""Shared fixtures: the demo cast, actors, and the shared test-data folder."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from careweave.core.context import Actor

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture
def shared_data() -> Path:
    """../shared/data: fails in CI when missing, skips elsewhere."""
    if not SHARED_DATA.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"shared test data missing at {SHARED_DATA}")
        pytest.skip(f"shared test data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture
def demo(db):  # noqa: ANN001
    """The demo organisations, staff and people (deterministic)."""
    from careweave.demo.loader import load_demo

    return load_demo(reset=True, log=lambda _m: None)


@pytest.fixture
def actor_for(demo) -> Callable[..., Actor]:  # noqa: ANN001
    """actor_for("gp.uk") or actor_for("privacy.uk", org="Hillside Medical Practice")."""
    from django.contrib.auth import get_user_model

    from careweave.orgs.models import Membership

    def make(username: str, org: str | None = None) -> Actor:
        user = get_user_model().objects.get(username=username)
        qs = Membership.objects.select_related("organisation").filter(user=user)
        if org:
            qs = qs.filter(organisation__name=org)
        return Actor(user=user, membership=qs.order_by("organisation__name").first())

    return make


@pytest.fixture
def person_named() -> Callable[[str], object]:
    from careweave.people.models import Person

    def get(given: str, family: str | None = None):  # noqa: ANN202
        qs = Person.objects.filter(given_name=given)
        if family:
            qs = qs.filter(family_name=family)
        return qs.get()

    return get


@pytest.fixture
def login_as(client, demo):  # noqa: ANN001
    """Log the Django test client in as a demo user (2FA exempt), acting in their first org."""
    from django.contrib.auth import get_user_model

    def do(username: str):  # noqa: ANN202
        client.force_login(get_user_model().objects.get(username=username))
        return client

    return do


@pytest.fixture
def api_as(actor_for):  # noqa: ANN001, ANN201
    """api_as("gp.uk") -> an ApiClient with a fresh token for the user's membership."""
    from careweave.access.services import token_create
    from tests.support import ApiClient

    def make(username: str, org: str | None = None) -> ApiClient:
        actor = actor_for(username, org=org)
        _token, raw = token_create(membership=actor.membership, name="test")
        return ApiClient(raw)

    return make


@pytest.fixture
def anonymous(demo):  # noqa: ANN001, ANN201
    from tests.support import ApiClient

    return ApiClient()


@pytest.fixture
def arthur(demo, person_named):  # noqa: ANN001, ANN201
    return person_named("Arthur", "Penrose")


@pytest.fixture
def maya(demo, person_named):  # noqa: ANN001, ANN201
    return person_named("Maya", "Okafor")


@pytest.fixture
def org():  # noqa: ANN201
    from careweave.orgs.models import Organisation

    return lambda name: Organisation.objects.get(name=name)
