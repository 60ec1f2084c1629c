"""Forms for the privacy lead's audit viewer and break-glass review."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from careweave.audit.models import AuditEvent
from careweave.core.forms import DateField
from careweave.people import identifiers as ids
from careweave.people.models import PersonIdentifier


class BreakGlassReviewForm(forms.Form):
    note = forms.CharField(
        label=_("Review note (optional)"), max_length=500, required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"max_length": _("Note must be 500 characters or fewer.")},
    )


NO_PERSON = uuid.UUID(int=0)


class AuditFilterForm(forms.Form):
    person = forms.CharField(
        label=_("Person (record id or identifier)"), max_length=64, required=False,
        help_text=_("A record id, NHS number, personnummer or samordningsnummer."),
    )
    username = forms.CharField(label=_("Username"), max_length=150, required=False)
    organisation = forms.ChoiceField(
        label=_("Organisation"), required=False,
        help_text=_("You are privacy lead for more than one organisation."),
        error_messages={"invalid_choice": _("Choose one of your organisations.")},
    )
    date_from = DateField(label=_("From"), required=False)
    date_to = DateField(label=_("To"), required=False)
    action = forms.ChoiceField(
        label=_("Action"), required=False,
        choices=[("", _("Any action")), *AuditEvent.Action.choices],
        error_messages={"invalid_choice": _("Choose an action from the list.")},
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"), required=False,
        choices=[("", _("Any outcome")), *AuditEvent.Outcome.choices],
        error_messages={"invalid_choice": _("Choose an outcome from the list.")},
    )

    def __init__(self, *args: Any, organisations: Sequence[tuple[str, str]] = (),
                 **kwargs: Any) -> None:
        """``organisations``: (id, name) of every organisation the user is privacy lead for."""
        super().__init__(*args, **kwargs)
        field = self.fields["organisation"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("The organisation you are acting for")), *organisations]
        self.several_organisations = len(organisations) > 1

    def clean_person(self) -> uuid.UUID | None:
        raw = (self.cleaned_data.get("person") or "").strip()
        if not raw:
            return None
        try:
            return uuid.UUID(raw)
        except ValueError:
            pass
        ident = ids.guess(raw)
        if ident is None:
            raise ValidationError(_("Enter a record id, NHS number, personnummer or "
                                    "samordningsnummer."))
        person_id = (
            PersonIdentifier.objects.filter(system=ident.system, value=ident.value)
            .values_list("person_id", flat=True)
            .first()
        )
        # Unknown identifier: no events can match, so the list is simply empty.
        return person_id or NO_PERSON

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end date must be the same as or after the start."))
        return data

    def filters(self) -> dict[str, Any]:
        """Keyword arguments for ``audit_events`` (call only when valid)."""
        data = self.cleaned_data
        return {
            "person_id": data.get("person"),
            "username": data.get("username") or "",
            "date_from": data.get("date_from"),
            "date_to": data.get("date_to"),
            "action": data.get("action") or "",
            "outcome": data.get("outcome") or "",
        }

    def organisation_id(self) -> str:
        """The organisation chosen (call only when valid); "" for the one acted for."""
        return str(self.cleaned_data.get("organisation") or "")

    def described(self) -> dict[str, str]:
        """The filters as plain strings, for the export's audit event and the CSV filename."""
        described = {k: str(v) for k, v in self.filters().items() if v}
        if self.organisation_id():
            described["organisation_id"] = self.organisation_id()
        return described
