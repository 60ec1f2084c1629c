"""The token cache (careweave/access/tokencache.py): a token's lookup is served from the
worker's memory, and every change that could end or alter what the token may do clears it
on commit, through PostgreSQL's NOTIFY, whoever makes the change (our services, the API,
the admin or a hand-written UPDATE). These tests commit for real (transactional) and use
the real listener thread and connection."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from careweave.access import tokencache
from careweave.access.models import ApiToken
from careweave.access.services import token_authenticate, token_create
from careweave.orgs import services as org_services
from careweave.orgs.models import Membership, Organisation
from tests.orgs.conftest import membership_of
from tests.support import ApiClient

pytestmark = pytest.mark.django_db(transaction=True)
User = get_user_model()


@pytest.fixture
def cache_on(settings: Any) -> Iterator[None]:
    if connection.vendor != "postgresql":
        pytest.skip("NOTIFY is PostgreSQL's: on SQLite the token cache is off "
                    "(test_the_cache_is_off_on_sqlite)")
    settings.CAREWEAVE = {**settings.CAREWEAVE, "TOKEN_CACHE_SECONDS": 60}
    assert tokencache.wait_until_listening(), "the listener did not start"
    yield
    tokencache.stop()


def settle() -> None:
    """Wait until every notification committed so far has reached the listener.

    Setting up (the demo, the token) commits changes whose notifications arrive a little
    later, on the listener's thread; one arriving in the middle of a test would clear the
    cache under it. Notifications are delivered in commit order, so once a fence sent
    now is heard, every earlier one has been."""
    fence = f"fence-{uuid.uuid4()}"
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_notify(%s, %s)", [tokencache.CHANNEL, fence])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if tokencache.last_payload() == fence:
            return
        time.sleep(0.01)
    raise AssertionError("the fence notification never arrived")


def wait_for_clear(before: int, *, at_least: int = 1) -> int:
    """Wait until the listener has cleared the cache (a notification arrived)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        clears = int(tokencache.stats()["clears"])
        if clears >= before + at_least:
            return clears
        time.sleep(0.01)
    raise AssertionError("no notification reached the token cache")


@pytest.fixture
def gp_token(demo: Any) -> str:  # noqa: ARG001
    _token, raw = token_create(membership=membership_of("gp.uk"), name="test")
    return raw


def cached(raw: str, django_assert_num_queries: Any) -> ApiToken:
    """Authenticate twice: the second time without a statement."""
    settle()
    first = token_authenticate(raw)
    assert first is not None
    with django_assert_num_queries(0):
        second = token_authenticate(raw)
    assert second is not None and second.pk == first.pk
    return second


def test_the_second_lookup_comes_from_the_cache(cache_on: None, gp_token: str,
                                                django_assert_num_queries: Any) -> None:
    token = cached(gp_token, django_assert_num_queries)
    assert token.membership.user.username == "gp.uk"
    assert token.membership.organisation.name == "Riverside Surgery"
    assert tokencache.stats()["hits"] >= 1


def test_each_request_gets_its_own_objects(cache_on: None, gp_token: str,
                                           django_assert_num_queries: Any) -> None:
    one = cached(gp_token, django_assert_num_queries)
    two = token_authenticate(gp_token)
    assert two is not None
    assert one is not two and one.membership is not two.membership
    assert one.membership.user is not two.membership.user


def _revoke(token: ApiToken) -> None:
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())


def _delete(token: ApiToken) -> None:
    ApiToken.objects.filter(pk=token.pk).delete()


def _expire(token: ApiToken) -> None:
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now())


def _end_membership(token: ApiToken) -> None:
    Membership.objects.filter(pk=token.membership_id).update(is_active=False)


def _deactivate_user(token: ApiToken) -> None:
    User.objects.filter(pk=token.membership.user_id).update(is_active=False)


def _close_organisation(token: ApiToken) -> None:
    Organisation.objects.filter(pk=token.membership.organisation_id).update(is_active=False)


def _staff_deactivate(token: ApiToken) -> None:
    admin = membership_of("orgadmin.uk")
    from careweave.core.context import Actor

    org_services.staff_deactivate(actor=Actor(user=admin.user, membership=admin),
                                  user_id=token.membership.user_id)


@pytest.mark.parametrize("change", [_revoke, _delete, _expire, _end_membership,
                                    _deactivate_user, _close_organisation, _staff_deactivate],
                         ids=lambda f: f.__name__.strip("_"))
