"""What ``access`` adds to the person page through the registry: the care-team and consent
panels, and the timeline kinds its services write (care-team changes, consents given and
withdrawn, emergency access)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from careweave.access.models import CareTeamMember, Consent
from careweave.core.registry import Panel, TimelineKind, registry

# -- panels ----------------------------------------------------------------------------------


def care_team_panel(actor: Any, person: Any, decision: Any) -> dict[str, Any]:
    """The care team, current and past: one query (organisation and staff joined)."""
    today = timezone.localdate()
    team = list(
        CareTeamMember.objects.filter(person=person)
        .select_related("organisation", "staff__user")
        .order_by("end_date", "start_date", "id")
    )
    return {
        "active_team": [m for m in team if m.end_date is None or m.end_date >= today],
        "ended_team": [m for m in team if m.end_date is not None and m.end_date < today],
    }


def consent_panel(actor: Any, person: Any, decision: Any) -> dict[str, Any]:
    """The consent decisions: two queries (organisations covered, prefetched)."""
    consents = list(
        Consent.objects.filter(person=person).prefetch_related("organisations")
        .select_related("recorded_by__organisation")
        .order_by("-valid_from", "id")
    )
    return {"consents": consents}


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
    ):
        registry.timeline_kind(TimelineKind(key=key, label=label, describe=describe,
                                            group=group, app="access"))
