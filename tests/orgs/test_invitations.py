"""Inviting staff by e-mail and accepting: who may invite, the link (one use, expires,
only its hash stored), new and existing accounts, bad input, replays and races."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import connection
from django.http import Http404
from django.test import Client
from django.utils import timezone

from careweave.audit.models import AuditEvent
from careweave.core.errors import NotPermitted, ValidationFailed
from careweave.orgs import services
from careweave.orgs.models import Invitation, Membership, Organisation
from careweave.orgs.services import InvitationUnusable, invitation_accept, invitation_create
from tests.orgs.conftest import last_token, link_for
from tests.support import text

pytestmark = pytest.mark.django_db
User = get_user_model()
PASSWORD = "Vårdkedja-2026!"


def accept_new(token: str, **overrides: str) -> object:
    data = {"username": "ny.sjuksköterska", "password": PASSWORD, "first_name": "Åsa",
            "last_name": "Öberg-Ärlig"}
    data.update(overrides)
    return invitation_accept(token=token, **data)


# -- who may invite ------------------------------------------------------------------------


def test_an_org_admin_invites_into_their_organisation(alice) -> None:  # noqa: ANN001
    invitation = invitation_create(actor=alice, email=" New.Nurse@EXAMPLE.org ",
                                   roles=["nurse", "coordinator"], link_for=link_for)
    assert invitation.organisation.name == "Riverside Surgery"
    assert invitation.email == "New.Nurse@example.org"  # the domain is case-insensitive
    assert invitation.roles == ["coordinator", "nurse"]
    assert invitation.expires_at - invitation.created_at == pytest.approx(
        dt.timedelta(days=7), abs=dt.timedelta(seconds=5))
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["New.Nurse@example.org"]
    assert "Riverside Surgery" in message.subject
    assert "Nurse" in message.body and "Care coordinator" in message.body
    raw = last_token()
    # Only the hash is stored, and the token is in no audit event.
    assert invitation.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in json.dumps(list(Invitation.objects.values()), default=str)
    event = AuditEvent.objects.get(action="create", object_type="Invitation")
    assert event.username == "orgadmin.uk" and event.outcome == "allowed"
    assert event.detail["roles"] == ["coordinator", "nurse"]
    assert all(raw not in json.dumps(e.detail) for e in AuditEvent.objects.all())


@pytest.mark.parametrize("who", ["gp.uk", "privacy.uk", "analyst.uk"])
def test_staff_who_are_not_admins_cannot_invite(acting, who: str) -> None:  # noqa: ANN001
    actor = acting(who)
    with pytest.raises(Http404):
        invitation_create(actor=actor, email="x@example.org", roles=["nurse"],
                          link_for=link_for)
    assert not Invitation.objects.exists() and not mail.outbox
    denied = AuditEvent.objects.get(outcome="denied", object_type="Invitation")
    assert denied.username == who and denied.legal_basis == services.NOT_ORG_ADMIN


def test_an_org_admin_cannot_invite_into_another_organisation(bob) -> None:  # noqa: ANN001
    riverside = Organisation.objects.get(name="Riverside Surgery")
    with pytest.raises(Http404):
        invitation_create(actor=bob, email="x@example.org", roles=["nurse"],
                          organisation_id=riverside.pk, link_for=link_for)
    assert not Invitation.objects.exists() and not mail.outbox
    assert AuditEvent.objects.filter(outcome="denied", username="orgadmin.se").count() == 1


def test_an_org_admin_cannot_grant_platform_admin(alice) -> None:  # noqa: ANN001
    with pytest.raises(NotPermitted):
        invitation_create(actor=alice, email="x@example.org", roles=["platform_admin"],
                          link_for=link_for)
    assert not Invitation.objects.exists() and not mail.outbox


def test_an_org_admin_may_make_another_org_admin(alice) -> None:  # noqa: ANN001
    invitation = invitation_create(actor=alice, email="deputy@example.org",
                                   roles=["org_admin"], link_for=link_for)
    assert invitation.roles == ["org_admin"]


def test_a_platform_admin_invites_into_any_organisation(platform) -> None:  # noqa: ANN001
    nordstan = Organisation.objects.get(name="Vårdcentralen Nordstan")
    invitation = invitation_create(actor=platform, email="chef@example.se",
                                   roles=["org_admin", "platform_admin"],
                                   organisation_id=nordstan.pk, link_for=link_for)
    assert invitation.organisation == nordstan
    # A Swedish organisation's invitation is written in Swedish.
    assert mail.outbox[0].to == ["chef@example.se"]


def test_nobody_invites_into_a_deactivated_organisation(platform) -> None:  # noqa: ANN001
    hillside = Organisation.objects.get(name="Hillside Medical Practice")
    hillside.is_active = False
    hillside.save()
    with pytest.raises(Http404):
        invitation_create(actor=platform, email="x@example.org", roles=["nurse"],
                          organisation_id=hillside.pk, link_for=link_for)


@pytest.mark.parametrize(("email", "roles", "days", "field"), [
    ("not an address", ["nurse"], None, "email"),
    ("", ["nurse"], None, "email"),
    ("a" * 10_000 + "@example.org", ["nurse"], None, "email"),
    ("ok@example.org", [], None, "roles"),
    ("ok@example.org", ["surgeon"], None, "roles"),
    ("ok@example.org", "nurse", None, "roles"),
    ("ok@example.org", [None], None, "roles"),
    ("åsa@example.se", ["nurse"], None, "email"),  # Django's validator: ASCII before the @
    ("ok@example.org", ["nurse"], 0, "days"),
    ("ok@example.org", ["nurse"], 31, "days"),
    (None, ["nurse"], None, "email"),
])
def test_bad_invitations_are_refused_and_nothing_is_sent(alice, email, roles, days, field) -> None:  # noqa: ANN001, E501
    with pytest.raises(ValidationFailed) as caught:
        invitation_create(actor=alice, email=email, roles=roles, days=days, link_for=link_for)
    assert field in caught.value.errors
    assert not Invitation.objects.exists() and not mail.outbox
    assert not AuditEvent.objects.filter(object_type="Invitation").exists()


def test_inviting_someone_who_already_has_the_roles_is_refused(alice) -> None:  # noqa: ANN001
    with pytest.raises(ValidationFailed) as caught:
        invitation_create(actor=alice, email="gp.uk@example.org", roles=["clinician"],
                          link_for=link_for)
    assert "email" in caught.value.errors


def test_a_new_invitation_cancels_the_earlier_one(invite) -> None:  # noqa: ANN001
    first = invite("twice@example.org")
    second = invite("twice@example.org")
    with pytest.raises(InvitationUnusable) as caught:
        accept_new(first)
    assert caught.value.status == 410
    accept_new(second)


def test_a_mail_server_that_refuses_undoes_everything(alice, monkeypatch) -> None:  # noqa: ANN001
    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("connection refused")

    monkeypatch.setattr(services, "send_mail", refuse)
    with pytest.raises(services.DeliveryFailed):
        invitation_create(actor=alice, email="x@example.org", roles=["nurse"],
                          link_for=link_for)
    assert not Invitation.objects.exists()
    assert not AuditEvent.objects.filter(object_type="Invitation").exists()


# -- accepting: a new account ----------------------------------------------------------------


def test_accepting_makes_an_account_with_the_roles(invite) -> None:  # noqa: ANN001
    token = invite("asa.oberg@vårdcentral.example", roles=["nurse", "coordinator"])
    user = accept_new(token)
    assert user.username == "ny.sjuksköterska"
    assert (user.first_name, user.last_name) == ("Åsa", "Öberg-Ärlig")
    assert user.email == "asa.oberg@vårdcentral.example"
    assert user.check_password(PASSWORD)
    assert user.staff_profile.two_factor_exempt is False  # real staff: 2FA at first sign-in
    roles = set(Membership.objects.filter(user=user, is_active=True)
                .values_list("role", "organisation__name"))
    assert roles == {("nurse", "Riverside Surgery"), ("coordinator", "Riverside Surgery")}
    invitation = Invitation.objects.get()
    assert invitation.accepted_by == user and invitation.accepted_at is not None
    created = AuditEvent.objects.get(action="create", object_type="Membership")
    assert created.detail["before"] == [] and created.detail["after"] == ["coordinator", "nurse"]
    assert AuditEvent.objects.filter(action="update", object_type="Invitation").count() == 1


def test_the_new_account_signs_in_and_must_set_up_two_factor(invite, client: Client) -> None:  # noqa: ANN001, E501
    accept_new(invite())
    response = client.post("/login/", {"username": "ny.sjuksköterska", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/two-factor/"


@pytest.mark.parametrize(("overrides", "field"), [
    ({"password": "password"}, "password"),  # common, and too short
    ({"password": "1234567890123"}, "password"),  # all numbers
    ({"password": "ny.sjuksköterska1"}, "password"),  # like the username
    ({"password": ""}, "password"),
    ({"password": "x" * 10_000}, "password"),
    ({"username": ""}, "username"),
    ({"username": "has space"}, "username"),
    ({"username": "u" * 151}, "username"),
    ({"username": "GP.UK"}, "username"),  # taken (case does not matter)
    ({"first_name": "\u200b\u200b"}, "first_name"),  # nothing visible
    ({"last_name": "x" * 151}, "last_name"),
])
def test_bad_account_details_are_refused_and_the_link_still_works(invite, overrides, field) -> None:  # noqa: ANN001, E501
    token = invite()
    before = User.objects.count()
    with pytest.raises(ValidationFailed) as caught:
        accept_new(token, **overrides)
    assert field in caught.value.errors
    assert User.objects.count() == before
    assert Invitation.objects.get().accepted_at is None
    accept_new(token)  # fixed: it works


def test_a_link_works_once(invite) -> None:  # noqa: ANN001
    token = invite()
    accept_new(token)
    with pytest.raises(InvitationUnusable) as caught:
        accept_new(token, username="someone.else")
    assert caught.value.status == 410 and caught.value.reason == "used"
    assert not User.objects.filter(username="someone.else").exists()


def test_an_expired_link_is_refused(invite) -> None:  # noqa: ANN001
    token = invite()
    Invitation.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    with pytest.raises(InvitationUnusable) as caught:
        accept_new(token)
    assert caught.value.reason == "expired" and "expired" in caught.value.message
    assert not User.objects.filter(username="ny.sjuksköterska").exists()


def test_a_cancelled_link_is_refused(invite, alice) -> None:  # noqa: ANN001
    token = invite()
    services.invitation_revoke(actor=alice, invitation_id=Invitation.objects.get().pk)
    with pytest.raises(InvitationUnusable) as caught:
        accept_new(token)
    assert caught.value.reason == "cancelled"


@pytest.mark.parametrize("token", ["", "cwi_", "cwi_" + "x" * 300, "cwt_abc", None, 42])
def test_unknown_or_malformed_links_are_refused(token) -> None:  # noqa: ANN001
    with pytest.raises(InvitationUnusable) as caught:
        invitation_accept(token=token, username="x", password=PASSWORD, first_name="a",
                          last_name="b")
    assert caught.value.status == 404


def test_a_deactivated_inviter_takes_their_pending_links_with_them(invite, alice) -> None:  # noqa: ANN001, E501
    token = invite()
    Membership.objects.filter(pk=alice.membership.pk).update(is_active=False)
    with pytest.raises(InvitationUnusable) as caught:
        accept_new(token)
    assert caught.value.reason == "void"


def test_a_deactivated_organisation_voids_its_links(invite) -> None:  # noqa: ANN001
    token = invite()
    Organisation.objects.filter(name="Riverside Surgery").update(is_active=False)
    with pytest.raises(InvitationUnusable):
        accept_new(token)


# -- accepting: an existing account ----------------------------------------------------------


def test_an_existing_account_only_gets_the_membership(invite) -> None:  # noqa: ANN001
    sw = User.objects.get(username="sw.uk")
    token = invite("SW.UK@example.org", roles=["social_worker"])
    with pytest.raises(ValidationFailed):  # not signed in: no new account for that address
        accept_new(token)
    invitation_accept(token=token, user=sw)
    assert set(Membership.objects.filter(user=sw, is_active=True).values_list(
        "organisation__name", flat=True)) == {"Northshire Council Adult Social Care",
                                             "Riverside Surgery"}
    sw.refresh_from_db()
    assert sw.check_password("careweave-demo")  # nothing else changed


def test_someone_else_signed_in_cannot_take_the_invitation(invite) -> None:  # noqa: ANN001
    token = invite("sw.uk@example.org", roles=["social_worker"])
    with pytest.raises(ValidationFailed):
        invitation_accept(token=token, user=User.objects.get(username="gp.uk"))
    assert Invitation.objects.get().accepted_at is None


# -- races ---------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_accepts_at_once_only_one_wins(demo, alice) -> None:  # noqa: ANN001
    if connection.vendor != "postgresql":
        pytest.skip("threads need a real database server (SQLite serialises writers anyway)")
    invitation_create(actor=alice, email="race@example.org", roles=["nurse"],
                      link_for=link_for)
    token = last_token()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt(name: str) -> None:
        try:
            barrier.wait()
            accept_new(token, username=name)
            outcomes.append("won")
        except InvitationUnusable:
            outcomes.append("lost")
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(n,)) for n in ("racer.one", "racer.two")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["lost", "won"]
    assert User.objects.filter(username__startswith="racer.").count() == 1
    assert Membership.objects.filter(user__username__startswith="racer.").count() == 1


# -- the pages -------------------------------------------------------------------------------


def test_the_accept_page_makes_the_account(invite, client: Client) -> None:  # noqa: ANN001
    token = invite()
    url = f"/invitations/{token}/"
    page = client.get(url)
    assert page.status_code == 200
    assert "Riverside Surgery" in text(page) and "Nurse" in text(page)
    assert page["Referrer-Policy"] == "same-origin" and page["Cache-Control"] == "no-store"
    form = {"first_name": "Åsa", "last_name": "Öberg", "username": "åsa.öberg",
            "password": PASSWORD, "password_again": PASSWORD + "x"}
    response = client.post(url, form)
    assert response.status_code == 400
    assert "There is a problem" in text(response) and "not the same" in text(response)
    response = client.post(url, {**form, "password": "short", "password_again": "short"})
    assert response.status_code == 400 and "too short" in text(response)
    assert not User.objects.filter(username="åsa.öberg").exists()
    response = client.post(url, {**form, "password_again": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert User.objects.filter(username="åsa.öberg").exists()
    # the same link again: used
    again = client.get(url)
    assert again.status_code == 410 and "already been used" in text(again)
    replay = client.post(url, {**form, "username": "replay", "password_again": PASSWORD})
    assert replay.status_code == 410
    assert not User.objects.filter(username="replay").exists()


def test_the_accept_page_for_an_expired_or_unknown_link(invite, client: Client) -> None:  # noqa: ANN001, E501
    token = invite()
    Invitation.objects.update(expires_at=timezone.now() - dt.timedelta(days=1))
    response = client.get(f"/invitations/{token}/")
    assert response.status_code == 410 and "has expired" in text(response)
    response = client.get("/invitations/cwi_nothing-like-it/")
    assert response.status_code == 404 and "not valid" in text(response)


def test_the_accept_page_for_an_existing_account(invite, client: Client) -> None:  # noqa: ANN001
    token = invite("sw.uk@example.org", roles=["social_worker"])
    url = f"/invitations/{token}/"
    page = client.get(url)
    assert page.status_code == 200 and "Sign in" in text(page)
    assert f"/login/?next=%2Finvitations%2F{token}%2F" in text(page)
    assert client.post(url).status_code == 400  # not signed in
    client.force_login(User.objects.get(username="gp.uk"))
    assert "different email address" in text(client.get(url))
    assert client.post(url).status_code == 400
    client.force_login(User.objects.get(username="sw.uk"))
    response = client.post(url)
    assert response.status_code == 302
    assert Membership.objects.filter(user__username="sw.uk",
                                     organisation__name="Riverside Surgery").exists()
    assert client.get(url).status_code == 410
