"""The administration cast, on top of the demo:

- Alice, ``orgadmin.uk``: organisation administrator of Riverside Surgery (may manage its staff)
- Bob, ``orgadmin.se``: organisation administrator of Vårdcentralen Nordstan (another
  organisation: may not touch Riverside's staff)
- Charlie, ``gp.uk``: a clinician at Riverside (no administration at all)
- Pat, ``admin`` acting as platform administrator (organisations, areas, any invitation)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client

from careweave.core.context import Actor
from careweave.orgs.middleware import SESSION_MEMBERSHIP
from careweave.orgs.models import Membership
from tests.support import ApiClient

LINK = re.compile(r"https?://[^\s]+/invitations/(cwi_[A-Za-z0-9_-]+)/")


def membership_of(username: str, role: str | None = None) -> Membership:
    qs = Membership.objects.select_related("organisation", "user").filter(
        user__username=username)
    if role:
        qs = qs.filter(role=role)
    return qs.order_by("organisation__name", "role").first()


@pytest.fixture
def acting(demo) -> Callable[..., Actor]:  # noqa: ANN001
    """acting("admin", "platform_admin"): the user acting through that membership."""

    def make(username: str, role: str | None = None) -> Actor:
        membership = membership_of(username, role)
        return Actor(user=membership.user, membership=membership)

    return make


@pytest.fixture
def alice(acting) -> Actor:  # noqa: ANN001
    return acting("orgadmin.uk")


@pytest.fixture
def bob(acting) -> Actor:  # noqa: ANN001
    return acting("orgadmin.se")


@pytest.fixture
def charlie(acting) -> Actor:  # noqa: ANN001
    return acting("gp.uk")


@pytest.fixture
def platform(acting) -> Actor:  # noqa: ANN001
    return acting("admin", "platform_admin")


@pytest.fixture
def page_as(demo) -> Callable[..., Client]:  # noqa: ANN001
    """page_as("admin", "platform_admin"): a signed-in test client acting through it."""

    def make(username: str, role: str | None = None) -> Client:
        client = Client()
        membership = membership_of(username, role)
        client.force_login(get_user_model().objects.get(username=username))
        session = client.session
        session[SESSION_MEMBERSHIP] = str(membership.pk)
        session.save()
        return client

    return make


@pytest.fixture
def api_for(demo) -> Callable[..., ApiClient]:  # noqa: ANN001
    from careweave.access.services import token_create

    def make(username: str, role: str | None = None) -> ApiClient:
        _token, raw = token_create(membership=membership_of(username, role), name="test")
        return ApiClient(raw)

    return make


def link_for(raw: str) -> str:
    return f"http://testserver/invitations/{raw}/"


def last_token() -> str:
    """The token in the newest invitation e-mail."""
    assert mail.outbox, "no e-mail was sent"
    match = LINK.search(mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    return match.group(1)


@pytest.fixture
def invite(alice) -> Callable[..., str]:  # noqa: ANN001
    """invite("new@example.org", ["nurse"]): Alice invites; returns the link's token."""
    from careweave.orgs.services import invitation_create

    def make(email: str = "new.nurse@example.org", roles: Any = ("nurse",),
             actor: Actor | None = None, **kwargs: Any) -> str:
        invitation_create(actor=actor or alice, email=email, roles=list(roles),
                          link_for=link_for, **kwargs)
        return last_token()

    return make
