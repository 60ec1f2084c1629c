"""Forms for the medicines list (shape only; the services validate, as for the API)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from careweave.core.forms import DateField
from careweave.core.forms import text_field as _text
from careweave.medicines.models import AdministeredBy, CodeSystem, Route

CHOOSE = {"required": _("Choose one."), "invalid_choice": _("Choose from the list.")}


class MedicineForm(forms.Form):
    name = _text(_("Medicine"), 200, required=True,
                 help_text=_("The name and strength, for example: Amlodipine 5 mg tablets."))
    code_system = forms.ChoiceField(label=_("Code (optional)"), choices=CodeSystem.choices,
                                    required=False, error_messages=CHOOSE)
    code = _text(_("Code number (optional)"), 20,
                 help_text=_("dm+d in the UK, NPL id in Sweden."))
    dose = _text(_("Dose"), 100, required=True, help_text=_("For example: one tablet, 5 mg."))
    frequency = _text(_("How often"), 100, required=True,
                      help_text=_("For example: once a day in the morning."))
    route = forms.ChoiceField(label=_("How it is taken"),
                              choices=[("", _("Choose")), *Route.choices],
                              error_messages={"required": _("Choose how it is taken."),
                                              "invalid_choice": _("Choose how it is taken.")})
    as_needed = forms.BooleanField(label=_("Only when needed (not regular)"), required=False)
    administered_by = forms.ChoiceField(label=_("Who gives it"), choices=AdministeredBy.choices,
                                        widget=forms.RadioSelect,
                                        error_messages={"required": _("Choose who gives it."),
                                                        "invalid_choice": _("Choose who gives "
                                                                            "it.")})
    instructions = _text(_("Instructions (optional)"), 500, textarea=True)
    prescriber_id = forms.ChoiceField(label=_("Prescribed by (optional)"), required=False,
                                      error_messages=CHOOSE)
    prescriber_other = _text(_("Prescribed elsewhere (optional)"), 200,
                             help_text=_("If the prescriber is not on the care team."))
    started = DateField(label=_("Started"), help_text=_("For example, 27 3 2026."))

    def __init__(self, *args: Any, prescribers: list[tuple[Any, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["prescriber_id"].choices = [  # type: ignore[attr-defined]
            ("", _("Not on the care team, or not known")),
            *[(str(pk), name) for pk, name in prescribers]]

    def service_data(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class MedicineChangeForm(MedicineForm):
    reason = _text(_("Why is it changing? (optional)"), 500,
                   help_text=_("For example: dose increased at the clinic review."))


class StopForm(forms.Form):
    stopped = DateField(label=_("Stopped on"), help_text=_("For example, 27 3 2026."))
    reason = _text(_("Why was it stopped?"), 500, required=True, textarea=True)


class ReconcileForm(forms.Form):
    note = _text(_("Note (optional)"), 1000, textarea=True,
                 help_text=_("For example: checked with Maya and the care coordinator."))
