"""Forms for the care-team, consent and break-glass pages.

Forms only parse and check the shape of input; the services decide everything else
(and their errors are mapped back onto these fields by the views).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from careweave.access import policy
from careweave.access.models import CareTeamMember, Consent
from careweave.access.services import MIN_REASON
from careweave.core.forms import DateField, start_of_day
from careweave.orgs.models import Membership, Organisation
from careweave.people import identifiers as ids


def organisation_choices(country: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """Active organisations in ``country``, grouped by kind (for an <optgroup> select)."""
    kinds = dict(Organisation.Kind.choices)
    groups: dict[str, list[tuple[str, str]]] = {}
    for org in Organisation.objects.filter(is_active=True, country=country).order_by(
        "kind", "name"
    ).only("id", "name", "kind"):
        groups.setdefault(str(kinds.get(org.kind, org.kind)), []).append((str(org.pk), org.name))
    return sorted(groups.items())


def staff_choices(country: str, organisation_id: str | None = None
                  ) -> list[tuple[str, list[tuple[str, str]]]]:
    """Staff who can be named on a care team: people in a care role (no privacy leads,
    analysts or administrators), each once per organisation, "Name — Role", grouped by
    organisation; only the chosen organisation's when one is chosen."""
    groups: dict[str, list[tuple[str, str]]] = {}
    rows = (
        Membership.objects.filter(is_active=True, user__is_active=True,
                                  organisation__is_active=True, organisation__country=country,
                                  role__in=policy.CARE_ROLES)
        .select_related("user", "organisation")
        .order_by("organisation__name", "user__last_name", "user__first_name", "role")
    )
    if organisation_id:
        rows = rows.filter(organisation_id=organisation_id)
    seen: set[tuple[Any, Any]] = set()
    for m in rows:
        if (m.organisation_id, m.user_id) in seen:
            continue
        seen.add((m.organisation_id, m.user_id))
        name = m.user.get_full_name() or m.user.get_username()
        label = f"{name} — {m.get_role_display()}"
        if m.job_title:
            label += f" ({m.job_title})"
        groups.setdefault(m.organisation.name, []).append((str(m.pk), label))
    return list(groups.items())


class CareTeamAddForm(forms.Form):
    organisation_id = forms.ChoiceField(
        label=_("Organisation"),
        error_messages={"required": _("Choose an organisation."),
                        "invalid_choice": _("Choose an organisation from the list.")},
    )
    staff_membership_id = forms.ChoiceField(
        label=_("Named staff member (optional)"), required=False,
        help_text=_("Leave blank if the whole organisation is on the care team."),
        error_messages={"invalid_choice": _("Choose a staff member from the list.")},
    )
    role = forms.CharField(
        label=_("Role in the care team"), max_length=100,
        help_text=_("For example: GP, ward, social worker, home care."),
        error_messages={"required": _("Enter the organisation's role in the care team."),
                        "max_length": _("Role must be 100 characters or fewer.")},
    )
    start_date = DateField(
        label=_("Start date"), required=False,
        help_text=_("For example, 27 3 2026. Leave blank for today."),
    )

    def __init__(self, *args: Any, country: str, chosen_organisation: str | None = None,
                 refresh_url: str = "", **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("start_date", timezone.localdate())
        super().__init__(*args, **kwargs)
        field = self.fields["organisation_id"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("Choose an organisation")), *organisation_choices(country)]
        valid = {value for _group, options in field.choices[1:]  # type: ignore[misc]
                 for value, _label in options}
        chosen = chosen_organisation if chosen_organisation in valid else None
        if chosen and not self.is_bound:
            self.initial["organisation_id"] = chosen
        staff = self.fields["staff_membership_id"]
        assert isinstance(staff, forms.ChoiceField)
        # With JavaScript, choosing the organisation narrows the staff list (htmx asks the
        # page again); without it, the list is every organisation's, grouped.
        staff.choices = [("", _("No named staff member")), *staff_choices(country, chosen)]
        if refresh_url:
            field.widget.attrs.update({
                "hx-get": refresh_url, "hx-trigger": "change", "hx-target": "#staff-field",
                "hx-select": "#staff-field", "hx-swap": "outerHTML",
                "hx-include": "[name=organisation_id]",
            })


class CareTeamEndForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is this organisation leaving the care team?"), max_length=200,
        error_messages={"required": _("Enter the reason for ending this care-team membership."),
                        "max_length": _("Reason must be 200 characters or fewer.")},
    )


def team_organisation_choices(team: Iterable[CareTeamMember]) -> list[tuple[str, str]]:
    """The organisations on the current care team, once each, in name order."""
    today = timezone.localdate()
    seen: dict[str, str] = {}
    for member in team:
        if member.start_date <= today and (member.end_date is None or member.end_date > today):
            seen.setdefault(str(member.organisation_id), member.organisation.name)
    return sorted(seen.items(), key=lambda item: item[1])


