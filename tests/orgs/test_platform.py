"""Platform administration: organisations and areas, through the services, the pages and
the API. Pat (admin acting as platform administrator) may, and so does a superuser acting
in any role; Alice (an organisation administrator) and Charlie (a clinician) may not."""

from __future__ import annotations

import pytest
from django.http import Http404

from careweave.audit.models import AuditEvent
from careweave.core.errors import DuplicateRecord, ValidationFailed
from careweave.orgs import selectors, services
from careweave.orgs.models import Area, Membership, Organisation
from tests.support import assert_problem, text

pytestmark = pytest.mark.django_db


def create(actor, **overrides):  # noqa: ANN001, ANN201
    data = {"name": "Älvängens vårdcentral", "kind": "gp_practice", "country": "SE",
            "area_code": "1480", "code": "se2321000131-e0099"}
    data.update(overrides)
    return services.organisation_create(actor=actor, **data)


# -- organisations -------------------------------------------------------------------------


def test_a_platform_admin_creates_an_organisation(platform) -> None:  # noqa: ANN001
    org = create(platform)
    assert (org.name, org.kind, org.country, org.area.code) == (
        "Älvängens vårdcentral", "gp_practice", "SE", "1480")
    assert org.code == "SE2321000131-E0099"  # stored in capitals
    event = AuditEvent.objects.get(action="create", object_type="Organisation")
    assert event.object_id == str(org.pk) and event.username == "admin"
    assert event.detail["code"] == "SE2321000131-E0099"


def test_a_superuser_in_any_role_is_a_platform_admin(acting) -> None:  # noqa: ANN001
    assert create(acting("admin", "admin")).pk


@pytest.mark.parametrize("who", ["orgadmin.uk", "gp.uk", "privacy.uk"])
def test_nobody_else_creates_organisations(acting, who: str) -> None:  # noqa: ANN001
    before = Organisation.objects.count()
    with pytest.raises(Http404):
        create(acting(who))
    with pytest.raises(Http404):
        services.area_create(actor=acting(who), code="X1", name="X", kind="region",
                             country="GB")
    with pytest.raises(Http404):
        selectors.organisations_page(actor=acting(who))
    assert Organisation.objects.count() == before
    assert AuditEvent.objects.filter(outcome="denied", username=who,
                                     legal_basis=services.NOT_PLATFORM_ADMIN).count() == 3


def test_codes_are_unique_per_country(platform) -> None:  # noqa: ANN001
    with pytest.raises(DuplicateRecord) as caught:
        create(platform, code="SE2321000131-E0001")  # Vårdcentralen Nordstan's
    assert "code" in caught.value.errors
    # the same code in the other country is another organisation
    other = create(platform, country="GB", area_code="E06000991", code="SE2321000131-E0001")
    assert other.country == "GB"
    # and several organisations may have no code
    assert create(platform, code="").code == create(platform, code=" ").code == ""


@pytest.mark.parametrize(("overrides", "field"), [
    ({"name": ""}, "name"),
    ({"name": "\u200b \u200b"}, "name"),
    ({"name": "x" * 201}, "name"),
    ({"name": "x" * 100_000}, "name"),
    ({"name": 42}, "name"),
    ({"kind": "hospice"}, "kind"),
    ({"country": "NO"}, "country"),
    ({"area_code": "E06000991"}, "area"),  # a UK area for a Swedish organisation
    ({"area_code": "NOPE"}, "area"),
    ({"code": "has spaces inside"}, "code"),  # spaces are removed: fine, so use symbols
    ({"code": "bad/code!"}, "code"),
    ({"code": "X" * 41}, "code"),
])
def test_bad_organisations_are_refused(platform, overrides, field) -> None:  # noqa: ANN001
    if field == "code" and overrides["code"] == "has spaces inside":
        assert create(platform, **overrides).code == "HASSPACESINSIDE"
        return
    before = Organisation.objects.count()
    with pytest.raises(ValidationFailed) as caught:
        create(platform, **overrides)
    assert field in caught.value.errors
    assert Organisation.objects.count() == before
    assert not AuditEvent.objects.filter(object_type="Organisation").exists()


def test_deactivating_an_organisation_stops_its_staff_at_once(platform, api_for, page_as) -> None:  # noqa: ANN001, E501
    api = api_for("sw.uk")
    page = page_as("sw.uk")
    council = Organisation.objects.get(name="Northshire Council Adult Social Care")
    services.organisation_set_active(actor=platform, organisation_id=council.pk, active=False)
    assert_problem(api.get("/me"), 401)
    assert "/acting-as/" in page.get("/caseload/")["Location"]
    assert "Northshire Council Adult Social Care" not in [
        o["name"] for o in api_for("gp.uk").get("/organisations").json()]
    event = AuditEvent.objects.get(action="update", object_type="Organisation")
    assert event.detail == {"before": {"is_active": True}, "after": {"is_active": False}}
    services.organisation_set_active(actor=platform, organisation_id=council.pk, active=True)
    assert api.get("/me").status_code == 200


