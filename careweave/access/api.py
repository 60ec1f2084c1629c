"""Care team, consent and break-glass.

Reads open the person through :func:`careweave.access.gate.open_person` (audited); writes
call :mod:`careweave.access.services`, which ask the gate and audit in one transaction.
A member or consent id that does not belong to the person in the URL is a 404, audited
as a refusal, exactly like an unknown person.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.responses import Status
from pydantic import Field

from careweave.access.gate import Basis, consent_facts, deny, open_person
from careweave.access.models import CareTeamMember, Consent, JoinRequest
from careweave.access.panels import who_can_see
from careweave.access.schemas import (
    AcceptedOut,
    BreakGlassIn,
    BreakGlassOut,
    CareTeamAddIn,
    CareTeamMemberOut,
    ConsentIn,
    ConsentOut,
    JoinDecisionIn,
    JoinRequestIn,
    JoinRequestOut,
    JoinRequestPage,
    ReasonIn,
    RegistrationOut,
    TransferIn,
)
from careweave.access.serializers import (
    break_glass_out,
    care_team_member_out,
    consent_out,
    join_request_out,
)
from careweave.access.services import (
    break_glass_start,
    care_team_add,
    care_team_end,
    consent_record,
    consent_withdraw,
    join_request_create,
    join_request_decide,
    join_requests_to_decide,
    transfer_registration,
)
from careweave.core.api import ERRORS, ProblemOut, QueryIn, actor_of
from careweave.core.context import Actor
from careweave.core.pagination import keyset_page
from careweave.orgs.serializers import organisation_ref

router = Router(tags=["care team and consent"])

def _belongs(actor: Actor, model: type[CareTeamMember] | type[Consent], object_id: uuid.UUID,
             person_id: uuid.UUID) -> None:
    """404 (audited) unless the care-team membership or consent is this person's."""
    if not model.objects.filter(pk=object_id, person_id=person_id).exists():
        deny(actor, person_id, "update", Basis.NOT_FOUND, model.__name__, str(object_id))


# -- care team -----------------------------------------------------------------------------


@router.get("/people/{person_id}/care-team", response={200: list[CareTeamMemberOut], **ERRORS},
            url_name="care_team_list", summary="Who is on the person's care team")
def list_care_team(request: HttpRequest, person_id: uuid.UUID) -> list[dict[str, Any]]:
    person, _decision = open_person(actor_of(request), person_id,
                                    object_type="CareTeamMember")
    members = (
        CareTeamMember.objects.filter(person=person)
        .select_related("organisation", "staff__user")
        .order_by("end_date", "start_date", "id")
    )
    now = timezone.now()
    consents = consent_facts(person.pk)
    out = []
    for m in members:
        active = m.end_date is None or m.end_date > timezone.localdate(now)
        sharing = who_can_see(person, m.organisation_id, consents, now) if active else None
        out.append(care_team_member_out(
            m, registering=m.organisation_id == person.registered_by_id, sharing=sharing))
    return out


@router.post("/people/{person_id}/care-team",
             response={201: CareTeamMemberOut, **ERRORS}, url_name="care_team_add",
             summary="Add an organisation (and optionally a named staff member)")
def add_care_team_member(request: HttpRequest, person_id: uuid.UUID,
                         payload: CareTeamAddIn) -> Status[dict[str, Any]]:
    member = care_team_add(
        actor=actor_of(request), person_id=person_id, organisation_id=payload.organisation_id,
        role=payload.role, staff_membership_id=payload.staff_membership_id,
        start_date=payload.start_date,
    )
    return Status(201, care_team_member_out(member))


@router.post("/people/{person_id}/care-team/{member_id}/end",
             response={200: CareTeamMemberOut, **ERRORS}, url_name="care_team_end",
             summary="End a care-team membership")
def end_care_team_member(request: HttpRequest, person_id: uuid.UUID, member_id: uuid.UUID,
                         payload: ReasonIn) -> dict[str, Any]:
    actor = actor_of(request)
    _belongs(actor, CareTeamMember, member_id, person_id)
    member = care_team_end(actor=actor, member_id=member_id, reason=payload.reason)
    member = CareTeamMember.objects.select_related("organisation", "staff__user").get(
        pk=member.pk)
    return care_team_member_out(member)


# -- consent -------------------------------------------------------------------------------


@router.get("/people/{person_id}/consents", response={200: list[ConsentOut], **ERRORS},
            url_name="consent_list", summary="The person's consents, in force or not")
def list_consents(request: HttpRequest, person_id: uuid.UUID) -> list[dict[str, Any]]:
    person, _decision = open_person(actor_of(request), person_id, object_type="Consent")
    consents = (
        Consent.objects.filter(person=person)
        .prefetch_related("organisations")
        .select_related("recorded_by__organisation")
        .order_by("-valid_from", "id")
    )
    return [consent_out(c) for c in consents]


