"""What ``assessments`` adds to the person's pages through the registry: the safety-flag
banner on every page of the person, the assessments panel, the timeline kinds its services
write, the safety flag on the caseload, its merge handler, and its part of the demo and of
the seeded population."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from careweave.access.policy import Action
from careweave.assessments import rules, selectors
from careweave.assessments.definitions import text_in
from careweave.core.registry import (
    CaseloadFlag,
    DemoStep,
    Panel,
    PersonBanner,
    TimelineKind,
    registry,
)


def _lang() -> str:
    return (translation.get_language() or "en")[:2]


def flags_banner(actor: Any, person: Any, decision: Any) -> dict[str, Any] | None:
    """The person's open safety flags the actor may see (one query); no banner without."""
    flags = selectors.open_flags(actor=actor, person=person)
    if not flags:
        return None
    lang = _lang()
    for flag in flags:
        flag.text = _flag_text(flag, lang)  # type: ignore[attr-defined]
    return {"flags": flags, "may_review": decision.may(Action.REVIEW_SAFETY_FLAG)}


def _flag_text(flag: Any, lang: str) -> str:
    definition = flag.assessment.instrument_version.definition
    for item in definition.get("flags", []):
        if item["code"] == flag.code:
            return text_in(item.get("label"), lang)
    return flag.code


def assessments_panel(actor: Any, person: Any, decision: Any) -> dict[str, Any] | None:
    """The latest score of each instrument, the actor's drafts, and the links (two
    queries); nothing for a role that sees no assessments."""
    if not rules.visible_audiences(actor.role):
        return None
    lang = _lang()
    latest = selectors.latest_for(actor=actor, person=person)
    for row in latest:
        definition = row.assessment.instrument_version.definition
        row.name = text_in(definition.get("name"), lang)  # type: ignore[attr-defined]
        row.band_label = band_label(definition, row.band, lang)  # type: ignore[attr-defined]
        row.change_label = change_label(row.change)  # type: ignore[attr-defined]
    drafts = selectors.drafts_for(actor=actor, person=person)
    for draft in drafts:
        draft.name = text_in(draft.definition.get("name"), lang)  # type: ignore[attr-defined]
    return {"latest": latest, "drafts": drafts,
            "may_record": decision.may(Action.RECORD_ASSESSMENT)}


def band_label(definition: Any, code: str, lang: str) -> str:
    for band in definition.get("scoring", {}).get("bands", []):
        if band["code"] == code:
            return text_in(band.get("label"), lang)
    return ""


CHANGE_LABELS = {
    "first": gettext_lazy("First score"),
    "reliable_improvement": gettext_lazy("Reliable improvement"),
    "reliable_deterioration": gettext_lazy("Reliable deterioration"),
    "recovery": gettext_lazy("Recovery"),
    "reliable_recovery": gettext_lazy("Reliable recovery"),
    "no_reliable_change": gettext_lazy("No reliable change"),
}


def change_label(code: str) -> str:
    return str(CHANGE_LABELS.get(code, "")) if code else ""


def safety_flags(actor: Any, people: Sequence[Any]) -> dict[Any, str]:
    """"Safety flag" beside each person with an open flag the actor may see (one query)."""
    return {pk: _("Safety flag: review needed") for pk in selectors.flagged_people(actor,
                                                                                     people)}


# -- timeline ----------------------------------------------------------------------------------


def describe_recorded(entry: Any) -> str:
    data = entry.data
    name = text_in(data.get("name"), _lang()) or data.get("instrument", "")
    who = data.get("organisation", "")
    if data.get("total") is not None:
        band = text_in(data.get("band"), _lang())
        if data.get("mode") == "self":
            return _("%(name)s completed by the person: %(total)s (%(band)s)") % {
                "name": name, "total": data["total"], "band": band or "–"}
        return _("%(name)s recorded by %(organisation)s: %(total)s (%(band)s)") % {
            "name": name, "organisation": who, "total": data["total"], "band": band or "–"}
    if data.get("mode") == "self":
        return _("%(name)s completed by the person") % {"name": name}
    return _("%(name)s recorded by %(organisation)s") % {"name": name, "organisation": who}


def describe_corrected(entry: Any) -> str:
    data = entry.data
    name = text_in(data.get("name"), _lang()) or data.get("instrument", "")
    return _("%(name)s corrected by %(organisation)s. Why: %(reason)s") % {
        "name": name, "organisation": data.get("organisation", ""),
        "reason": data.get("reason", "")}


def describe_flag_raised(entry: Any) -> str:
    return _("Safety flag raised: %(label)s") % {
        "label": text_in(entry.data.get("label"), _lang()) or entry.data.get("code", "")}


def describe_flag_reviewed(entry: Any) -> str:
    return _("Safety flag reviewed by %(by)s (%(organisation)s)") % {
        "by": entry.data.get("by", ""), "organisation": entry.data.get("organisation", "")}


def professionals(actor: Any, decision: Any) -> bool:
    return rules.may_see(rules.PROFESSIONAL, actor.role)


def care_team(actor: Any, decision: Any) -> bool:
    return rules.may_see(rules.CARE_TEAM, actor.role)


ASSESSMENTS = gettext_lazy("Assessments")


def register() -> None:
    from careweave.assessments import demo, merging

    merging.register()
    registry.person_banner(PersonBanner(key="assessments.safety", order=5,
                                        template="assessments/banner.html",
                                        load=flags_banner, app="assessments"))
    registry.panel(Panel(key="assessments.assessments", title=ASSESSMENTS,
                         template="assessments/panels/assessments.html",
                         load=assessments_panel, order=47, app="assessments"))
    for key, label, describe, audience in (
        ("assessments.recorded", gettext_lazy("Assessment recorded"), describe_recorded,
         care_team),
        ("assessments.recorded_professional", gettext_lazy("Clinical assessment recorded"),
         describe_recorded, professionals),
        ("assessments.corrected", gettext_lazy("Assessment corrected"), describe_corrected,
         care_team),
        ("assessments.corrected_professional", gettext_lazy("Clinical assessment corrected"),
         describe_corrected, professionals),
        ("assessments.flag_raised", gettext_lazy("Safety flag raised"), describe_flag_raised,
         professionals),
        ("assessments.flag_reviewed", gettext_lazy("Safety flag reviewed"),
         describe_flag_reviewed, professionals),
    ):
        registry.timeline_kind(TimelineKind(key=key, label=label, describe=describe,
                                            audience=audience, group=ASSESSMENTS,
                                            app="assessments"))
    registry.caseload_flag(CaseloadFlag(key="assessments.safety", label=gettext_lazy(
        "Safety flag"), load=safety_flags, colour="red", order=5, app="assessments"))
    registry.demo_step(DemoStep(key="assessments.demo", run=demo.run, order=60,
                                app="assessments"))
    registry.seed_step(DemoStep(key="assessments.seed", run=demo.seed, order=60,
                                app="assessments"))
