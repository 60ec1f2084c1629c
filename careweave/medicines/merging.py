"""How the medicines list follows a merge of record B into record A, and goes back on an
unmerge (core.registry.MergeHandler): B's medicines, their history and B's reviews move to
A. The list's version changes with it, so A's next review sees B's medicines as new."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from careweave.core.registry import MergeHandler, registry
from careweave.medicines.models import Medicine, MedicineChange, Reconciliation
from careweave.people.merging import moves


def register() -> None:
    for key, model, label, order in (
        ("medicines.medicines", Medicine, gettext_lazy("Medicines"), 60),
        ("medicines.changes", MedicineChange, gettext_lazy("Medicine history"), 61),
        ("medicines.reviews", Reconciliation, gettext_lazy("Medicines reviews"), 62),
    ):
        move, restore = moves(model)
        registry.merge_handler(MergeHandler(key=key, label=label, move=move, restore=restore,
                                            order=order, app="medicines"))
