"""Forms for the plan pages. They parse and check the shape of input only; the services
decide everything else, and their errors are put back on these fields by the views.

Text fields accept more than the limit so that a too-long value is reported by the service
(with the same message as the API), never silently cut."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from careweave.core.forms import DateField, text_field
from careweave.orgs.models import Membership, Organisation
from careweave.plans import rules, services, states
from careweave.plans.models import (
    AgreementMethod,
    GivenBy,
    Goal,
    Participant,
    PlanAction,
    PlanLanguage,
    PlanType,
)


def organisation_options(orgs: Iterable[Organisation]) -> list[tuple[str, str]]:
    return [(str(o.pk), o.name) for o in sorted(orgs, key=lambda o: o.name)]


def staff_options(staff: Iterable[Membership]) -> list[tuple[str, list[tuple[str, str]]]]:
    """Staff grouped by organisation, "Name — Role (job title)"."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for m in staff:
        label = f"{m.user.get_full_name() or m.user.get_username()} — {m.get_role_display()}"
        if m.job_title:
            label += f" ({m.job_title})"
        groups.setdefault(m.organisation.name, []).append((str(m.pk), label))
    return list(groups.items())


class ReasonMixin(forms.Form):
    reason = text_field(_("Why is this changing? (optional)"), services.LIMITS["reason"],
                        help_text=_("Shown to the care team when versions are compared."))


