"""Django's admin at /admin/: superusers only, behind the same sign-in and two-factor
authentication; configuration only, never personal data about the people cared for."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.test import Client

from careweave.audit.models import AuditEvent
from careweave.core.adminsite import site
from careweave.orgs.models import Organisation
from tests.support import text

pytestmark = pytest.mark.django_db
User = get_user_model()

PERSONAL_DATA = ["people.Person", "people.PersonIdentifier", "people.RelatedPerson",
                 "people.TimelineEntry", "access.CareTeamMember", "access.Consent",
                 "access.BreakGlass", "access.ApiToken", "audit.AuditEvent"]


def test_no_personal_data_is_registered() -> None:
    registered = {f"{m._meta.app_label}.{m.__name__}" for m in site._registry}
    for label in PERSONAL_DATA:
        assert apps.get_model(label) not in site._registry, label
    assert {label.split(".")[0] for label in registered} <= {"orgs", "auth"}, registered
    assert {"orgs.Organisation", "orgs.Area", "orgs.Membership"} <= registered


def test_nothing_can_be_deleted_and_invitations_are_read_only(rf) -> None:  # noqa: ANN001
    request = rf.get("/admin/")
    request.user = User(is_superuser=True, is_staff=True, is_active=True)
    for model, admin in site._registry.items():
        assert not admin.has_delete_permission(request), model
    invitations = site._registry[apps.get_model("orgs.Invitation")]
    assert not invitations.has_add_permission(request)
    assert not invitations.has_change_permission(request)


def test_anonymous_users_are_sent_to_sign_in(demo, client: Client) -> None:  # noqa: ANN001
    for path in ("/admin/", "/admin/orgs/organisation/", "/admin/login/",
                 "/admin/people/person/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/login/"), path


@pytest.mark.parametrize("who", ["gp.uk", "orgadmin.uk", "privacy.uk"])
def test_staff_who_are_not_superusers_get_404(login_as, who: str) -> None:  # noqa: ANN001
    client = login_as(who)
    for path in ("/admin/", "/admin/orgs/organisation/", "/admin/login/", "/admin/auth/user/"):
        assert client.get(path).status_code == 404, path
    assert client.post("/admin/orgs/organisation/add/", {"name": "x"}).status_code == 404
    assert AuditEvent.objects.filter(outcome="denied", object_type="Admin",
                                     username=who).count() == 5


def test_a_superuser_uses_it(login_as) -> None:  # noqa: ANN001
    client = login_as("admin")
    index = client.get("/admin/")
    assert index.status_code == 200 and "Careweave administration" in text(index)
    assert "Organisations" in text(index)
    assert client.get("/admin/orgs/organisation/").status_code == 200
    assert client.get("/admin/orgs/invitation/").status_code == 200
    assert client.get("/admin/login/")["Location"] == "/admin/"  # no second sign-in form
    # personal data is not there at all
    assert client.get("/admin/people/person/").status_code == 404
    assert client.get("/admin/audit/auditevent/").status_code == 404


def test_a_change_in_the_admin_is_audited(login_as) -> None:  # noqa: ANN001
    client = login_as("admin")
    org = Organisation.objects.get(name="Hillside Medical Practice")
    page = client.get(f"/admin/orgs/organisation/{org.pk}/change/")
    assert page.status_code == 200
    response = client.post(f"/admin/orgs/organisation/{org.pk}/change/", {
        "name": "Hillside Medical Practice (Östra)", "kind": org.kind, "country": org.country,
        "area": str(org.area_id), "code": org.code, "is_active": "on"})
    assert response.status_code == 302, text(response)[:2000]
    assert Organisation.objects.get(pk=org.pk).name == "Hillside Medical Practice (Östra)"
    event = AuditEvent.objects.get(object_type="Organisation", action="update")
    assert event.detail == {"changed": ["name"], "via": "admin"}
    assert event.username == "admin"


def test_a_superuser_still_needs_two_factor(login_as) -> None:  # noqa: ANN001
    admin = User.objects.get(username="admin")
    admin.staff_profile.two_factor_exempt = False
    admin.staff_profile.save()
    client = login_as("admin")
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"] == "/two-factor/"