def test_a_change_ends_the_cached_token_at_once(cache_on: None, gp_token: str,
                                                 django_assert_num_queries: Any,
                                                 change: Callable[[ApiToken], None]) -> None:
    token = cached(gp_token, django_assert_num_queries)
    before = int(tokencache.stats()["clears"])
    change(token)  # committed: the test runs in autocommit, as a request does
    wait_for_clear(before)
    assert token_authenticate(gp_token) is None


def test_a_changed_role_is_read_again(cache_on: None, gp_token: str,
                                      django_assert_num_queries: Any) -> None:
    token = cached(gp_token, django_assert_num_queries)
    assert token.membership.role == "clinician"
    before = int(tokencache.stats()["clears"])
    Membership.objects.filter(pk=token.membership_id).update(role="nurse")
    wait_for_clear(before)
    again = token_authenticate(gp_token)
    assert again is not None and again.membership.role == "nurse"


def test_use_and_logins_do_not_clear_it(cache_on: None, gp_token: str,
                                        django_assert_num_queries: Any) -> None:
    token = cached(gp_token, django_assert_num_queries)
    before = int(tokencache.stats()["clears"])
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    User.objects.filter(pk=token.membership.user_id).update(last_login=timezone.now())
    # Notifications arrive in commit order: once this one is in, any earlier one would be.
    Organisation.objects.filter(name="Vårdcentralen Nordstan").update(name="Vårdcentralen Nordstan")
    assert wait_for_clear(before) == before + 1


def test_a_lookup_read_before_a_clear_is_not_kept(cache_on: None, gp_token: str,
                                                  django_assert_num_queries: Any) -> None:
    settle()
    generation = tokencache.begin()
    tokencache.clear()  # a notification arrived while the lookup was in the database
    tokencache.put("somekey", ("a",), generation, None)
    assert tokencache.get("somekey") is None
    tokencache.put("somekey", ("a",), tokencache.begin(), None)
    assert tokencache.get("somekey") is not None


def test_losing_the_listener_stops_using_the_cache(cache_on: None, gp_token: str,
                                                   django_assert_num_queries: Any) -> None:
    cached(gp_token, django_assert_num_queries)
    before = int(tokencache.stats()["clears"])
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                       "WHERE application_name = %s AND datname = current_database()",
                       [tokencache.APPLICATION_NAME])
        assert cursor.fetchone() is not None
    wait_for_clear(before)  # the failure, or the reconnection, cleared it
    with django_assert_num_queries(1):
        assert token_authenticate(gp_token) is not None
    assert tokencache.wait_until_listening(), "the listener did not come back"
    cached(gp_token, django_assert_num_queries)


def test_through_the_api_a_deactivated_member_of_staff_is_refused_at_once(
        cache_on: None, gp_token: str) -> None:
    client = ApiClient(gp_token)
    settle()
    assert client.get("/me").status_code == 200
    assert client.get("/me").status_code == 200
    assert tokencache.stats()["hits"] >= 1
    _admin_token, admin_raw = token_create(membership=membership_of("orgadmin.uk"))
    gp_id = User.objects.get(username="gp.uk").pk
    before = int(tokencache.stats()["clears"])
    answer = ApiClient(admin_raw).post(f"/staff/{gp_id}/deactivate")
    assert answer.status_code == 200, answer.content[:300]
    wait_for_clear(before)
    assert client.get("/me").status_code == 401


def test_the_cache_is_off_on_sqlite(settings: Any, gp_token: str,
                                    django_assert_num_queries: Any) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite side of the token cache")
    settings.CAREWEAVE = {**settings.CAREWEAVE, "TOKEN_CACHE_SECONDS": 60}
    assert not tokencache.enabled()
    assert token_authenticate(gp_token) is not None
    with django_assert_num_queries(1):
        assert token_authenticate(gp_token) is not None


def test_the_cache_is_off_when_its_lifetime_is_zero(settings: Any, gp_token: str,
                                                    django_assert_num_queries: Any) -> None:
    settings.CAREWEAVE = {**settings.CAREWEAVE, "TOKEN_CACHE_SECONDS": 0}
    assert not tokencache.enabled()
    assert token_authenticate(gp_token) is not None
    with django_assert_num_queries(1):
        assert token_authenticate(gp_token) is not None