@router.post("/people/{person_id}/consents", response={201: ConsentOut, **ERRORS},
             url_name="consent_record", summary="Record a consent or an objection")
def record_consent(request: HttpRequest, person_id: uuid.UUID,
                   payload: ConsentIn) -> Status[dict[str, Any]]:
    consent = consent_record(
        actor=actor_of(request), person_id=person_id, purpose=payload.purpose,
        decision=payload.decision, organisation_ids=payload.organisation_ids,
        given_by=payload.given_by, representative_name=payload.representative_name,
        method=payload.method, valid_from=payload.valid_from, valid_to=payload.valid_to,
    )
    return Status(201, consent_out(_reload_consent(consent.pk)))


@router.post("/people/{person_id}/consents/{consent_id}/withdraw",
             response={200: ConsentOut, **ERRORS}, url_name="consent_withdraw",
             summary="Withdraw a consent (takes effect at once)")
def withdraw_consent(request: HttpRequest, person_id: uuid.UUID, consent_id: uuid.UUID,
                     payload: ReasonIn) -> dict[str, Any]:
    actor = actor_of(request)
    _belongs(actor, Consent, consent_id, person_id)
    consent = consent_withdraw(actor=actor, consent_id=consent_id, reason=payload.reason)
    return consent_out(_reload_consent(consent.pk))


def _reload_consent(consent_id: uuid.UUID) -> Consent:
    return (Consent.objects.prefetch_related("organisations")
            .select_related("recorded_by__organisation").get(pk=consent_id))


# -- break-glass ---------------------------------------------------------------------------


@router.post("/break-glass", response={201: BreakGlassOut, 403: ProblemOut, **ERRORS},
             url_name="break_glass", tags=["break-glass"],
             summary="Emergency access to one person's record (reason required)")
def start_break_glass(request: HttpRequest, payload: BreakGlassIn) -> Status[dict[str, Any]]:
    bg = break_glass_start(actor=actor_of(request), reason=payload.reason,
                           person_id=payload.person_id, identifier=payload.identifier)
    return Status(201, break_glass_out(bg))



# -- the registration ------------------------------------------------------------------------


@router.post("/people/{person_id}/registration", response={200: RegistrationOut, **ERRORS},
             url_name="registration_transfer",
             summary="Transfer the registration to another care-team organisation")
def transfer(request: HttpRequest, person_id: uuid.UUID, payload: TransferIn) -> dict[str, Any]:
    person = transfer_registration(actor=actor_of(request), person_id=person_id,
                                   organisation_id=payload.organisation_id,
                                   reason=payload.reason)
    return {"person_id": person.pk, "registered_by": organisation_ref(person.registered_by)}


# -- requests to join a care team ------------------------------------------------------------


@router.post("/care-team-requests", response={202: AcceptedOut, 403: ProblemOut,
                                              429: ProblemOut, **ERRORS},
             url_name="join_request_create", tags=["care-team requests"],
             summary="Ask to join the care team of the person with this identifier")
def create_join_request(request: HttpRequest, payload: JoinRequestIn) -> Status[dict[str, Any]]:
    join_request_create(actor=actor_of(request), identifier=payload.identifier,
                        role=payload.role, reason=payload.reason)
    return Status(202, {"detail": _(
        "Your request has been sent. If an organisation holds a record with this identifier, "
        "it will decide; the person then appears on your caseload.")})


class PageQuery(QueryIn):
    cursor: str | None = Field(None, max_length=500)
    size: int = Field(50, ge=1, le=200)


@router.get("/care-team-requests", response={200: JoinRequestPage, **ERRORS},
            url_name="join_request_list", tags=["care-team requests"],
            summary="Requests waiting for your organisation's decision")
def list_join_requests(request: HttpRequest, paging: Query[PageQuery]) -> dict[str, Any]:
    qs = join_requests_to_decide(actor_of(request))
    page = keyset_page(qs, fields=("created_at", "id"), cursor=paging.cursor, size=paging.size)
    return {"items": [join_request_out(r) for r in page.items],
            "next_cursor": page.next_cursor}


@router.post("/care-team-requests/{request_id}/decision",
             response={200: JoinRequestOut, **ERRORS}, url_name="join_request_decide",
             tags=["care-team requests"], summary="Accept or decline a request to join")
def decide_join_request(request: HttpRequest, request_id: uuid.UUID,
                        payload: JoinDecisionIn) -> dict[str, Any]:
    actor = actor_of(request)
    if not join_requests_to_decide(actor).filter(pk=request_id).exists():
        deny(actor, None, "update", Basis.NOT_FOUND, "JoinRequest", str(request_id))
    decided = join_request_decide(actor=actor, request_id=request_id,
                                  accept=payload.decision == "accept", note=payload.note)
    decided = JoinRequest.objects.select_related("person", "organisation").get(pk=decided.pk)
    return join_request_out(decided)
