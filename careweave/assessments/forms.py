"""Forms for recording assessments. The questions are built from the instrument's definition
(data); the forms check the shape of input, and the services validate it (the same rules as
the API) and score it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from careweave.assessments import rules, scoring
from careweave.assessments.definitions import text_in
from careweave.core.forms import DateField

CHOOSE = {"required": _("Choose one."), "invalid_choice": _("Choose one of the answers "
                                                             "given.")}
LANGUAGE_CHOICES = [("en", _("English")), ("sv", _("Swedish"))]


def question_fields(definition: Mapping[str, Any], codes: Sequence[str],
                    language: str) -> dict[str, forms.Field]:
    """One field per question, in the instrument's language (none required here: the view
    asks for required answers on "Continue", the service on submission)."""
    items = scoring.item_map(definition)
    fields: dict[str, forms.Field] = {}
    for code in codes:
        item = items.get(code)
        if item is None:
            continue
        label = text_in(item.get("text"), language)
        kind = item.get("type", scoring.CHOICE)
        if kind == scoring.TEXT:
            fields[code] = forms.CharField(
                label=label, required=False, strip=True, widget=forms.Textarea,
                max_length=int(item.get("max_length", scoring.TEXT_LIMIT)) * 4)
            continue
        choices = [(o["code"], text_in(o.get("text"), language))
                   for o in scoring.options_of(definition, item)]
        if kind == scoring.MULTI:
            fields[code] = forms.MultipleChoiceField(
                label=label, required=False, choices=choices,
                widget=forms.CheckboxSelectMultiple, error_messages=CHOOSE)
        else:
            fields[code] = forms.ChoiceField(label=label, required=False, choices=choices,
                                             widget=forms.RadioSelect, error_messages=CHOOSE)
        fields[code].cw_required = bool(item.get("required"))  # type: ignore[attr-defined]
    return fields


class QuestionsForm(forms.Form):
    def __init__(self, *args: Any, definition: Mapping[str, Any], codes: Sequence[str],
                 language: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.codes = [c for c in codes if c in scoring.item_map(definition)]
        self.fields.update(question_fields(definition, self.codes, language))

    def answers(self) -> tuple[dict[str, Any], list[str]]:
        """(answers given on this page, questions on it left empty)."""
        given: dict[str, Any] = {}
        empty: list[str] = []
        for code in self.codes:
            value = self.cleaned_data.get(code)
            if scoring.is_answered(value):
                given[code] = list(value) if isinstance(value, list | tuple) else value
            else:
                empty.append(code)
        return given, empty

    def missing_required(self) -> list[str]:
        given, _empty = self.answers()
        return [c for c in self.codes
                if getattr(self.fields[c], "cw_required", False) and c not in given]


class StartForm(forms.Form):
    instrument = forms.ChoiceField(label=_("Which assessment?"), widget=forms.RadioSelect,
                                   error_messages={"required": _("Choose an assessment."),
                                                   "invalid_choice": _("Choose an assessment "
                                                                       "from the list.")})
    taken_on = DateField(label=_("Date of the assessment"), required=False,
                         help_text=_("Leave empty for today. For example, 27 3 2026."))
    language = forms.ChoiceField(label=_("Language of the questions"), choices=LANGUAGE_CHOICES,
                                 widget=forms.RadioSelect, initial="en", error_messages=CHOOSE)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=100)

    def __init__(self, *args: Any, instruments: Sequence[tuple[str, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["instrument"].choices = list(instruments)  # type: ignore[attr-defined]


class LinkForm(forms.Form):
    instrument = forms.ChoiceField(label=_("Which assessment should the person complete?"),
                                   widget=forms.RadioSelect,
                                   error_messages={"required": _("Choose an assessment."),
                                                   "invalid_choice": _("Choose an assessment "
                                                                       "from the list.")})
    language = forms.ChoiceField(label=_("Language of the questions"), choices=LANGUAGE_CHOICES,
                                 widget=forms.RadioSelect, initial="en", error_messages=CHOOSE)
    days = forms.IntegerField(
        label=_("How many days should the link work?"), initial=rules.LINK_DAYS_DEFAULT,
        help_text=_("From 1 to %(n)d days. It works once.") % {"n": rules.LINK_DAYS_MAX},
        error_messages={"required": _("Enter a number of days."),
                        "invalid": _("Enter a whole number of days, like 7.")})

    def __init__(self, *args: Any, instruments: Sequence[tuple[str, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["instrument"].choices = list(instruments)  # type: ignore[attr-defined]


class ReasonMixin(forms.Form):
    reason = forms.CharField(label=_("Why are the answers being corrected?"),
                             widget=forms.Textarea, max_length=2000, strip=True,
                             error_messages={"required": _("Say why the answers are being "
                                                           "corrected.")})


class ReviewForm(forms.Form):
    note = forms.CharField(
        label=_("What did the review find, and what was done?"), widget=forms.Textarea,
        max_length=8000, strip=True,
        help_text=_("For example: who saw the person, the risk assessed, the plan agreed."),
        error_messages={"required": _("Say what the review found and what was done.")})
