"""Forms of organisation and platform administration. They parse what was typed; the
services (careweave.orgs.services) decide what is allowed and check the values, so the
pages and the API give the same errors."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from careweave.core.forms import text_field
from careweave.orgs.models import Area, Country, Organisation, Role


def role_choices(roles: Iterable[str]) -> list[tuple[str, str]]:
    """Roles in the order of the Role list, with their translated names."""
    wanted = set(roles)
    return [(value, str(label)) for value, label in Role.choices if value in wanted]


class RolesField(forms.MultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("error_messages", {
            "required": _("Choose at least one role."),
            "invalid_choice": _("Choose roles from the list."),
        })
        super().__init__(**kwargs)


class InviteForm(forms.Form):
    email = forms.CharField(
        label=_("Email address"), max_length=254 * 4, strip=True,
        widget=forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        error_messages={"required": _("Enter an email address.")},
    )
    roles = RolesField(label=_("Roles"), help_text=_("Choose every role they will have."))

    def __init__(self, *args: Any, roles: Iterable[str], days: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].help_text = ngettext(
            "We will send a link to this address. It works once, for %(days)d day.",
            "We will send a link to this address. It works once, for %(days)d days.",
            days) % {"days": days}
        field = self.fields["roles"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = role_choices(roles)


class RolesForm(forms.Form):
    roles = RolesField(
        label=_("Roles"), required=False,
        help_text=_("Untick every role to deactivate them here. Tick a role again to "
                    "reactivate it."),
    )

    def __init__(self, *args: Any, roles: Iterable[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["roles"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = role_choices(roles)


class ConfirmForm(forms.Form):
    """A button that confirms (deactivating someone or something)."""


class AcceptForm(forms.Form):
    """A new account from an invitation."""

    first_name = text_field(_("First name"), 150, required=True)
    last_name = text_field(_("Last name"), 150, required=True)
    username = forms.CharField(
        label=_("Username"), max_length=150 * 4, strip=True,
        help_text=_("You will sign in with this. Letters, numbers and . @ + - _ only."),
        error_messages={"required": _("Choose a username.")},
    )
    password = forms.CharField(
        label=_("Password"), max_length=200 * 4, strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 10 characters. Not a common password, not all numbers and "
                    "not like your name or username."),
        error_messages={"required": _("Choose a password.")},
    )
    password_again = forms.CharField(
        label=_("Type the password again"), max_length=200 * 4, strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": _("Type the password again.")},
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, again = data.get("password"), data.get("password_again")
        if first and again and first != again:
            self.add_error("password_again", _("The passwords are not the same."))
        return data


def _area_choices(areas: Iterable[Area], none: Any) -> list[Any]:
    """Areas grouped by country, for a select with optgroups; ``none`` first."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for area in areas:
        groups.setdefault(area.country, []).append((area.code, f"{area.name} ({area.code})"))
    labels = dict(Country.choices)
    return [("", none)] + [(str(labels.get(country, country)), options)
                           for country, options in groups.items()]


class OrganisationForm(forms.Form):
    name = text_field(_("Name"), 200, required=True)
    kind = forms.ChoiceField(label=_("Kind of organisation"),
                             choices=[("", _("Choose a kind")), *Organisation.Kind.choices],
                             error_messages={"required": _("Choose a kind."),
                                             "invalid_choice": _("Choose a kind.")})
    country = forms.ChoiceField(label=_("Country"), choices=Country.choices,
                                widget=forms.RadioSelect,
                                error_messages={"required": _("Choose a country."),
                                                "invalid_choice": _("Choose a country.")})
    area = forms.ChoiceField(label=_("Area"), required=False,
                             help_text=_("The local authority, kommun or region it serves."),
                             error_messages={"invalid_choice": _("Choose an area from the list.")})
    code = text_field(_("Organisation code"), 40,
                      help_text=_("ODS code or HSA-id. Unique in its country."))

    def __init__(self, *args: Any, areas: Iterable[Area], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["area"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = _area_choices(areas, _("No area"))


class AreaForm(forms.Form):
    code = text_field(_("Code"), 20, required=True,
                      help_text=_("For example the ONS code (E06000991) or the kommun code "
                                  "(1480)."))
    name = text_field(_("Name"), 200, required=True)
    country = forms.ChoiceField(label=_("Country"), choices=Country.choices,
                                widget=forms.RadioSelect,
                                error_messages={"required": _("Choose a country."),
                                                "invalid_choice": _("Choose a country.")})
    kind = forms.ChoiceField(label=_("Kind of area"),
                             choices=[("", _("Choose a kind")), *Area.Kind.choices],
                             error_messages={"required": _("Choose a kind."),
                                             "invalid_choice": _("Choose a kind.")})
    parent = forms.ChoiceField(label=_("Part of"), required=False,
                               help_text=_("The larger area it belongs to, if any."),
                               error_messages={"invalid_choice":
                                               _("Choose an area from the list.")})

    def __init__(self, *args: Any, areas: Iterable[Area], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["parent"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = _area_choices(areas, _("Not part of a larger area"))
