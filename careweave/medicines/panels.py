"""What ``medicines`` adds to the person's pages: the medicines panel (the list being taken
and the date of its last review), the timeline kinds its services write, and its part of
the demo and of the seeded population."""

from __future__ import annotations

from typing import Any

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from careweave.access.policy import Action
from careweave.core.registry import DemoStep, Panel, TimelineKind, registry
from careweave.medicines import rules, selectors


def medicines_panel(actor: Any, person: Any, decision: Any) -> dict[str, Any]:
    """Medicines being taken and the last review (two queries)."""
    medicines = [m for m in selectors.medicines_for(person) if m.status == rules.ACTIVE]
    return {"medicines": medicines, "last": selectors.last_review(person),
            "may_change": decision.may(Action.CHANGE_MEDICINES),
            "may_reconcile": decision.may(Action.RECONCILE_MEDICINES)}


def describe_started(entry: Any) -> str:
    return _("%(organisation)s added %(name)s, %(dose)s, %(frequency)s.") % entry.data


def describe_changed(entry: Any) -> str:
    text = _("%(organisation)s changed %(name)s from %(before)s to %(after)s.") % entry.data
    if entry.data.get("reason"):
        text += " " + _("Reason: %(reason)s") % {"reason": entry.data["reason"]}
    return text


def describe_stopped(entry: Any) -> str:
    return _("%(organisation)s stopped %(name)s. Reason: %(reason)s") % entry.data


def describe_reconciled(entry: Any) -> str:
    return _("%(by)s (%(organisation)s) reviewed and confirmed the medicines list "
             "(%(taking)s being taken).") % {**entry.data,
                                                "taking": formats.number_format(
                                                    entry.data["taking"])}


MEDICINES = gettext_lazy("Medicines")


def register() -> None:
    from careweave.medicines import demo, merging

    merging.register()

    registry.panel(Panel(key="medicines.list", title=MEDICINES,
                         template="medicines/panels/medicines.html", load=medicines_panel,
                         order=45, app="medicines"))
    for key, label, describe in (
        ("medicines.started", gettext_lazy("Medicine added"), describe_started),
        ("medicines.changed", gettext_lazy("Medicine changed"), describe_changed),
        ("medicines.stopped", gettext_lazy("Medicine stopped"), describe_stopped),
        ("medicines.reconciled", gettext_lazy("Medicines reviewed"), describe_reconciled),
    ):
        registry.timeline_kind(TimelineKind(key=key, label=label, describe=describe,
                                            group=MEDICINES, app="medicines"))
    registry.demo_step(DemoStep(key="medicines.demo", run=demo.run, order=60,
                                app="medicines"))
    registry.seed_step(DemoStep(key="medicines.seed", run=demo.seed, order=60,
                                app="medicines"))
