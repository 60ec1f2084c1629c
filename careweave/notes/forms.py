"""Forms for warnings, case notes and contacts. They check the shape of input; the
services validate (the same rules as the API) and the views put their errors back here."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from careweave.core.forms import DateField
from careweave.core.forms import text_field as _text
from careweave.notes.models import ContactKind, Sensitivity, WarningKind, WithWhom
from careweave.notes.services import CARE_ROLE_CODES
from careweave.orgs.models import Organisation, Role

CHOOSE = {"required": _("Choose one."), "invalid_choice": _("Choose from the list.")}


def role_choices() -> list[tuple[str, Any]]:
    return [(code, label) for code, label in Role.choices if code in CARE_ROLE_CODES]


def _audience_fields(form: forms.Form, *, kinds: bool) -> None:
    form.fields["sensitivity"] = forms.ChoiceField(
        label=_("Who may see it?"), choices=Sensitivity.choices, widget=forms.RadioSelect,
        initial="care_team", error_messages=CHOOSE)
    form.fields["roles"] = forms.MultipleChoiceField(
        label=_("Restricted: which roles may see it? (optional)"), required=False,
        choices=role_choices(), widget=forms.CheckboxSelectMultiple, error_messages=CHOOSE,
        help_text=_("Only if restricted. Leave empty for every role of the kinds of "
                    "organisation chosen below.") if kinds else
        _("Only if restricted: the roles that may see it, in any organisation on the care "
          "team (your own organisation's staff of these roles too)."))
    if kinds:
        form.fields["organisation_kinds"] = forms.MultipleChoiceField(
            label=_("Restricted: which kinds of organisation may see it? (optional)"),
            required=False, choices=Organisation.Kind.choices,
            widget=forms.CheckboxSelectMultiple, error_messages=CHOOSE,
            help_text=_("Only if restricted. Your own organisation always can. They see it "
                        "only when they read the record for direct care."))


class WarningForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type of warning"),
                             choices=[("", _("Choose a type")), *WarningKind.choices],
                             error_messages={"required": _("Choose the type of warning."),
                                             "invalid_choice": _("Choose the type of warning.")})
    title = _text(_("Warning"), 200, required=True,
                  help_text=_("What someone must know, in a few words. For example: "
                              "Penicillin – anaphylaxis."))
    details = _text(_("Details (optional)"), 2000, textarea=True)
    review_date = DateField(label=_("Review by (optional)"), required=False,
                            help_text=_("For example, 27 3 2027."))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _audience_fields(self, kinds=True)

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["roles"] = list(data.get("roles") or [])
        data["organisation_kinds"] = list(data.get("organisation_kinds") or [])
        return data


class WarningChangeForm(forms.Form):
    title = _text(_("Warning"), 200, required=True)
    details = _text(_("Details (optional)"), 2000, textarea=True)
    review_date = DateField(label=_("Review by (optional)"), required=False)


class WarningReviewForm(forms.Form):
    review_date = DateField(label=_("Next review by"), help_text=_("For example, 27 3 2027."))


class WarningEndForm(forms.Form):
    reason = forms.CharField(label=_("Why is the warning ending?"), widget=forms.Textarea,
                             max_length=2000,
                             help_text=_("For example: the allergy was disproved by testing."),
                             error_messages={"required": _("Enter the reason.")})


_TIME = re.compile(r"^\s*(\d{1,2})[:.](\d{2})\s*$")


class TimeField(forms.CharField):
    def clean(self, value: Any) -> dt.time | None:  # type: ignore[override]
        value = super().clean(value)
        if not value:
            return None
        match = _TIME.match(value)
        if match is None:
            raise ValidationError(_("Enter a time like 14:30."), code="invalid")
        hour, minute = int(match.group(1)), int(match.group(2))
        if hour > 23 or minute > 59:
            raise ValidationError(_("Enter a time like 14:30."), code="invalid")
        return dt.time(hour, minute)


class NoteForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of contact"), choices=ContactKind.choices,
                             widget=forms.RadioSelect,
                             error_messages={"required": _("Choose the kind of contact."),
                                             "invalid_choice": _("Choose the kind of contact.")})
    date = DateField(label=_("Date of the contact"), help_text=_("For example, 27 3 2026."))
    time = TimeField(label=_("Time"), max_length=5, help_text=_("For example, 14:30."),
                     error_messages={"required": _("Enter the time of the contact.")})
    with_whom = forms.MultipleChoiceField(label=_("With whom? (optional)"), required=False,
                                          choices=WithWhom.choices,
                                          widget=forms.CheckboxSelectMultiple,
                                          error_messages=CHOOSE)
    with_whom_detail = _text(_("Names (optional)"), 200,
                             help_text=_("For example: Jean (daughter), district nurse."))
    summary = _text(_("Summary"), 200, required=True,
                    help_text=_("One line: what the contact was about."))
    body = _text(_("What happened"), 20000, required=True, textarea=True)
    follow_up = _text(_("What follows (optional)"), 5000, textarea=True,
                      help_text=_("Actions, who does them, and by when."))
    attachment = forms.FileField(label=_("Attach a file (optional)"), required=False,
                                 help_text=_("A PDF, PNG or JPEG."))
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=100)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _audience_fields(self, kinds=False)
        if not self.is_bound:
            now = timezone.localtime()
            self.initial.setdefault("date", now.date())
            self.initial.setdefault("time", now.strftime("%H:%M"))
            self.initial.setdefault("idempotency_key", uuid.uuid4().hex)

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        day, time = data.pop("date"), data.pop("time")
        data.pop("attachment", None)
        data.pop("idempotency_key", None)
        data["occurred_at"] = timezone.make_aware(dt.datetime.combine(day, time))
        data["with_whom"] = list(data.get("with_whom") or [])
        data["roles"] = list(data.get("roles") or [])
        return data


class NoteAmendForm(forms.Form):
    with_whom = forms.MultipleChoiceField(label=_("With whom? (optional)"), required=False,
                                          choices=WithWhom.choices,
                                          widget=forms.CheckboxSelectMultiple,
                                          error_messages=CHOOSE)
    with_whom_detail = _text(_("Names (optional)"), 200)
    summary = _text(_("Summary"), 200, required=True)
    body = _text(_("What happened"), 20000, required=True, textarea=True)
    follow_up = _text(_("What follows (optional)"), 5000, textarea=True)
    reason = forms.CharField(label=_("Why are you amending the note?"), widget=forms.Textarea,
                             max_length=2000,
                             help_text=_("Everyone who can see the note will see the original, "
                                         "your amendment and this reason."),
                             error_messages={"required": _("Say why the note is being "
                                                           "amended.")})

    def service_changes(self) -> dict[str, Any]:
        data = {k: v for k, v in self.cleaned_data.items() if k != "reason"}
        data["with_whom"] = list(data.get("with_whom") or [])
        return data


class AttachmentForm(forms.Form):
    attachment = forms.FileField(label=_("File"), help_text=_("A PDF, PNG or JPEG."),
                                 error_messages={"required": _("Choose a file.")})


class NoteFilterForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of contact"), required=False, error_messages=CHOOSE)
    organisation = forms.TypedChoiceField(label=_("Organisation"), required=False,
                                          coerce=uuid.UUID, empty_value=None,
                                          error_messages=CHOOSE)
    author = forms.TypedChoiceField(label=_("Written by"), required=False, coerce=uuid.UUID,
                                    empty_value=None, error_messages=CHOOSE)

    def __init__(self, *args: Any, organisations: list[tuple[Any, str]],
                 authors: list[tuple[Any, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("Any kind")), *ContactKind.choices]  # type: ignore[attr-defined]
        self.fields["organisation"].choices = [  # type: ignore[attr-defined]
            ("", _("Any organisation")), *[(str(pk), name) for pk, name in organisations]]
        self.fields["author"].choices = [  # type: ignore[attr-defined]
            ("", _("Anyone")), *[(str(pk), name) for pk, name in authors]]


class ContactForm(forms.Form):
    phone = _text(_("Phone for professionals (optional)"), 40)
    email = _text(_("E-mail for professionals (optional)"), 254)
    hours = _text(_("Working hours (optional)"), 200,
                  help_text=_("For example: Monday to Friday, 9:00 to 17:00."))
    key_worker = forms.BooleanField(label=_("Key worker or coordinator for your organisation"),
                                    required=False,
                                    help_text=_("One per organisation: this replaces the "
                                                "current one."))
    lead_coordinator = forms.BooleanField(label=_("Lead coordinator for the whole care team"),
                                          required=False,
                                          help_text=_("One per person: this replaces the "
                                                      "current one."))


class OutOfHoursForm(forms.Form):
    phone = _text(_("Out-of-hours number"), 40, required=True)
    details = _text(_("When and how (optional)"), 200,
                    help_text=_("For example: evenings, weekends and bank holidays; ask for "
                                "the duty social worker."))
