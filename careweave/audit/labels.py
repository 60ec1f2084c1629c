"""The audit log's codes in plain words, for the privacy lead's viewer (English and
Swedish). The CSV export keeps the codes: it is for tools."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from careweave.orgs.models import Role

BASIS = {
    "own-organisation": _("Registering organisation"),
    "implied-consent-direct-care": _("Implied consent for direct care"),
    "explicit-consent": _("Explicit consent"),
    "break-glass": _("Emergency access"),
    "role-has-no-record-access": _("Role has no access to records"),
    "not-in-care-team": _("Not on the care team"),
    "person-objected": _("The person objected"),
    "no-consent": _("No consent"),
    "not-found": _("No such record"),
    "break-glass-read-only": _("Emergency access is read-only"),
    "role-may-not-do-this": _("Role may not do this"),
    "not-registering-organisation": _("Only the registering organisation may"),
    "privacy-review": _("Privacy review"),
}

OBJECT = {
    "Person": _("Person record"),
    "PersonIdentifier": _("Identifier"),
    "RelatedPerson": _("Family, carers and friends"),
    "CareTeamMember": _("Care team"),
    "Consent": _("Consent"),
    "BreakGlass": _("Emergency access"),
    "JoinRequest": _("Request to join a care team"),
    "AuditEvent": _("Audit log"),
    "AccessLog": _("Access log"),
    "Timeline": _("Timeline"),
    "Membership": _("Staff membership"),
    # careweave.plans
    "Plan": _("Plan"), "Goal": _("Goal in a plan"), "PlanAction": _("Action in a plan"),
    "PlanSection": _("Section of a plan"), "Participant": _("Who took part in planning"),
    "PlanVersion": _("Agreed version of a plan"),
    "OrganisationAgreement": _("Organisation's agreement to a plan"),
    "Review": _("Follow-up of a plan"), "CrisisPlan": _("Relapse-prevention and crisis plan"),
}

PURPOSE = {
    "direct_care": _("Direct care"),
    "coordination": _("Care coordination (SIP)"),
    "emergency_care": _("Emergency care"),
    "audit": _("Audit"),
}

CHANNEL = {"web": _("web page"), "api": _("API"), "fhir": _("FHIR"), "cli": _("command line")}


def label(table: dict[str, Any], code: str) -> str:
    return str(table.get(code, code)) if code else "—"


def role_label(code: str) -> str:
    return str(dict(Role.choices).get(code, code)) if code else "—"
