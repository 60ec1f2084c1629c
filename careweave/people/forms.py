"""Forms for the person: create and change, search the caseload, add to the social network.

Forms check the shape of input only; the people services validate and normalise (the
same rules as the API), and the views map service errors back onto these fields.
"""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from careweave.core.forms import DateField
from careweave.core.forms import text_field as _text
from careweave.orgs.models import Area, Country
from careweave.people import identifiers as ids
from careweave.people.models import LivingSituation, Person, RelatedPerson

IDENTIFIER_FIELDS = {
    "identifier_nhs": ids.NHS,
    "identifier_se_pnr": ids.SE_PERSONNUMMER,
    "identifier_se_snr": ids.SE_SAMORDNINGSNUMMER,
}


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

    def __init__(self, *args: Any, country: str = "", identity: bool = True,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not identity:
            # Only the registering organisation changes who the person is (the gate's
            # CHANGE_IDENTITY); everyone else sees these details but cannot send them.
            for name in ("birth_date", *IDENTIFIER_FIELDS):
                del self.fields[name]
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
        for name in (("identifier_nhs",) if country == "SE" else
                     ("identifier_se_pnr", "identifier_se_snr") if country else ()):
            self.fields.pop(name, None)

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



class NetworkAddForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=200,
        error_messages={"required": _("Enter a name."),
                        "max_length": _("Name must be 200 characters or fewer.")},
    )
    relationship = forms.ChoiceField(
        label=_("Relationship to the person"),
        choices=[("", _("Choose a relationship")), *RelatedPerson.Relationship.choices],
        error_messages={"required": _("Choose a relationship."),
                        "invalid_choice": _("Choose a relationship from the list.")},
    )
    phone = forms.CharField(
        label=_("Phone (optional)"), max_length=40, required=False,
        error_messages={"max_length": _("Phone must be 40 characters or fewer.")},
    )
    is_next_of_kin = forms.BooleanField(label=_("Next of kin"), required=False)
    is_carer = forms.BooleanField(label=_("Provides unpaid care"), required=False)
    may_share = forms.BooleanField(
        label=_("The person agrees we may share information with them"), required=False)
    notes = forms.CharField(
        label=_("Notes (optional)"), max_length=500, required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": _("Notes must be 500 characters or fewer.")},
    )


class TimelineFilterForm(forms.Form):
    kind = forms.ChoiceField(label=_("What happened"), required=False,
                             error_messages={"invalid_choice": _("Choose one from the list.")})
    organisation = forms.TypedChoiceField(
        label=_("Organisation"), required=False, coerce=uuid.UUID, empty_value=None,
        error_messages={"invalid_choice": _("Choose one from the list.")})

    def __init__(self, *args: Any, kinds: list[Any], organisations: list[tuple[Any, str]],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kind = self.fields["kind"]
        assert isinstance(kind, forms.ChoiceField)
        kind.choices = [("", _("Everything")), *[(k.key, str(k.label)) for k in kinds]]
        org = self.fields["organisation"]
        assert isinstance(org, forms.ChoiceField)
        org.choices = [("", _("Any organisation")), *[(str(pk), name) for pk, name in organisations]]


class MergeForm(forms.Form):
    """Which of the two records to keep: the other is merged into it."""

    keep = forms.ChoiceField(
        label=_("Which record do you want to keep?"), widget=forms.RadioSelect,
        help_text=_("The other record's identifiers, care team, consents, family and carers "
                    "and timeline move to it. You can undo this."),
        error_messages={"required": _("Choose which record to keep."),
                        "invalid_choice": _("Choose which record to keep.")})

    def __init__(self, *args: Any, people: list[Person], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        keep = self.fields["keep"]
        assert isinstance(keep, forms.ChoiceField)
        keep.choices = [
            (str(p.pk), _("%(name)s, born %(born)s, registered by %(organisation)s") % {
                "name": p.display_name, "born": date_format(p.birth_date, "DATE_FORMAT"),
                "organisation": p.registered_by.name})
            for p in people]
class CountryForm(forms.Form):
    country = forms.ChoiceField(
        label=_("Which country's rules apply to this record?"), widget=forms.RadioSelect,
        choices=Country.choices,
        error_messages={"required": _("Choose the United Kingdom or Sweden."),
                        "invalid_choice": _("Choose the United Kingdom or Sweden.")})
    reason = forms.CharField(
        label=_("Why is the country changing?"), max_length=500, widget=forms.Textarea,
        help_text=_("For example: the person moved from Sweden to England. The consent rules "
                    "change with the country."),
        error_messages={"required": _("Enter the reason.")})