class PlanForm(ReasonMixin):
    plan_type = forms.ChoiceField(label=_("Type of plan"), choices=PlanType.choices,
                                  widget=forms.RadioSelect,
                                  error_messages={"required": _("Choose the type of plan.")})
    language = forms.ChoiceField(label=_("Language of the plan"), choices=PlanLanguage.choices,
                                 widget=forms.RadioSelect, initial=PlanLanguage.EN,
                                 help_text=_("The language the printed plan is in, unless "
                                             "you choose another when you print it."),
                                 error_messages={"required": _("Choose a language.")})
    coordinating_organisation_id = forms.ChoiceField(
        label=_("Coordinating organisation"),
        help_text=_("The organisation with the main responsibility for the plan "
                    "(huvudansvarig)."),
        error_messages={"required": _("Choose the coordinating organisation."),
                        "invalid_choice": _("Choose an organisation from the list.")})
    coordinator_id = forms.ChoiceField(
        label=_("Named coordinator (optional)"), required=False,
        error_messages={"invalid_choice": _("Choose a staff member from the list.")})
    situation = text_field(_("My situation, in my words"), services.LIMITS["situation"],
                           textarea=True,
                           help_text=_("Write it as the person tells it."))
    what_matters = text_field(_("What matters to me"), services.LIMITS["what_matters"],
                              textarea=True)
    follow_up_date = DateField(label=_("Next follow-up"), required=False,
                               help_text=_("For example, 27 3 2026."))
    contingency = text_field(_("If things do not go to plan"), services.LIMITS["contingency"],
                             textarea=True,
                             help_text=_("For example: if my carer cannot come, who steps "
                                         "in."))

    def __init__(self, *args: Any, organisations: Iterable[Organisation],
                 coordinators: Iterable[Membership], creating: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        org = self.fields["coordinating_organisation_id"]
        assert isinstance(org, forms.ChoiceField)
        org.choices = [("", _("Choose an organisation")), *organisation_options(organisations)]
        staff = self.fields["coordinator_id"]
        assert isinstance(staff, forms.ChoiceField)
        staff.choices = [("", _("No named coordinator")), *staff_options(coordinators)]
        if creating:
            del self.fields["reason"]
        else:
            del self.fields["plan_type"]

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("reason", None)
        data.pop("plan_type", None)
        data["coordinator_id"] = data.get("coordinator_id") or None
        return data


class GoalForm(ReasonMixin):
    kind = forms.ChoiceField(label=_("Kind of goal"), choices=Goal.Kind.choices,
                             widget=forms.RadioSelect, initial=Goal.Kind.SUB,
                             error_messages={"required": _("Choose the kind of goal.")})
    own_words = text_field(_("The goal in the person's own words"),
                           services.LIMITS["own_words"], required=True, textarea=True)
    measurable = text_field(_("How we will know (measurable)"), services.LIMITS["measurable"],
                            required=True,
                            help_text=_("For example: walks to the shop twice a week "
                                        "without help."))
    target_date = DateField(label=_("Target date"), help_text=_("For example, 27 3 2026."))
    level_m2 = text_field(_("−2: much less than expected"), services.LIMITS["level"],
                          required=True)
    level_m1 = text_field(_("−1: somewhat less than expected"), services.LIMITS["level"],
                          required=True)
    level_0 = text_field(_("0: the expected outcome"), services.LIMITS["level"], required=True)
    level_p1 = text_field(_("+1: somewhat more than expected"), services.LIMITS["level"],
                          required=True)
    level_p2 = text_field(_("+2: much more than expected"), services.LIMITS["level"],
                          required=True)

    def service_data(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k != "reason"}


class ActionForm(ReasonMixin):
    description = text_field(_("What will be done"), services.LIMITS["description"],
                             required=True, textarea=True)
    goal_id = forms.ChoiceField(label=_("Towards the goal (optional)"), required=False,
                                error_messages={"invalid_choice": _("Choose a goal from the "
                                                                    "list.")})
    organisation_id = forms.ChoiceField(
        label=_("Organisation responsible"),
        help_text=_("Only organisations that can see the person's record are listed."),
        error_messages={"required": _("Choose the organisation responsible."),
                        "invalid_choice": _("Choose an organisation from the list.")})
    staff_id = forms.ChoiceField(label=_("Named staff member (optional)"), required=False,
                                 error_messages={"invalid_choice": _("Choose a staff member "
                                                                     "from the list.")})
    start_date = DateField(label=_("Start date (optional)"), required=False,
                           help_text=_("For example, 27 3 2026."))
    due_date = DateField(label=_("Due date (optional)"), required=False,
                         help_text=_("For example, 27 3 2026."))

    def __init__(self, *args: Any, organisations: Iterable[Organisation],
                 staff: Iterable[Membership], goals: Sequence[Goal], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._set("organisation_id", [("", _("Choose an organisation")),
                                      *organisation_options(organisations)])
        self._set("staff_id", [("", _("No named staff member")), *staff_options(staff)])
        self._set("goal_id", [("", _("Not towards one goal"))] + [
            (str(g.pk), f"{i}. {g.own_words[:80]}") for i, g in enumerate(goals, start=1)])

    def _set(self, name: str, choices: list[Any]) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices

    def service_data(self) -> dict[str, Any]:
        data = {k: v for k, v in self.cleaned_data.items() if k != "reason"}
        data["goal_id"] = data.get("goal_id") or None
        data["staff_id"] = data.get("staff_id") or None
        return data


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), widget=forms.RadioSelect,
                               error_messages={"required": _("Choose the new status."),
                                               "invalid_choice": _("Choose a status from the "
                                                                   "list.")})
    note = text_field(_("Note (optional)"), services.LIMITS["reason"])

    def __init__(self, *args: Any, current: str, who: frozenset[states.Party],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = dict(PlanAction.Status.choices)
        field = self.fields["status"]
        assert isinstance(field, forms.ChoiceField)
        options = states.next_statuses(current, who)
        # What the table forbids is not offered; a forged choice is the service's to refuse.
        field.choices = [(s.value, labels[s.value]) for s in options] or [
            (s.value, labels[s.value]) for s in states.Status if s != current]


class SectionForm(ReasonMixin):
    heading = text_field(_("Heading"), services.LIMITS["heading"], required=True)
    body = text_field(_("Text"), services.LIMITS["body"], required=True, textarea=True)
    sensitive = forms.BooleanField(
        label=_("Sensitive: show only to organisations the person's consent covers"),
        required=False,
        help_text=_("For example, mental-health detail. The registering and coordinating "
                    "organisations always see it."))

    def service_data(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k != "reason"}


class ParticipantForm(forms.Form):
    kind = forms.ChoiceField(label=_("Who took part"), choices=Participant.Kind.choices,
                             widget=forms.RadioSelect,
                             error_messages={"required": _("Choose who took part.")})
    name = text_field(_("Name"), services.LIMITS["name"], required=True)
    role = text_field(_("Role or relationship (optional)"), services.LIMITS["role"])
    organisation_id = forms.ChoiceField(label=_("Organisation (for staff)"), required=False,
                                        error_messages={"invalid_choice": _(
                                            "Choose an organisation from the list.")})

    def __init__(self, *args: Any, organisations: Iterable[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["organisation_id"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("No organisation")), *organisation_options(organisations)]

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["organisation_id"] = data.get("organisation_id") or None
        return data


class AgreeForm(forms.Form):
    given_by = forms.ChoiceField(label=_("Who agreed"), choices=GivenBy.choices,
                                 widget=forms.RadioSelect,
                                 error_messages={"required": _("Say who agreed.")})
    representative_name = text_field(_("Representative's name"), services.LIMITS["name"],
                                     help_text=_("If a representative agreed on the person's "
                                                 "behalf."))
    method = forms.ChoiceField(label=_("How they agreed"), choices=AgreementMethod.choices,
                               widget=forms.RadioSelect,
                               error_messages={"required": _("Say how they agreed.")})
    agreed_on = DateField(label=_("Date agreed"), help_text=_("For example, 27 3 2026."))
    note = text_field(_("Note (optional)"), services.LIMITS["note"], textarea=True)


class ReasonForm(forms.Form):
    reason = text_field(_("Reason"), services.LIMITS["reason"], required=True)


SCORE_CHOICES = [(str(s), f"{s:+d}" if s else "0") for s in rules.GAS_SCORES]


class ReviewForm(forms.Form):
    held_on = DateField(label=_("Date of the follow-up"), help_text=_("For example, 27 3 2026."))
    account = text_field(_("What happened since the last follow-up"),
                         services.LIMITS["account"], textarea=True)
    next_follow_up = DateField(label=_("Next follow-up (optional)"), required=False,
                               help_text=_("For example, 27 3 2026."))

    def __init__(self, *args: Any, goals: Sequence[Goal], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.goals = list(goals)
        for goal in self.goals:
            levels = {s: getattr(goal, rules.level_field(s)) for s in rules.GAS_SCORES}
            choices = [(str(s), f"{s:+d}: {levels[s]}" if s else f"0: {levels[s]}")
                       for s in rules.GAS_SCORES]
            self.fields[f"professional_{goal.pk}"] = forms.ChoiceField(
                label=_("Professional's rating"), choices=choices, widget=forms.RadioSelect,
                error_messages={"required": _("Rate this goal from −2 to +2.")})
            self.fields[f"person_{goal.pk}"] = forms.ChoiceField(
                label=_("The person's own rating"), required=False, widget=forms.RadioSelect,
                choices=[*choices, ("", _("The person did not rate it"))])
            self.fields[f"comment_{goal.pk}"] = text_field(_("Comment (optional)"),
                                                           services.LIMITS["comment"])

    def rows(self) -> list[dict[str, Any]]:
        return [{"goal": g, "professional": self[f"professional_{g.pk}"],
                 "person": self[f"person_{g.pk}"], "comment": self[f"comment_{g.pk}"]}
                for g in self.goals]

    def ratings(self) -> list[dict[str, Any]]:
        out = []
        for goal in self.goals:
            own = self.cleaned_data.get(f"person_{goal.pk}")
            out.append({"goal_id": str(goal.pk),
                        "professional_score": int(self.cleaned_data[f"professional_{goal.pk}"]),
                        "person_score": int(own) if own not in (None, "") else None,
                        "comment": self.cleaned_data.get(f"comment_{goal.pk}", "")})
        return out


CONTACT_ROWS = 5


class CrisisPlanForm(forms.Form):
    early_warning_signs = text_field(_("Early warning signs, in my words"),
                                     services.LIMITS["crisis"], required=True, textarea=True)
    triggers = text_field(_("What can set things off"), services.LIMITS["crisis"], textarea=True)
    what_helps = text_field(_("What helps me"), services.LIMITS["crisis"], textarea=True)
    others_do = text_field(_("What I want others to do"), services.LIMITS["crisis"],
                           textarea=True)
    others_avoid = text_field(_("What I do not want others to do"), services.LIMITS["crisis"],
                              textarea=True)
    medication_notes = text_field(_("Medication"), services.LIMITS["crisis"], textarea=True)
    advance_statements = text_field(_("Advance statements and preferences"),
                                    services.LIMITS["crisis"], textarea=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for i in range(1, CONTACT_ROWS + 1):
            self.fields[f"contact_{i}_name"] = text_field(_("Name"), services.LIMITS["name"])
            self.fields[f"contact_{i}_relationship"] = text_field(_("Who they are"),
                                                                  services.LIMITS["role"])
            self.fields[f"contact_{i}_phone"] = text_field(_("Phone"), services.LIMITS["phone"])
            self.fields[f"contact_{i}_notes"] = text_field(_("When to call"),
                                                           services.LIMITS["contact_notes"])

    @staticmethod
    def initial_contacts(contacts: Iterable[Any]) -> dict[str, str]:
        out = {}
        for i, c in enumerate(contacts, start=1):
            for name in ("name", "relationship", "phone", "notes"):
                out[f"contact_{i}_{name}"] = getattr(c, name)
        return out

    def contact_rows(self) -> list[dict[str, Any]]:
        return [{"number": i, **{n: self[f"contact_{i}_{n}"]
                                 for n in ("name", "relationship", "phone", "notes")}}
                for i in range(1, CONTACT_ROWS + 1)]

    def service_data(self) -> tuple[dict[str, Any], list[dict[str, str]]]:
        data = {n: self.cleaned_data.get(n, "") for n in services.CRISIS_FIELDS}
        contacts = []
        for i in range(1, CONTACT_ROWS + 1):
            row = {n: self.cleaned_data.get(f"contact_{i}_{n}", "")
                   for n in ("name", "relationship", "phone", "notes")}
            if any(row.values()):
                contacts.append(row)
        return data, contacts


class CrisisNoteForm(forms.Form):
    note = text_field(_("What is happening"), services.LIMITS["reason"], required=True)


class CompareForm(forms.Form):
    """?from=1&to=2 (``to`` may be "draft": the plan as it reads now)."""

    def __init__(self, *args: Any, numbers: Sequence[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(str(n), _("Version %(n)d") % {"n": n}) for n in numbers]
        self.fields["from"] = forms.ChoiceField(
            label=_("Compare"), choices=choices,
            error_messages={"required": _("Choose a version to compare."),
                            "invalid_choice": _("There is no such version of this plan.")})
        self.fields["to"] = forms.ChoiceField(
            label=_("with"), choices=[*choices, ("draft", _("The plan as it is now"))],
            error_messages={"required": _("Choose a version to compare with."),
                            "invalid_choice": _("There is no such version of this plan.")})


class ExportForm(forms.Form):
    language = forms.ChoiceField(choices=PlanLanguage.choices, required=False)
    easy_read = forms.BooleanField(required=False)
    version = forms.CharField(required=False, max_length=12)


def new_key() -> str:
    return uuid.uuid4().hex
