"""The person's medicines as one shared list, every change to it, and its reconciliation
(the list confirmed by one clinician, with the date of that review)."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from careweave.medicines import codes, rules
from careweave.orgs.models import Membership, Organisation
from careweave.people.models import Person


class CodeSystem(models.TextChoices):
    NONE = "", _("No code")
    DMD = codes.DMD, _("dm+d (UK)")
    NPL = codes.NPL, _("NPL (Sweden)")


class Route(models.TextChoices):
    ORAL = "oral", _("By mouth")
    SUBLINGUAL = "sublingual", _("Under the tongue")
    INHALED = "inhaled", _("Inhaled")
    TOPICAL = "topical", _("On the skin")
    TRANSDERMAL = "transdermal", _("Patch on the skin")
    EYE = "eye", _("In the eye")
    EAR = "ear", _("In the ear")
    NASAL = "nasal", _("In the nose")
    SUBCUTANEOUS = "subcutaneous", _("Injection under the skin")
    INTRAMUSCULAR = "intramuscular", _("Injection into a muscle (depot)")
    INTRAVENOUS = "intravenous", _("Into a vein")
    RECTAL = "rectal", _("Rectal")
    OTHER = "other", _("Other")


class AdministeredBy(models.TextChoices):
    SELF = "self", _("The person themselves")
    CARER = "carer", _("A family carer")
    CARE_HOME = "care_home", _("Care home staff")
    HOME_CARE = "home_care", _("Home care staff")
    NURSE = "nurse", _("A nurse")


class Medicine(models.Model):
    class Status(models.TextChoices):
        ACTIVE = rules.ACTIVE, _("Taking")
        STOPPED = rules.STOPPED, _("Stopped")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("medicine"), max_length=200)
    code_system = models.CharField(_("code system"), max_length=4, choices=CodeSystem.choices,
                                   blank=True)
    code = models.CharField(_("code"), max_length=20, blank=True)
    dose = models.CharField(_("dose"), max_length=100)
    route = models.CharField(_("route"), max_length=20, choices=Route.choices)
    frequency = models.CharField(_("how often"), max_length=100)
    as_needed = models.BooleanField(_("as needed (not regular)"), default=False)
    administered_by = models.CharField(_("who gives it"), max_length=20,
                                       choices=AdministeredBy.choices)
    instructions = models.CharField(_("instructions"), max_length=500, blank=True)
    prescriber = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("prescribed by"))
    prescriber_other = models.CharField(_("prescribed by (elsewhere)"), max_length=200,
                                        blank=True)
    started = models.DateField(_("started"))
    stopped = models.DateField(_("stopped"), null=True, blank=True)
    stop_reason = models.CharField(_("why it was stopped"), max_length=500, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=rules.ACTIVE)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    recorded_by = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    updated_by = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    version = models.PositiveIntegerField(default=1)

    class Meta:
        indexes = [models.Index(fields=["person", "status", "name", "id"],
                                name="medicine_person_idx")]

    def __str__(self) -> str:
        return f"{self.name} {self.dose}"

    @property
    def etag(self) -> str:
        return f'W/"{self.version}"'


class MedicineChange(models.Model):
    """One change to one medicine: who (organisation, role, name), when, the medicine after
    it (and before), and why. Reconciliation reads these to show what each organisation
    knows."""

    class Kind(models.TextChoices):
        STARTED = "started", _("Added")
        CHANGED = "changed", _("Changed")
        STOPPED = "stopped", _("Stopped")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    medicine = models.ForeignKey(Medicine, on_delete=models.CASCADE, related_name="changes")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    version = models.PositiveIntegerField()
    at = models.DateTimeField()
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    membership = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    by_name = models.CharField(max_length=200)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict)
    reason = models.CharField(max_length=500, blank=True)

    class Meta:
        indexes = [models.Index(fields=["person", "at"], name="medchange_person_idx")]
        constraints = [models.UniqueConstraint(fields=["medicine", "version"],
                                               name="medchange_version_unique")]


class Reconciliation(models.Model):
    """The list as it stood, confirmed by one clinician on a date (the last review)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    confirmed_by = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    confirmed_by_name = models.CharField(max_length=200)
    at = models.DateTimeField()
    list_version = models.CharField(max_length=20)
    snapshot = models.JSONField(default=dict)  # {medicine id: version}
    note = models.CharField(_("note"), max_length=1000, blank=True)

    class Meta:
        indexes = [models.Index(fields=["person", "at"], name="reconciliation_person_idx")]
