"""An organisation's staff: listing, setting roles, deactivating and reactivating, through
the services, the pages and the API. Alice (orgadmin.uk) may; Bob (orgadmin.se, another
organisation), Charlie (gp.uk, a clinician) and the privacy lead may not."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.http import Http404

from careweave.access.services import token_create
from careweave.audit.models import AuditEvent
from careweave.core.errors import NotPermitted, ValidationFailed
from careweave.orgs import selectors, services
from careweave.orgs.models import Membership, Organisation
from tests.orgs.conftest import membership_of
from tests.support import ApiClient, assert_problem, text

pytestmark = pytest.mark.django_db
User = get_user_model()


def user_id(username: str) -> int:
    return User.objects.get(username=username).pk


def active_roles(username: str, org: str = "Riverside Surgery") -> list[str]:
    return sorted(Membership.objects.filter(user__username=username, organisation__name=org,
                                            is_active=True).values_list("role", flat=True))


# -- listing -------------------------------------------------------------------------------


def test_an_org_admin_lists_their_organisations_staff(alice) -> None:  # noqa: ANN001
    page = selectors.staff_page(actor=alice, size=100)
    names = [u.username for u in page.items]
    assert names == sorted(names)
    assert {"orgadmin.uk", "gp.uk", "privacy.uk", "admin"} <= set(names)
    assert "sw.uk" not in names and "gp.se" not in names
    admin = next(u for u in page.items if u.username == "admin")
    assert {m.role for m in admin.org_memberships} == {"admin", "platform_admin"}
    assert AuditEvent.objects.filter(action="search", object_type="Membership",
                                     username="orgadmin.uk").count() == 1


def test_the_staff_list_pages_with_a_cursor(alice) -> None:  # noqa: ANN001
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        page = selectors.staff_page(actor=alice, cursor=cursor, size=2)
        seen += [u.username for u in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == sorted(seen) and len(seen) == len(set(seen))
    assert len(seen) == len(selectors.staff_page(actor=alice, size=100).items)
    # a garbled cursor starts again
    assert selectors.staff_page(actor=alice, cursor="!!garbage!!", size=2).items[0].username == \
        seen[0]


@pytest.mark.parametrize("who", ["gp.uk", "privacy.uk", "analyst.uk", "sw.uk"])
def test_nobody_else_lists_staff(acting, who: str) -> None:  # noqa: ANN001
    with pytest.raises(Http404):
        selectors.staff_page(actor=acting(who))
    assert AuditEvent.objects.filter(outcome="denied", username=who,
                                     object_type="Membership").count() == 1


def test_a_platform_admin_is_not_an_organisations_staff_admin(platform) -> None:  # noqa: ANN001
    with pytest.raises(Http404):
        selectors.staff_page(actor=platform)


def _add_staff(n: int) -> None:
    riverside = Organisation.objects.get(name="Riverside Surgery")
    for i in range(n):
        user = User.objects.create(username=f"extra.{i:03d}", first_name="Extra",
                                   last_name=f"Nummer {i}")
        Membership.objects.create(user=user, organisation=riverside, role="nurse")
        Membership.objects.create(user=user, organisation=riverside, role="coordinator",
                                  is_active=False)


def test_the_staff_page_costs_the_same_however_many_staff(page_as, django_assert_max_num_queries) -> None:  # noqa: ANN001, E501
    client = page_as("orgadmin.uk")
    with django_assert_max_num_queries(14):
        small = client.get("/staff/")
    assert small.status_code == 200
    _add_staff(40)
    with django_assert_max_num_queries(14):
        big = client.get("/staff/")
    assert big.status_code == 200 and "Nummer" in text(big)
    assert 'rel="next"' in text(big)  # 25 a page


def test_the_staff_api_costs_the_same_however_many_staff(api_for, django_assert_max_num_queries) -> None:  # noqa: ANN001, E501
    api = api_for("orgadmin.uk")
    _add_staff(40)
    with django_assert_max_num_queries(10):
        response = api.get("/staff?size=100")
    assert response.status_code == 200
    body = response.json()
    assert len(body["items"]) >= 40 and body["next_cursor"] is None
    extra = next(s for s in body["items"] if s["username"] == "extra.000")
    assert extra["roles"] == ["nurse"] and extra["active"] is True
    assert {m["role"]: m["is_active"] for m in extra["memberships"]} == {
        "nurse": True, "coordinator": False}


# -- setting roles ---------------------------------------------------------------------------


def test_an_org_admin_sets_roles_and_it_is_audited(alice) -> None:  # noqa: ANN001
    before_id = membership_of("gp.uk").pk
    services.staff_set_roles(actor=alice, user_id=user_id("gp.uk"),
                             roles=["clinician", "coordinator"])
    assert active_roles("gp.uk") == ["clinician", "coordinator"]
    event = AuditEvent.objects.get(action="update", object_type="Membership")
    assert event.username == "orgadmin.uk"
    assert event.detail["before"] == ["clinician"]
    assert event.detail["after"] == ["clinician", "coordinator"]
    # dropping a role deactivates that membership; ticking it again reactivates the same row
    services.staff_set_roles(actor=alice, user_id=user_id("gp.uk"), roles=["coordinator"])
    assert active_roles("gp.uk") == ["coordinator"]
    services.staff_set_roles(actor=alice, user_id=user_id("gp.uk"), roles=["clinician"])
    assert membership_of("gp.uk", "clinician").pk == before_id
    assert membership_of("gp.uk", "clinician").is_active


def test_nothing_changed_writes_nothing(alice) -> None:  # noqa: ANN001
    services.staff_set_roles(actor=alice, user_id=user_id("gp.uk"), roles=["clinician"])
    assert not AuditEvent.objects.filter(action="update", object_type="Membership").exists()


def test_an_org_admin_cannot_touch_another_organisations_staff(bob) -> None:  # noqa: ANN001
    for call in (
        lambda: services.staff_set_roles(actor=bob, user_id=user_id("gp.uk"), roles=["nurse"]),
        lambda: services.staff_deactivate(actor=bob, user_id=user_id("gp.uk")),
        lambda: selectors.staff_member(actor=bob, user_id=user_id("gp.uk")),
    ):
        with pytest.raises(Http404):
            call()
    assert active_roles("gp.uk") == ["clinician"]
    assert AuditEvent.objects.filter(outcome="denied", username="orgadmin.se").count() == 3


@pytest.mark.parametrize("who", ["gp.uk", "privacy.uk"])
def test_non_admins_cannot_set_roles(acting, who: str) -> None:  # noqa: ANN001
    with pytest.raises(Http404):
        services.staff_set_roles(actor=acting(who), user_id=user_id("gp.uk"),
                                 roles=["org_admin"])
    assert active_roles("gp.uk") == ["clinician"]


def test_an_org_admin_cannot_grant_or_take_platform_admin(alice) -> None:  # noqa: ANN001
    with pytest.raises(NotPermitted):
        services.staff_set_roles(actor=alice, user_id=user_id("gp.uk"),
                                 roles=["clinician", "platform_admin"])
    with pytest.raises(NotPermitted):  # admin holds platform_admin at Riverside
        services.staff_deactivate(actor=alice, user_id=user_id("admin"))
    assert active_roles("admin") == ["admin", "platform_admin"]


@pytest.mark.parametrize("roles", [["surgeon"], "clinician", [1], None, ["x" * 10_000]])
def test_bad_roles_are_refused(alice, roles) -> None:  # noqa: ANN001
    with pytest.raises(ValidationFailed) as caught:
        services.staff_set_roles(actor=alice, user_id=user_id("gp.uk"), roles=roles)
    assert "roles" in caught.value.errors
    assert active_roles("gp.uk") == ["clinician"]


@pytest.mark.parametrize("bad_id", ["abc", "-1", "0", str(2**70), "1; DROP TABLE", ""])
def test_unknown_staff_ids_are_404(alice, bad_id: str) -> None:  # noqa: ANN001
    with pytest.raises(Http404):
        services.staff_set_roles(actor=alice, user_id=bad_id, roles=["nurse"])


def test_the_last_org_admin_cannot_drop_their_own_role(alice) -> None:  # noqa: ANN001
    with pytest.raises(ValidationFailed) as caught:
        services.staff_deactivate(actor=alice, user_id=alice.user.pk)
    assert "only organisation administrator" in caught.value.message
    with pytest.raises(ValidationFailed):
        services.staff_set_roles(actor=alice, user_id=alice.user.pk, roles=["nurse"])
    assert active_roles("orgadmin.uk") == ["org_admin"]
    # with a second administrator, they may
    services.staff_set_roles(actor=alice, user_id=user_id("gp.uk"),
                             roles=["clinician", "org_admin"])
    services.staff_deactivate(actor=alice, user_id=alice.user.pk)
    assert active_roles("orgadmin.uk") == []


# -- deactivation takes effect at once --------------------------------------------------------


def test_a_deactivated_membership_and_its_tokens_stop_at_once(alice, page_as) -> None:  # noqa: ANN001, E501
    _token, raw = token_create(membership=membership_of("gp.uk"), name="test")
    api = ApiClient(raw)
    gp = page_as("gp.uk")
    assert api.get("/me").status_code == 200
    assert gp.get("/caseload/").status_code == 200
    services.staff_deactivate(actor=alice, user_id=user_id("gp.uk"))
    assert_problem(api.get("/me"), 401)
    assert gp.get("/caseload/").status_code in (302, 403)
    assert "/acting-as/" in gp.get("/caseload/")["Location"]
    # reactivating the role brings the same membership back, but not its old tokens
    services.staff_set_roles(actor=alice, user_id=user_id("gp.uk"), roles=["clinician"])
    assert gp.get("/caseload/").status_code == 200
    assert_problem(api.get("/me"), 401)
    _token, fresh = token_create(membership=membership_of("gp.uk"), name="again")
    assert ApiClient(fresh).get("/me").status_code == 200


def test_tokens_stop_when_their_organisation_is_deactivated(api_for) -> None:  # noqa: ANN001
    api = api_for("gp.uk")
    assert api.get("/me").status_code == 200
    Organisation.objects.filter(name="Riverside Surgery").update(is_active=False)
    assert_problem(api.get("/me"), 401)


# -- an org admin never sees a person's record -----------------------------------------------


def test_an_org_admin_sees_no_person_record(page_as, api_for, arthur) -> None:  # noqa: ANN001
    client = page_as("orgadmin.uk")
    assert client.get(f"/people/{arthur.pk}/").status_code == 404
    assert client.get("/caseload/").status_code == 404
    assert client.get(f"/people/{arthur.pk}/access-log/").status_code == 404
    api = api_for("orgadmin.uk")
    assert_problem(api.get(f"/people/{arthur.pk}"), 404)
    assert api.get("/people").json()["items"] == []


# -- the pages -------------------------------------------------------------------------------


def test_the_staff_pages_for_an_org_admin(page_as) -> None:  # noqa: ANN001
    client = page_as("orgadmin.uk")
    page = client.get("/staff/")
    assert page.status_code == 200
    assert "Helen Carter" in text(page) and "Daniel Brooks" not in text(page)
    gp = user_id("gp.uk")
    detail = client.get(f"/staff/{gp}/")
    assert detail.status_code == 200 and "gp.uk@example.org" in text(detail)
    response = client.post(f"/staff/{gp}/", {"roles": ["clinician", "nurse"]})
    assert response.status_code == 302 and response["Location"] == f"/staff/{gp}/"
    assert active_roles("gp.uk") == ["clinician", "nurse"]
    response = client.post(f"/staff/{gp}/", {"roles": ["platform_admin"]})
    assert response.status_code == 400 and "There is a problem" in text(response)
    assert client.get(f"/staff/{gp}/deactivate/").status_code == 200
    response = client.post(f"/staff/{gp}/deactivate/")
    assert response.status_code == 302 and response["Location"] == "/staff/"
    assert active_roles("gp.uk") == []
    assert "Deactivated" in text(client.get("/staff/"))


def test_the_last_admin_sees_a_clear_error_on_the_page(page_as) -> None:  # noqa: ANN001
    client = page_as("orgadmin.uk")
    me = user_id("orgadmin.uk")
    response = client.post(f"/staff/{me}/deactivate/")
    assert response.status_code == 400
    assert "only organisation administrator of Riverside Surgery" in text(response)
    assert active_roles("orgadmin.uk") == ["org_admin"]


def test_the_invite_page(page_as) -> None:  # noqa: ANN001
    from django.core import mail

    client = page_as("orgadmin.uk")
    page = client.get("/staff/invite/")
    assert page.status_code == 200
    assert 'value="platform_admin"' not in text(page)
    assert 'value="org_admin"' in text(page)
    response = client.post("/staff/invite/", {"email": "nonsense", "roles": []})
    assert response.status_code == 400 and "There is a problem" in text(response)
    response = client.post("/staff/invite/", {"email": "new@example.org",
                                              "roles": ["platform_admin"]})
    assert response.status_code == 400  # not a choice here
    response = client.post("/staff/invite/", {"email": "new@example.org", "roles": ["nurse"]})
    assert response.status_code == 302 and response["Location"] == "/staff/"
    assert len(mail.outbox) == 1 and "http://testserver/invitations/cwi_" in mail.outbox[0].body
    listed = client.get("/staff/")
    assert "new@example.org" in text(listed)
    invitation_id = services.Invitation.objects.get().pk
    response = client.post(f"/staff/invitations/{invitation_id}/cancel/")
    assert response.status_code == 302
    assert services.Invitation.objects.get().revoked_at is not None


@pytest.mark.parametrize("who", ["gp.uk", "privacy.uk", "orgadmin.se"])
def test_the_staff_pages_are_404_to_others(page_as, who: str) -> None:  # noqa: ANN001
    client = page_as(who)
    gp = user_id("gp.uk")
    paths = [f"/staff/{gp}/", f"/staff/{gp}/deactivate/"]
    if who != "orgadmin.se":  # who may invite into their own organisation
        paths.append("/staff/invite/")
    for path in paths:
        assert client.post(path, {"roles": ["org_admin"], "email": "x@example.org"}
                           ).status_code == 404, path
    if who != "orgadmin.se":
        assert client.get("/staff/").status_code == 404
    assert active_roles("gp.uk") == ["clinician"]


# -- the API ---------------------------------------------------------------------------------


def test_the_staff_api_for_an_org_admin(api_for) -> None:  # noqa: ANN001
    api = api_for("orgadmin.uk")
    gp = user_id("gp.uk")
    body = api.get(f"/staff/{gp}").json()
    assert body["username"] == "gp.uk" and body["roles"] == ["clinician"]
    response = api.client.put(f"/api/v1/staff/{gp}/roles", '{"roles": ["nurse", "clinician"]}',
                              content_type="application/json", **api.headers)
    assert response.status_code == 200, response.content
    assert response.json()["roles"] == ["clinician", "nurse"]
    response = api.post(f"/staff/{gp}/deactivate")
    assert response.status_code == 200 and response.json()["active"] is False
    response = api.post("/staff/invitations", {"email": "api@example.org", "roles": ["nurse"]})
    assert response.status_code == 201, response.content
    invitation = response.json()
    assert invitation["status"] == "pending" and "token" not in invitation
    assert [i["email"] for i in api.get("/staff/invitations").json()] == ["api@example.org"]
    revoked = api.post(f"/staff/invitations/{invitation['id']}/revoke")
    assert revoked.json()["status"] == "cancelled"
    assert_problem(api.post(f"/staff/invitations/{invitation['id']}/revoke"), 422)


def test_the_staff_api_errors(api_for) -> None:  # noqa: ANN001
    api = api_for("orgadmin.uk")
    gp = user_id("gp.uk")

    def put(body: str) -> object:
        return api.client.put(f"/api/v1/staff/{gp}/roles", body,
                              content_type="application/json", **api.headers)

    body = assert_problem(put('{"roles": ["surgeon"]}'), 422)
    assert "roles" in body["errors"]
    assert_problem(put('{"roles": ["nurse"], "extra": 1}'), 422)
    assert_problem(put("not json"), 400)
    assert_problem(put('{"roles": ["platform_admin"]}'), 403)
    me = user_id("orgadmin.uk")
    body = assert_problem(api.post(f"/staff/{me}/deactivate"), 422)
    assert "only organisation administrator" in body["detail"]
    assert_problem(api.get(f"/staff/{user_id('sw.uk')}"), 404)
    assert_problem(api.get("/staff/99999999999999999999"), 404)
    body = assert_problem(api.post("/staff/invitations", {"email": "bad", "roles": ["nurse"]}),
                          422)
    assert "email" in body["errors"]
    assert_problem(api.post("/staff/invitations", {"email": "x@example.org",
                                                   "roles": ["nurse"], "days": 99}), 422)
    assert_problem(api.post("/staff/invitations", {"email": "x@example.org",
                                                   "roles": ["platform_admin"]}), 403)


@pytest.mark.parametrize("who", ["gp.uk", "privacy.uk", "analyst.uk"])
def test_the_staff_api_is_404_to_non_admins_whatever_they_send(api_for, who: str) -> None:  # noqa: ANN001, E501
    api = api_for(who)
    gp = user_id("gp.uk")
    assert_problem(api.get("/staff"), 404)
    assert_problem(api.get("/staff?size=100000"), 404)  # bad input: still 404, not 422
    assert_problem(api.get("/staff/invitations"), 404)
    assert_problem(api.post("/staff/invitations", {"nonsense": True}), 404)
    assert_problem(api.post("/staff/invitations", {"email": "x@example.org",
                                                   "roles": ["org_admin"]}), 404)
    response = api.client.put(f"/api/v1/staff/{gp}/roles", "garbage",
                              content_type="application/json", **api.headers)
    assert_problem(response, 404)
    assert_problem(api.post(f"/staff/{gp}/deactivate"), 404)
    assert active_roles("gp.uk") == ["clinician"]
    assert AuditEvent.objects.filter(outcome="denied", username=who).count() >= 7


def test_another_organisations_admin_gets_404_from_the_api(api_for) -> None:  # noqa: ANN001
    api = api_for("orgadmin.se")
    gp = user_id("gp.uk")
    assert_problem(api.get(f"/staff/{gp}"), 404)
    assert_problem(api.post(f"/staff/{gp}/deactivate"), 404)
    riverside = Organisation.objects.get(name="Riverside Surgery")
    assert_problem(api.post("/staff/invitations", {"email": "x@example.org", "roles": ["nurse"],
                                                   "organisation_id": str(riverside.pk)}), 404)
    assert [s["username"] for s in api.get("/staff").json()["items"]] == ["gp.se", "orgadmin.se",
                                                                          "privacy.se"]


def test_anonymous_callers_get_401(anonymous) -> None:  # noqa: ANN001
    assert_problem(anonymous.get("/staff"), 401)
    assert_problem(anonymous.post("/staff/invitations", {}), 401)


def test_deactivating_a_role_ends_its_api_tokens_for_good(actor_for, demo) -> None:  # noqa: ANN001
    from careweave.access.services import token_authenticate, token_create
    from careweave.orgs import services
    from careweave.orgs.models import Membership

    nurse = Membership.objects.filter(organisation__name="Riverside Surgery",
                                      role__in=["clinician", "nurse"]).exclude(
        user__username__in=["orgadmin.uk", "privacy.uk", "admin"]).first()
    _token, raw = token_create(membership=nurse, name="test")
    assert token_authenticate(raw) is not None
    admin = actor_for("orgadmin.uk")
    services.staff_set_roles(actor=admin, user_id=nurse.user_id, roles=[])
    assert token_authenticate(raw) is None
    services.staff_set_roles(actor=admin, user_id=nurse.user_id, roles=[nurse.role])
    assert token_authenticate(raw) is None
