"""Two versions of a plan side by side, as the reader may see them: what changed (from
:func:`careweave.plans.versions.compare`), who changed it and why, in words for the page
and as data for the API."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from careweave.people.models import Person
from careweave.plans import rules, selectors, services, versions
from careweave.plans.models import Goal, Participant, Plan, PlanType


def field_labels() -> dict[str, str]:
    return {
        "plan_type": _("Type of plan"), "language": _("Language of the plan"),
        "situation": _("My situation, in my words"), "what_matters": _("What matters to me"),
        "coordinating_organisation": _("Coordinating organisation"),
        "coordinator": _("Named coordinator"), "contingency": _("If things do not go to plan"),
        "follow_up_date": _("Next follow-up"), "kind": _("Kind"),
        "own_words": _("In the person's own words"), "measurable": _("How we will know"),
        "target_date": _("Target date"), "level_m2": "−2", "level_m1": "−1", "level_0": "0",
        "level_p1": "+1", "level_p2": "+2", "goal": _("Towards the goal"),
        "description": _("What will be done"), "organisation": _("Organisation"),
        "staff": _("Named staff member"), "start_date": _("Start date"),
        "due_date": _("Due date"), "heading": _("Heading"), "body": _("Text"),
        "sensitive": _("Sensitive"), "name": _("Name"), "role": _("Role or relationship"),
    }


def show(name: str, value: Any) -> str:
    """A snapshot value in words, for the comparison page."""
    if value in (None, ""):
        return "–"
    if isinstance(value, dict):
        return str(value.get("name", ""))
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if name.endswith("_date") and isinstance(value, str):
        return formats.date_format(dt.date.fromisoformat(value), "DATE_FORMAT")
    labels = {"plan_type": dict(PlanType.choices), "kind": {**dict(Goal.Kind.choices),
                                                            **dict(Participant.Kind.choices)}}
    if name in labels:
        return str(labels[name].get(value, value))
    if name == "language":
        return _("Swedish") if value == "sv" else _("English")
    return str(value)


def _title(kind: str, item: Any) -> str:
    key = {"goals": "own_words", "actions": "description", "sections": "heading",
           "participants": "name"}[kind]
    return str(item.get(key, ""))[:100]


def comparison_context(actor: Any, person: Person, decision: Any, plan: Plan, a: int,
                       b: int | None) -> dict[str, Any]:
    """Version ``a`` beside version ``b`` (None: the plan as it reads now), as the reader
    may see them, with who changed what and why in between. Raises VersionNotFound."""
    found = {v.number: v for v in plan.versions.filter(number__in=[a] + ([b] if b else []))}
    missing = [n for n in (a, b) if n is not None and n not in found]
    if missing:
        raise services.VersionNotFound(
            _("This plan has no version %(n)d.") % {"n": missing[0]},
            errors={"from" if missing[0] == a else "to":
                    [_("This plan has no version %(n)d.") % {"n": missing[0]}]})
    viewer = selectors.viewer_for(actor, person, decision, plan)
    sees = rules.sees_sensitive(viewer, timezone.now())
    before = found[a].snapshot
    if b is None:
        after = selectors.snapshot(plan, selectors.content(plan))
        high: int | None = None
    else:
        after = found[b].snapshot
        high = found[b].revision
    low = found[a].revision
    if high is not None and high < low:
        low, high = high, low
    comparison = versions.compare(before, after, keep=selectors.keep_for(viewer, sees))
    return {"comparison": comparison, "a": found[a], "b": found.get(b) if b else None,
            "changes": selectors.changes_between(plan, low, high, viewer, sees),
            "before": before, "after": after}


def change_kinds() -> dict[str, str]:
    return {
        "created": _("Started the plan"), "plan_changed": _("Changed the plan's details"),
        "plan_closed": _("Closed the plan"), "goal_added": _("Added a goal"),
        "goal_changed": _("Changed a goal"), "goal_removed": _("Removed a goal"),
        "action_added": _("Added an action"), "action_changed": _("Changed an action"),
        "action_removed": _("Removed an action"), "action_status": _("Changed an action's status"),
        "section_added": _("Added a section"), "section_changed": _("Changed a section"),
        "section_removed": _("Removed a section"), "participant_added": _("Added who took part"),
        "participant_removed": _("Removed someone from who took part"),
        "agreed": _("Recorded the person's agreement"),
        "organisation_agreed": _("Agreed to its organisation's actions"),
        "reviewed": _("Recorded a follow-up"),
    }


def comparison_display(found: dict[str, Any]) -> dict[str, Any]:
    """The comparison in words, side by side: one row per changed field."""
    labels = field_labels()
    comparison = found["comparison"]
    plan_rows = [(labels.get(n, n), show(n, x), show(n, y)) for n, x, y in comparison.plan_fields]
    titles = {"goals": _("Goals"), "actions": _("Actions"), "sections": _("Sections"),
              "participants": _("Who took part")}
    change_labels = {"added": _("Added"), "removed": _("Removed"), "changed": _("Changed")}
    groups = []
    for kind, changes in comparison.items.items():
        items = []
        for change in changes:
            names = change.fields or versions.ITEM_FIELDS[kind]
            rows = [(labels.get(n, n),
                     show(n, (change.before or {}).get(n)) if change.before else "",
                     show(n, (change.after or {}).get(n)) if change.after else "")
                    for n in names]
            items.append({"change": change.change, "label": change_labels[change.change],
                          "title": _title(kind, change.after or change.before), "rows": rows})
        groups.append({"kind": kind, "title": titles[kind], "items": items})
    kinds = change_kinds()
    for change in found["changes"]:
        change.label = kinds.get(change.kind, change.kind)
        change.field_labels = ", ".join(str(labels.get(n, n)) for n in change.fields)
    return {"plan_rows": plan_rows, "groups": groups, "empty": comparison.empty}