def test_you_cannot_deactivate_the_organisation_you_act_for(platform) -> None:  # noqa: ANN001
    with pytest.raises(ValidationFailed):
        services.organisation_set_active(actor=platform,
                                         organisation_id=platform.organisation_id, active=False)
    assert Organisation.objects.get(pk=platform.organisation_id).is_active


@pytest.mark.parametrize("bad", ["nope", "00000000-0000-0000-0000-000000000000", None])
def test_unknown_organisations_are_404(platform, bad) -> None:  # noqa: ANN001
    with pytest.raises(Http404):
        services.organisation_set_active(actor=platform, organisation_id=bad, active=False)


# -- areas ---------------------------------------------------------------------------------


def test_a_platform_admin_creates_areas(platform) -> None:  # noqa: ANN001
    area = services.area_create(actor=platform, code=" 1484 ", name="Lysekil", kind="kommun",
                                country="se", parent_code="14")
    assert (area.code, area.country, area.parent.code) == ("1484", "SE", "14")
    assert AuditEvent.objects.filter(action="create", object_type="Area").count() == 1
    with pytest.raises(DuplicateRecord):
        services.area_create(actor=platform, code="1484", name="Again", kind="kommun",
                             country="SE")


@pytest.mark.parametrize(("overrides", "field"), [
    ({"code": ""}, "code"),
    ({"kind": "kommun", "country": "GB"}, "kind"),
    ({"kind": "local_authority", "country": "SE"}, "kind"),
    ({"parent_code": "E92000099"}, "parent"),  # a UK parent for a Swedish area
    ({"name": "Ö" * 300}, "name"),
])
def test_bad_areas_are_refused(platform, overrides, field) -> None:  # noqa: ANN001
    data = {"code": "1499", "name": "Ny kommun", "kind": "kommun", "country": "SE",
            "parent_code": "14"}
    data.update(overrides)
    with pytest.raises(ValidationFailed) as caught:
        services.area_create(actor=platform, **data)
    assert field in caught.value.errors
    assert not Area.objects.filter(code="1499").exists()


def test_an_area_in_use_cannot_be_deactivated(platform) -> None:  # noqa: ANN001
    goteborg = Area.objects.get(code="1480")
    with pytest.raises(ValidationFailed):
        services.area_set_active(actor=platform, area_id=goteborg.pk, active=False)
    partille = Area.objects.get(code="1402")  # no organisations there
    services.area_set_active(actor=platform, area_id=partille.pk, active=False)
    assert not Area.objects.get(code="1402").is_active
    with pytest.raises(ValidationFailed) as caught:  # not offered any more
        create(platform, area_code="1402")
    assert "area" in caught.value.errors


# -- the pages -------------------------------------------------------------------------------


def test_the_organisation_pages(page_as, django_assert_max_num_queries) -> None:  # noqa: ANN001
    client = page_as("admin", "platform_admin")
    with django_assert_max_num_queries(10):
        listing = client.get("/organisations/")
    assert listing.status_code == 200
    for i in range(30):  # more organisations than fit on a page: the same cost
        Organisation.objects.create(name=f"Extra {i:02d}", kind="voluntary", country="GB")
    with django_assert_max_num_queries(10):
        assert 'rel="next"' in text(client.get("/organisations/"))
    assert "Vårdcentralen Nordstan" in text(listing) and "Add an organisation" in text(listing)
    assert client.get("/organisations/new/").status_code == 200
    response = client.post("/organisations/new/", {"name": "", "kind": "nope", "country": "SE",
                                                   "area": "", "code": ""})
    assert response.status_code == 400 and "There is a problem" in text(response)
    response = client.post("/organisations/new/", {
        "name": "Nordstans hemtjänst", "kind": "home_care", "country": "GB", "area": "1480",
        "code": ""})
    assert response.status_code == 400 and "same country" in text(response)
    response = client.post("/organisations/new/", {
        "name": "Nordstans hemtjänst", "kind": "home_care", "country": "SE", "area": "1480",
        "code": "SE2321000131-E0001"})
    assert response.status_code == 409 and "already has this code" in text(response)
    response = client.post("/organisations/new/", {
        "name": "Nordstans hemtjänst", "kind": "home_care", "country": "SE", "area": "1480",
        "code": "SE2321000131-E0077"})
    assert response.status_code == 302
    org = Organisation.objects.get(name="Nordstans hemtjänst")
    detail = client.get(f"/organisations/{org.pk}/")
    assert detail.status_code == 200 and "SE2321000131-E0077" in text(detail)
    assert client.get(f"/organisations/{org.pk}/deactivate/").status_code == 200
    assert client.post(f"/organisations/{org.pk}/deactivate/").status_code == 302
    assert not Organisation.objects.get(pk=org.pk).is_active
    assert client.get(f"/organisations/{org.pk}/invite/").status_code == 404
    assert client.post(f"/organisations/{org.pk}/reactivate/").status_code == 302
    invite = client.post(f"/organisations/{org.pk}/invite/", {"email": "chef@example.se",
                                                              "roles": ["org_admin"]})
    assert invite.status_code == 302
    # the organisation they act for cannot be deactivated from its page
    own = Membership.objects.get(user__username="admin", role="platform_admin").organisation
    response = client.post(f"/organisations/{own.pk}/deactivate/")
    assert response.status_code == 400 and "acting for" in text(response)


