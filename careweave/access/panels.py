"""What ``access`` adds to the person page through the registry: the care-team and consent
panels, and the timeline kinds its services write (care-team changes, consents given and
withdrawn, emergency access)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from careweave.access import policy
from careweave.access.gate import consent_facts
from careweave.access.models import CareTeamMember, Consent, JoinRequest
from careweave.access.policy import Action
from careweave.core import rawsql
from careweave.core.registry import Panel, TimelineKind, registry
from careweave.orgs.models import Membership, Organisation

# -- panels ----------------------------------------------------------------------------------


def who_can_see(person: Any, organisation_id: Any, consents: tuple[Any, ...],
                now: dt.datetime) -> policy.Decision:
    """Whether a care professional of this care-team organisation can read the record now,
    and on what basis: the same pure rule the gate applies."""
    facts = policy.Facts(country=person.country, role="clinician",
                         organisation_id=str(organisation_id),
                         registered_by_id=str(person.registered_by_id), in_care_team=True,
                         consents=consents)
    return policy.read_decision(facts, now)


def care_team(person_id: Any) -> list[CareTeamMember]:
    """Every care-team member of the person, past ones too, by end date, start date and id,
    with the organisation and the staff member's membership and user cached: what
    ``CareTeamMember.objects.filter(person=person).select_related("organisation",
    "staff__user").order_by("end_date", "start_date", "id")`` returns, in one hand-written
    statement (careweave.core.rawsql: the person page runs it on every view)."""
    user = get_user_model()
    sql = (
        f"SELECT {rawsql.select_list(CareTeamMember, 'm')}, "
        f"{rawsql.select_list(Organisation, 'o')}, {rawsql.select_list(Membership, 's')}, "
        f"{rawsql.select_list(user, 'u')} "
        f"FROM {rawsql.table(CareTeamMember)} m "
        f"JOIN {rawsql.table(Organisation)} o ON o.id = m.organisation_id "
        f"LEFT JOIN {rawsql.table(Membership)} s ON s.id = m.staff_id "
        f"LEFT JOIN {rawsql.table(user)} u ON u.id = s.user_id "
        "WHERE m.person_id = %s ORDER BY m.end_date, m.start_date, m.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [rawsql.prep(CareTeamMember, "person", person_id)])
        rows = cursor.fetchall()
    team = []
    for row in rows:
        (m, o, s, u), _rest = rawsql.split(row, CareTeamMember, Organisation, Membership, user)
        member = rawsql.build(CareTeamMember, m)
        assert isinstance(member, CareTeamMember)
        rawsql.relate(member, "organisation", rawsql.build(Organisation, o))
        staff = rawsql.build_or_none(Membership, s)
        if staff is not None:
            rawsql.relate(staff, "user", rawsql.build(user, u))
        rawsql.relate(member, "staff", staff)
        team.append(member)
    return team


def care_team_panel(actor: Any, person: Any, decision: Any) -> dict[str, Any]:
    """The care team, current and past, who of it can see the record now and why, and the
    requests to join it (for the registering organisation): three queries."""
    now = timezone.now()
    today = timezone.localdate(now)
    team = care_team(person.pk)
    consents = consent_facts(person.pk)
    active = []
    for member in team:
        if member.end_date is not None and member.end_date < today:
            continue
        registering = member.organisation_id == person.registered_by_id
        own = member.organisation_id == actor.organisation_id
        may_end = not registering and decision.may(
            Action.LEAVE_CARE_TEAM if own else Action.END_CARE_TEAM_PLACE)
        active.append({"member": member, "may_end": may_end,
                       "sharing": who_can_see(person, member.organisation_id, consents, now)})
    requests = []
    if decision.may(Action.DECIDE_JOIN_REQUEST):
        requests = list(JoinRequest.objects.filter(person=person,
                                                   status=JoinRequest.Status.PENDING)
                        .select_related("organisation").order_by("created_at"))
    return {
        "active_team": active,
        "ended_team": [m for m in team if m.end_date is not None and m.end_date < today],
        "join_requests": requests,
    }


def consent_panel(actor: Any, person: Any, decision: Any) -> dict[str, Any]:
    """The consent decisions, withdrawn ones included with who withdrew them and why:
    two queries (organisations covered, prefetched)."""
    consents = list(
        Consent.objects.filter(person=person).prefetch_related("organisations")
        .select_related("recorded_by__organisation", "withdrawn_by__organisation")
        .order_by("-valid_from", "id")
    )
    return {"consents": consents, "may_record": decision.may(Action.RECORD_CONSENT)}


# -- timeline kinds --------------------------------------------------------------------------


def _date(value: str) -> str:
    return formats.date_format(dt.date.fromisoformat(value), "DATE_FORMAT")


def _label(choices: Any, code: str) -> str:
    return str(dict(choices).get(code, code))


def _covers(data: dict[str, Any]) -> str:
    names = data.get("organisations") or []
    return ", ".join(names) if names else _("the whole care team")


def describe_joined(entry: Any) -> str:
    data = entry.data
    text = _("%(organisation)s joined the care team as %(role)s from %(date)s.") % {
        "organisation": data["organisation"], "role": data["role"],
        "date": _date(data["start_date"])}
    if data.get("staff"):
        text += " " + _("Named staff member: %(name)s.") % {"name": data["staff"]}
    return text


def describe_left(entry: Any) -> str:
    data = entry.data
    text = _("%(organisation)s (%(role)s) left the care team on %(date)s.") % {
        "organisation": data["organisation"], "role": data["role"],
        "date": _date(data["end_date"])}
    if data.get("reason"):
        text += " " + _("Reason: %(reason)s") % {"reason": data["reason"]}
    return text


def describe_consent(entry: Any) -> str:
    data = entry.data
    values = {"purpose": _label(Consent.Purpose.choices, data["purpose"]).lower(),
              "covers": _covers(data)}
    if data["decision"] == Consent.Decision.PERMIT:
        text = _("Consent recorded for %(purpose)s, covering %(covers)s.") % values
    else:
        text = _("Objection recorded to %(purpose)s, covering %(covers)s.") % values
    if data.get("given_by") == Consent.GivenBy.REPRESENTATIVE and data.get("representative_name"):
        text += " " + _("Given by %(name)s on the person's behalf.") % {
            "name": data["representative_name"]}
    return text


def describe_withdrawn(entry: Any) -> str:
    data = entry.data
    text = _("The %(decision)s for %(purpose)s, covering %(covers)s, was withdrawn.") % {
        "decision": _label(Consent.Decision.choices, data["decision"]).lower(),
        "purpose": _label(Consent.Purpose.choices, data["purpose"]).lower(),
        "covers": _covers(data)}
    if data.get("reason"):
        text += " " + _("Reason: %(reason)s") % {"reason": data["reason"]}
    return text


def describe_transfer(entry: Any) -> str:
    return _("The registration moved from %(before)s to %(after)s. Reason: %(reason)s") % {
        "before": entry.data["before"], "after": entry.data["after"],
        "reason": entry.data["reason"]}


def describe_break_glass(entry: Any) -> str:
    return _("%(organisation)s used emergency access to this record. Reason given: "
             "%(reason)s") % {"organisation": entry.data["organisation"],
                              "reason": entry.data["reason"]}


CARE_TEAM = gettext_lazy("Care team")
CONSENT = gettext_lazy("Consent")


def register() -> None:
    registry.panel(Panel(key="access.care_team", title=CARE_TEAM,
                         template="access/panels/care_team.html", load=care_team_panel,
                         order=20, app="access"))
    registry.panel(Panel(key="access.consent", title=CONSENT,
                         template="access/panels/consent.html", load=consent_panel,
                         order=30, app="access"))
    for key, label, describe, group in (
        ("access.care_team_joined", gettext_lazy("Joined the care team"), describe_joined,
         CARE_TEAM),
        ("access.care_team_left", gettext_lazy("Left the care team"), describe_left, CARE_TEAM),
        ("access.consent_recorded", gettext_lazy("Consent or objection recorded"),
         describe_consent, CONSENT),
        ("access.consent_withdrawn", gettext_lazy("Consent withdrawn"), describe_withdrawn,
         CONSENT),
        ("access.break_glass", gettext_lazy("Emergency access"), describe_break_glass,
         gettext_lazy("Emergency access")),
        ("access.registration_transferred", gettext_lazy("Registration transferred"),
         describe_transfer, CARE_TEAM),
    ):
        registry.timeline_kind(TimelineKind(key=key, label=label, describe=describe,
                                            group=group, app="access"))
