"""Forms for signing in, two-factor authentication, choosing a membership and the person.

Forms check the shape of input only; the people services validate and normalise (the
same rules as the API), and the views map service errors back onto these fields.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from careweave.orgs.models import Area
from careweave.people import identifiers as ids
from careweave.people.models import LivingSituation, Person
from careweave.web.forms_access import DateField

IDENTIFIER_FIELDS = {
    "identifier_nhs": ids.NHS,
    "identifier_se_pnr": ids.SE_PERSONNUMMER,
    "identifier_se_snr": ids.SE_SAMORDNINGSNUMMER,
}


class LoginForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150,
                               error_messages={"required": _("Enter your username.")})
    password = forms.CharField(label=_("Password"), max_length=200, widget=forms.PasswordInput,
                               error_messages={"required": _("Enter your password.")})


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("Security code"), max_length=12,
        help_text=_("The 6-digit code from your authenticator app."),
        error_messages={"required": _("Enter the 6-digit security code.")},
    )

    def clean_token(self) -> str:
        value = "".join(str(self.cleaned_data["token"]).split())
        if not (value.isdigit() and len(value) == 6):
            raise forms.ValidationError(_("Enter the 6-digit security code."))
        return value


class MembershipForm(forms.Form):
    membership = forms.ChoiceField(
        label=_("Which organisation and role are you working in?"),
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose an organisation and role."),
                        "invalid_choice": _("Choose an organisation and role.")},
    )

    def __init__(self, *args: Any, memberships: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["membership"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [
            (str(m.pk), f"{m.organisation.name} — {m.get_role_display()}") for m in memberships
        ]


def _text(label: Any, max_length: int, *, required: bool = False, help_text: Any = "",
          textarea: bool = False) -> forms.CharField:
    # max_length is checked by the service (with the same message as the API); the form
    # accepts a little more so a too-long value is reported, not silently truncated.
    return forms.CharField(
        label=label, required=required, help_text=help_text,
        max_length=max_length * 4, strip=True,
        widget=forms.Textarea if textarea else forms.TextInput,
        error_messages={"required": _("This is required."),
                        "max_length": _("Must be %(limit)d characters or fewer.")
                        % {"limit": max_length}},
    )


class PersonForm(forms.Form):
    given_name = _text(_("Given name"), 100, required=True)
    family_name = _text(_("Family name"), 100, required=True)
    preferred_name = _text(_("Preferred name (optional)"), 100,
                           help_text=_("What the person likes to be called."))
    birth_date = DateField(label=_("Date of birth"), help_text=_("For example, 27 3 1948."))
    gender = _text(_("Gender (optional)"), 40)
    identifier_nhs = _text(_("NHS number (optional)"), 20,
                           help_text=_("10 digits, for example 943 476 5919."))
    identifier_se_pnr = _text(_("Personnummer (optional)"), 20,
                                       help_text=_("For example 19480327-1234."))
    identifier_se_snr = _text(_("Samordningsnummer (optional)"), 20,
                                            help_text=_("Day of birth plus 60."))
    address_line = _text(_("Address (optional)"), 200)
    town = _text(_("Town (optional)"), 100)
    postcode = _text(_("Postcode (optional)"), 20)
    area_code = forms.ChoiceField(label=_("Area (optional)"), required=False)
    phone = _text(_("Phone (optional)"), 40)
    email = _text(_("Email (optional)"), 254)
    main_language = _text(_("Main language (optional)"), 40)
    other_languages = _text(_("Other languages (optional)"), 200)
    interpreter_needed = forms.BooleanField(label=_("Needs an interpreter"), required=False)
    interpreter_language = _text(_("Interpreter language"), 40,
                                 help_text=_("Only if an interpreter is needed."))
    cultural_background = _text(_("Cultural background (optional)"), 200)
    faith = _text(_("Faith or beliefs (optional)"), 100)
    cultural_needs = _text(_("Cultural and faith needs (optional)"), 5000, textarea=True)
    living_situation = forms.ChoiceField(label=_("Living situation (optional)"), required=False)
    what_matters = _text(
        _("What matters to me (optional)"), 5000, textarea=True,
        help_text=_("In the person's own words."),
    )
    confirm_similar = forms.BooleanField(
        label=_("I have checked: this is a different person"), required=False)

    def __init__(self, *args: Any, country: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        areas = Area.objects.all().order_by("name")
        if country:
            areas = areas.filter(country=country)
        area_field = self.fields["area_code"]
        living_field = self.fields["living_situation"]
        assert isinstance(area_field, forms.ChoiceField)
        assert isinstance(living_field, forms.ChoiceField)
        area_field.choices = [("", _("Not known"))] + [
            (a.code, str(a)) for a in areas.only("code", "name")
        ]
        living_field.choices = [("", _("Not known"))] + list(LivingSituation.choices)
        if country == "SE":
            del self.fields["identifier_nhs"]
        elif country:
            del self.fields["identifier_se_pnr"]
            del self.fields["identifier_se_snr"]

    def service_data(self) -> dict[str, Any]:
        """The cleaned fields as the people services take them."""
        data = {k: v for k, v in self.cleaned_data.items()
                if k not in IDENTIFIER_FIELDS and k != "confirm_similar"}
        return data

    def identifiers(self) -> list[tuple[str, str]]:
        return [(system, self.cleaned_data.get(name) or "")
                for name, system in IDENTIFIER_FIELDS.items() if name in self.fields]

    @classmethod
    def initial_for(cls, person: Person) -> dict[str, Any]:
        initial: dict[str, Any] = {
            name: getattr(person, name) for name in (
                "given_name", "family_name", "preferred_name", "birth_date", "gender",
                "address_line", "town", "postcode", "phone", "email", "main_language",
                "other_languages", "interpreter_needed", "interpreter_language",
                "cultural_background", "faith", "cultural_needs", "living_situation",
                "what_matters",
            )
        }
        initial["area_code"] = person.area.code if person.area_id and person.area else ""
        for ident in person.identifiers.all():
            initial[f"identifier_{ident.system}".replace("-", "_")] = ident.display
        return initial


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search by name, NHS number or personnummer"), required=False,
                        max_length=100)
