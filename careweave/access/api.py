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
from ninja import Router
from ninja.responses import Status

from careweave.access.gate import Basis, deny, open_person
from careweave.access.models import CareTeamMember, Consent
from careweave.access.schemas import (
    BreakGlassIn,
    BreakGlassOut,
    CareTeamAddIn,
    CareTeamMemberOut,
    ConsentIn,
    ConsentOut,
    ReasonIn,
)
from careweave.access.serializers import break_glass_out, care_team_member_out, consent_out
from careweave.access.services import (
    break_glass_start,
    care_team_add,
    care_team_end,
    consent_record,
    consent_withdraw,
)
from careweave.core.api import ERRORS, ProblemOut, actor_of
from careweave.core.context import Actor

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
    return [care_team_member_out(m) for m in members]


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
