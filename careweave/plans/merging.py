"""How plans follow a merge of record B into record A, and go back on an unmerge (the merge
handlers of :mod:`careweave.core.registry`): every plan row of B (plans, goals, actions,
sections, who took part, agreed versions, agreements, changes, follow-ups and ratings, the
crisis plan and its contacts) moves to A, and exactly those rows go back.

Cached PDFs of agreed versions (``PlanPdf``) do not move: they carry the name and birth
date of the record they were made for, so B's are deleted on a merge, and those made from
the versions that go back to B are deleted on an unmerge. Either way the next download
renders them again, with the name of the record the version then belongs to.

A merge is refused first when it would give A two open plans of one type, or two crisis
plans: someone decides which to keep (close one plan, or fold one crisis plan into the
other) before the records are merged.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Count, Model
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from careweave.core.registry import MergeHandler, registry
from careweave.people.merging import moves
from careweave.plans.models import (
    CrisisContact,
    CrisisPlan,
    Goal,
    GoalRating,
    OrganisationAgreement,
    Participant,
    Plan,
    PlanAction,
    PlanChange,
    PlanPdf,
    PlanSection,
    PlanType,
    PlanVersion,
    Review,
)

MODELS: tuple[type[Model], ...] = (Plan, Goal, PlanAction, PlanSection, Participant, PlanVersion,
                                   OrganisationAgreement, PlanChange, Review, GoalRating,
                                   CrisisPlan, CrisisContact)


def conflicts(merged_id: uuid.UUID, survivor_id: uuid.UUID) -> list[str]:
    both = [merged_id, survivor_id]
    doubled = (Plan.objects.filter(person_id__in=both, closed_at__isnull=True)
               .values("plan_type").annotate(n=Count("id")).filter(n__gt=1)
               .values_list("plan_type", flat=True))
    labels = dict(PlanType.choices)
    problems = [_("Both records have an open %(type)s. Close one of them before merging.")
                % {"type": str(labels.get(t, t)).lower()} for t in sorted(doubled)]
    if CrisisPlan.objects.filter(person_id__in=both).count() > 1:
        problems.append(_("Both records have a crisis plan. Bring them together in one, and "
                          "delete the other, before merging."))
    return problems


def move(merged_id: uuid.UUID, survivor_id: uuid.UUID) -> list[Any]:
    """[{"model": "Plan", "ids": [...]}, ...]: exactly the rows that moved."""
    PlanPdf.objects.filter(person_id=merged_id).delete()
    return [{"model": model.__name__, "ids": moves(model)[0](merged_id, survivor_id)}
            for model in MODELS]


def restore(survivor_id: uuid.UUID, merged_id: uuid.UUID, moved: list[Any]) -> int:
    ids = {entry["model"]: entry["ids"] for entry in moved}
    versions = [uuid.UUID(str(pk)) for pk in ids.get(PlanVersion.__name__, [])]
    for start in range(0, len(versions), 500):
        PlanPdf.objects.filter(version_id__in=versions[start:start + 500]).delete()
    return sum(moves(model)[1](survivor_id, merged_id, ids.get(model.__name__, []))
               for model in MODELS)


def register() -> None:
    registry.merge_handler(MergeHandler(key="plans.rows",
                                        label=gettext_lazy("Plans and the crisis plan"),
                                        move=move, restore=restore, check=conflicts, order=60,
                                        app="plans"))