def test_the_area_pages(page_as, django_assert_max_num_queries) -> None:  # noqa: ANN001
    client = page_as("admin", "platform_admin")
    with django_assert_max_num_queries(10):
        listing = client.get("/areas/")
    assert listing.status_code == 200 and "Göteborg" in text(listing)
    assert client.get("/areas/new/").status_code == 200
    response = client.post("/areas/new/", {"code": "1484", "name": "Lysekil",
                                           "country": "SE", "kind": "kommun", "parent": "14"})
    assert response.status_code == 302
    response = client.post("/areas/new/", {"code": "1484", "name": "Lysekil",
                                           "country": "SE", "kind": "kommun", "parent": "14"})
    assert response.status_code == 409
    lysekil = Area.objects.get(code="1484")
    assert client.post(f"/areas/{lysekil.pk}/deactivate/").status_code == 302
    assert not Area.objects.get(code="1484").is_active
    goteborg = Area.objects.get(code="1480")
    client.post(f"/areas/{goteborg.pk}/deactivate/")
    assert Area.objects.get(code="1480").is_active  # in use: refused, with a message


@pytest.mark.parametrize("who", ["orgadmin.uk", "gp.uk", "privacy.uk"])
def test_the_platform_pages_are_404_to_others(page_as, who: str) -> None:  # noqa: ANN001
    client = page_as(who)
    org = Organisation.objects.get(name="Hillside Medical Practice")
    area = Area.objects.get(code="1402")
    for path in ("/organisations/", "/organisations/new/", f"/organisations/{org.pk}/",
                 f"/organisations/{org.pk}/deactivate/", f"/organisations/{org.pk}/invite/",
                 "/areas/", "/areas/new/"):
        assert client.get(path).status_code == 404, path
    for path in ("/organisations/new/", f"/organisations/{org.pk}/deactivate/",
                 f"/organisations/{org.pk}/reactivate/", f"/organisations/{org.pk}/invite/",
                 "/areas/new/", f"/areas/{area.pk}/deactivate/"):
        assert client.post(path, {"name": "x", "email": "x@example.org"}).status_code == 404, path
    assert Organisation.objects.get(pk=org.pk).is_active and Area.objects.get(pk=area.pk).is_active


# -- the API ---------------------------------------------------------------------------------


def test_the_organisation_api(api_for) -> None:  # noqa: ANN001
    api = api_for("admin", "platform_admin")
    response = api.post("/organisations", {"name": "Ödegårdens äldreboende", "kind": "care_home",
                                           "country": "SE", "area": "1480",
                                           "code": "SE2120001355-S0099"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["is_active"] is True and body["area"]["code"] == "1480"
    assert_problem(api.post("/organisations", {"name": "Again", "kind": "care_home",
                                               "country": "SE",
                                               "code": "SE2120001355-S0099"}), 409)
    problem = assert_problem(api.post("/organisations", {"name": "x", "kind": "castle",
                                                         "country": "SE"}), 422)
    assert "kind" in problem["errors"]
    assert_problem(api.post("/organisations", {"name": "x", "kind": "care_home",
                                               "country": "SE", "colour": "red"}), 422)
    assert_problem(api.post("/organisations", {"name": "x" * 5000, "kind": "care_home",
                                               "country": "SE"}), 422)
    deactivated = api.post(f"/organisations/{body['id']}/deactivate")
    assert deactivated.status_code == 200 and deactivated.json()["is_active"] is False
    assert api.post(f"/organisations/{body['id']}/reactivate").json()["is_active"] is True
    assert_problem(api.post("/organisations/not-a-uuid/deactivate"), 404)
    areas = api.get("/areas?size=100").json()["items"]
    assert {"1480", "E06000991"} <= {a["code"] for a in areas}
    created = api.post("/areas", {"code": "1484", "name": "Lysekil", "kind": "kommun",
                                  "country": "SE", "parent": "14"})
    assert created.status_code == 201 and created.json()["parent"] == "14"
    area_id = created.json()["id"]
    assert api.post(f"/areas/{area_id}/deactivate").json()["is_active"] is False
    assert api.post(f"/areas/{area_id}/reactivate").json()["is_active"] is True


@pytest.mark.parametrize("who", ["orgadmin.uk", "gp.uk"])
def test_the_organisation_api_is_404_to_others_whatever_they_send(api_for, who: str) -> None:  # noqa: ANN001, E501
    api = api_for(who)
    org = Organisation.objects.get(name="Hillside Medical Practice")
    assert_problem(api.post("/organisations", {"nonsense": 1}), 404)
    assert_problem(api.post("/organisations", {"name": "x", "kind": "care_home",
                                               "country": "SE"}), 404)
    assert_problem(api.post(f"/organisations/{org.pk}/deactivate"), 404)
    assert_problem(api.get("/areas"), 404)
    assert_problem(api.post("/areas", {}), 404)
    # what every staff member may: the list of active organisations
    assert api.get("/organisations").status_code == 200
    assert Organisation.objects.get(pk=org.pk).is_active