class ConsentForm(forms.Form):
    purpose = forms.ChoiceField(
        label=_("What is the consent for?"), choices=Consent.Purpose.choices,
        widget=forms.RadioSelect, error_messages={"required": _("Choose a purpose.")},
    )
    decision = forms.ChoiceField(
        label=_("What did the person decide?"), choices=Consent.Decision.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose whether the person agrees or objects.")},
    )
    organisation_ids = forms.MultipleChoiceField(
        label=_("Which organisations does it cover?"), required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave all unticked to cover the whole care team, including organisations "
                    "that join it later."),
        error_messages={"invalid_choice": _("Choose organisations on the care team.")},
    )
    given_by = forms.ChoiceField(
        label=_("Who gave it?"), choices=Consent.GivenBy.choices, widget=forms.RadioSelect,
        initial=Consent.GivenBy.PERSON,
        error_messages={"required": _("Say who gave the consent.")},
    )
    representative_name = forms.CharField(
        label=_("Representative's name"), required=False, max_length=200,
        error_messages={"max_length": _("Name must be 200 characters or fewer.")},
    )
    method = forms.ChoiceField(
        label=_("How was it recorded?"), choices=Consent.Method.choices,
        widget=forms.RadioSelect, error_messages={"required": _("Say how it was recorded.")},
    )
    valid_from = DateField(
        label=_("Valid from (optional)"), required=False,
        help_text=_("Leave blank for now."),
    )
    valid_to = DateField(
        label=_("Valid until (optional)"), required=False,
        help_text=_("The consent ends at the end of this day. Leave blank if it has no end."),
    )

    def __init__(self, *args: Any, team: Sequence[CareTeamMember], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["organisation_ids"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = team_organisation_choices(team)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (data.get("given_by") == Consent.GivenBy.REPRESENTATIVE
                and not data.get("representative_name")):
            self.add_error("representative_name", _("Enter the representative's name."))
        start, end = data.get("valid_from"), data.get("valid_to")
        if start and end and end < start:
            self.add_error("valid_to", _("The end date must be the same as or after the start."))
        return data

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        start: dt.date | None = data.get("valid_from")
        end: dt.date | None = data.get("valid_to")
        today = timezone.localdate()
        return {
            "purpose": data["purpose"],
            "decision": data["decision"],
            "organisation_ids": list(data.get("organisation_ids") or []),
            "given_by": data["given_by"],
            "representative_name": (data.get("representative_name") or "")
            if data["given_by"] == Consent.GivenBy.REPRESENTATIVE else "",
            "method": data["method"],
            "valid_from": start_of_day(start) if start and start != today else None,
            "valid_to": start_of_day(end + dt.timedelta(days=1)) if end else None,
        }


class ConsentWithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for withdrawal"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Enter the reason for withdrawing the consent."),
                        "max_length": _("Reason must be 500 characters or fewer.")},
    )


class BreakGlassForm(forms.Form):
    identifier = forms.CharField(
        label=_("NHS number, personnummer or samordningsnummer"), max_length=40, required=False,
        help_text=_("For example, 943 476 5919 or 19380211-1234."),
        error_messages={"max_length": _("This identifier is too long.")},
    )
    person_id = forms.UUIDField(required=False, widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Why do you need emergency access?"), max_length=1000, min_length=MIN_REASON,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Give the clinical reason. Your privacy lead will read it."),
        error_messages={
            "required": _("Enter the reason you need emergency access."),
            "min_length": _("Give the clinical reason in at least %(limit_value)d characters."),
            "max_length": _("Reason must be %(limit_value)d characters or fewer."),
        },
    )
    understood = forms.BooleanField(
        label=_("I understand this access is recorded and reviewed by my organisation's "
                "privacy lead"),
        error_messages={"required": _("Confirm that you understand this access is recorded "
                                      "and reviewed.")},
    )

    def clean_identifier(self) -> str:
        raw: str = self.cleaned_data.get("identifier") or ""
        if raw.strip() and ids.guess(raw) is None:
            raise ValidationError(
                _("Enter a valid NHS number, personnummer or samordningsnummer."))
        return raw.strip()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("person_id") and not data.get("identifier") \
                and "identifier" not in self.errors:
            self.add_error("identifier", _("Enter the person's NHS number, personnummer or "
                                           "samordningsnummer."))
        return data


class TransferRegistrationForm(forms.Form):
    organisation_id = forms.ChoiceField(
        label=_("Which organisation will hold the registration?"), widget=forms.RadioSelect,
        error_messages={"required": _("Choose an organisation on the care team."),
                        "invalid_choice": _("Choose an organisation on the care team.")})
    reason = forms.CharField(
        label=_("Why is the registration moving?"), max_length=500, widget=forms.Textarea,
        help_text=_("For example: registered with a new GP practice."),
        error_messages={"required": _("Enter the reason for the transfer.")})

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["organisation_id"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices


class JoinRequestForm(forms.Form):
    identifier = forms.CharField(
        label=_("NHS number, personnummer or samordningsnummer"), max_length=40,
        error_messages={"required": _("Enter the person's identifier.")})
    role = forms.CharField(
        label=_("Your organisation's role in the care team"), max_length=100,
        help_text=_("For example: GP, ward, social worker, home care."),
        error_messages={"required": _("Enter your organisation's role in the care team.")})
    reason = forms.CharField(
        label=_("Why does your organisation need to join the care team?"), max_length=1000,
        widget=forms.Textarea,
        help_text=_("The organisation that holds the record reads this before it decides."),
        error_messages={"required": _("Enter the reason.")})


class JoinDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Your decision"), widget=forms.RadioSelect,
        choices=[("accept", _("Accept: add the organisation to the care team")),
                 ("decline", _("Decline"))],
        error_messages={"required": _("Choose accept or decline."),
                        "invalid_choice": _("Choose accept or decline.")})
    note = forms.CharField(label=_("Note (optional)"), max_length=500, required=False,
                           widget=forms.Textarea)
