"""The person: identity, contacts, languages, culture, social network."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from careweave.core.fields import SortKeyField
from careweave.orgs.models import Area, Country, Membership, Organisation
from careweave.people import identifiers as ids
from careweave.people.names import search_key, swedish_sort_key


class LivingSituation(models.TextChoices):
    ALONE = "alone", _("Lives alone")
    WITH_FAMILY = "with_family", _("Lives with family or partner")
    CARE_HOME = "care_home", _("Lives in a care home")
    SUPPORTED = "supported", _("Supported living")
    HOMELESS = "homeless", _("No fixed address")
    OTHER = "other", _("Other")
    UNKNOWN = "", _("Not recorded")


class Person(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    country = models.CharField(_("country"), max_length=2, choices=Country.choices)
    given_name = models.CharField(_("given name"), max_length=100)
    family_name = models.CharField(_("family name"), max_length=100)
    preferred_name = models.CharField(_("preferred name"), max_length=100, blank=True)
    # Accent- and case-folded "given family" and "family given" for search and sorting.
    search_name = models.CharField(max_length=210, editable=False, db_index=False)
    sort_name = SortKeyField(max_length=210, editable=False)
    # "family given" in Swedish alphabetical order (Å, Ä, Ö after Z): lists in Swedish sort
    # by it (docs/adr/0009-swedish-collation.md).
    sort_name_sv = SortKeyField(max_length=400, editable=False, default="")
    birth_date = models.DateField(_("date of birth"))
    gender = models.CharField(_("gender"), max_length=40, blank=True)

    address_line = models.CharField(_("address"), max_length=200, blank=True)
    town = models.CharField(_("town"), max_length=100, blank=True)
    postcode = models.CharField(_("postcode"), max_length=20, blank=True)
    area = models.ForeignKey(Area, null=True, blank=True, on_delete=models.PROTECT)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("email"), blank=True)

    main_language = models.CharField(_("main language"), max_length=40, blank=True)
    other_languages = models.CharField(_("other languages"), max_length=200, blank=True)
    interpreter_needed = models.BooleanField(_("needs an interpreter"), default=False)
    interpreter_language = models.CharField(_("interpreter language"), max_length=40, blank=True)
    cultural_background = models.CharField(_("cultural background"), max_length=200, blank=True)
    faith = models.CharField(_("faith or beliefs"), max_length=100, blank=True)
    cultural_needs = models.TextField(_("cultural and faith needs"), blank=True)
    living_situation = models.CharField(
        _("living situation"), max_length=20, choices=LivingSituation.choices, blank=True
    )
    what_matters = models.TextField(_("what matters to me"), blank=True)

    registered_by = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+",
        help_text=_("The organisation that created this record."),
    )
    # Set when a data-quality review merged this record into another (PersonMerge): the
    # record is kept so that the merge can be undone, but is never listed or opened.
    # Nearly always NULL: only a partial index (below), so that the planner never prefers a
    # scan of "merged_into IS NULL" to the caseload's keyset index.
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", editable=False, db_index=False)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["sort_name", "id"], name="person_sort_idx"),
            models.Index(fields=["sort_name_sv", "id"], name="person_sort_sv_idx"),
            models.Index(fields=["merged_into"], name="person_merged_into_idx",
                         condition=models.Q(merged_into__isnull=False)),
            models.Index(fields=["search_name"], name="person_search_idx"),
            models.Index(fields=["birth_date"], name="person_birth_idx"),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    def refresh_search_fields(self) -> None:
        self.search_name = search_key(f"{self.given_name} {self.family_name} {self.preferred_name}")
        self.sort_name = search_key(f"{self.family_name} {self.given_name}")
        self.sort_name_sv = swedish_sort_key(self.family_name, self.given_name)

    @property
    def etag(self) -> str:
        return f'W/"{self.version}"'


class PersonIdentifier(models.Model):
    class System(models.TextChoices):
        NHS = ids.NHS, _("NHS number")
        SE_PERSONNUMMER = ids.SE_PERSONNUMMER, _("Personnummer")
        SE_SAMORDNINGSNUMMER = ids.SE_SAMORDNINGSNUMMER, _("Samordningsnummer")

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="identifiers")
    system = models.CharField(_("system"), max_length=20, choices=System.choices)
    value = models.CharField(_("value"), max_length=20)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["system", "value"], name="identifier_unique"),
            # One NHS number (or personnummer…) per person.
            models.UniqueConstraint(fields=["person", "system"], name="identifier_one_per_system"),
        ]
        indexes = [models.Index(fields=["value"], name="identifier_value_idx")]

    def __str__(self) -> str:
        return self.display

    @property
    def display(self) -> str:
        return ids.format_identifier(self.system, self.value)


class RelatedPerson(models.Model):
    """Someone in the person's social network: next of kin, carer, friend."""

    class Relationship(models.TextChoices):
        NEXT_OF_KIN = "next_of_kin", _("Next of kin")
        CARER = "carer", _("Unpaid carer")
        PARTNER = "partner", _("Partner or spouse")
        CHILD = "child", _("Son or daughter")
        PARENT = "parent", _("Parent")
        SIBLING = "sibling", _("Brother or sister")
        FRIEND = "friend", _("Friend or neighbour")
        ADVOCATE = "advocate", _("Advocate")
        GUARDIAN = "guardian", _("Legal representative (god man / förvaltare / deputy)")
        OTHER = "other", _("Other")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="network")
    name = models.CharField(_("name"), max_length=200)
    relationship = models.CharField(_("relationship"), max_length=20, choices=Relationship.choices)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    is_next_of_kin = models.BooleanField(_("next of kin"), default=False)
    is_carer = models.BooleanField(_("provides unpaid care"), default=False)
    may_share = models.BooleanField(
        _("person agrees we may share information with them"), default=False
    )
    notes = models.CharField(_("notes"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-is_next_of_kin", "name"]
        indexes = [models.Index(fields=["person", "name"], name="network_person_idx")]


class TimelineEntry(models.Model):
    """One event in the person's timeline, written by the service that made the change, in
    its transaction. Built from domain events, not from the audit log: the audit log says
    who *looked*; the timeline says what *happened* in the person's care.

    ``kind`` is a key registered in :mod:`careweave.core.registry` ("access.consent_withdrawn");
    ``data`` holds what the sentence needs (names as they were at the time), so showing a
    page of entries takes one query.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="timeline")
    at = models.DateTimeField(_("when"))
    kind = models.CharField(max_length=60)
    # The organisation that made the change (the actor's), or None for the system.
    organisation = models.ForeignKey(Organisation, null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    actor_role = models.CharField(max_length=40, blank=True)
    data = models.JSONField(default=dict, blank=True)
    object_type = models.CharField(max_length=40, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["person", "at", "id"], name="timeline_person_idx"),
            models.Index(fields=["person", "kind", "at", "id"], name="timeline_kind_idx"),
            models.Index(fields=["person", "organisation", "at", "id"], name="timeline_org_idx"),
        ]


class DuplicateCandidate(models.Model):
    """Two records that may be the same person (``careweave.people.matching``), kept up to
    date by the people services so that the data-quality list is one indexed read.

    ``person_a`` sorts before ``person_b`` (by id), so a pair is stored once. A pair someone
    reviewed and found to be two people is dismissed, and stays dismissed.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Indexed by the unique constraint (person_a first) and duplicate_person_b_idx.
    person_a = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+",
                                 db_index=False)
    person_b = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+",
                                 db_index=False)
    score = models.PositiveSmallIntegerField()
    reasons = models.JSONField(default=list)
    rules_version = models.PositiveSmallIntegerField()
    found_at = models.DateTimeField()
    dismissed_at = models.DateTimeField(null=True, blank=True)
    dismissed_by = models.ForeignKey(Membership, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person_a", "person_b"], name="duplicate_pair_unique"),
            models.CheckConstraint(condition=models.Q(person_a__lt=models.F("person_b")),
                                   name="duplicate_pair_ordered"),
        ]
        indexes = [
            # The list: open pairs, most likely first (keyset on score, id).
            models.Index(fields=["score", "id"], name="duplicate_open_idx",
                         condition=models.Q(dismissed_at__isnull=True)),
            models.Index(fields=["person_b"], name="duplicate_person_b_idx"),
        ]


class PersonMerge(models.Model):
    """Record ``merged`` was merged into ``survivor``: which rows moved, so that an unmerge
    puts exactly those back. ``moved`` maps each merge handler's key
    (``careweave.core.registry.MergeHandler``) to what that handler returned."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    survivor = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    merged = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    merged_by = models.ForeignKey(Membership, null=True, on_delete=models.SET_NULL,
                                  related_name="+")
    merged_at = models.DateTimeField()
    score = models.PositiveSmallIntegerField()
    reasons = models.JSONField(default=list)
    moved = models.JSONField(default=dict)
    unmerged_at = models.DateTimeField(null=True, blank=True)
    unmerged_by = models.ForeignKey(Membership, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [
            # A record is merged into one other at a time.
            models.UniqueConstraint(fields=["merged"], condition=models.Q(unmerged_at__isnull=True),
                                    name="merge_one_in_force"),
        ]
        indexes = [models.Index(fields=["survivor", "merged_at"], name="merge_survivor_idx")]
