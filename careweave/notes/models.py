"""Warnings on the record, case notes (never edited in place) with their attachments, and
the care team's contact details.

Notes and attachments are append-only: an amendment is a new row pointing at the note it
corrects, which keeps its text. The model refuses to change or delete a saved row; on
PostgreSQL a trigger refuses UPDATE, and DELETE unless the person's whole record goes
(migrations/0002_append_only.py).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from careweave.access.models import CareTeamMember
from careweave.notes import rules
from careweave.orgs.models import Membership, Organisation, Role
from careweave.people.models import Person


class Sensitivity(models.TextChoices):
    CARE_TEAM = rules.CARE_TEAM, _("Everyone on the care team")
    ORGANISATION = rules.ORGANISATION, _("My organisation only")
    RESTRICTED = rules.RESTRICTED, _("Restricted to named roles")


class WarningKind(models.TextChoices):
    DNACPR = "dnacpr", _("DNACPR, ReSPECT form or advance decision to refuse treatment")
    ALLERGY = "allergy", _("Allergy or adverse reaction")
    LONE_WORKER = "lone_worker", _("Risk to lone workers")
    SAFEGUARDING = "safeguarding", _("Safeguarding concern")
    RISK_TO_SELF = "risk_to_self", _("Risk to self")
    INFECTION = "infection", _("Infection control")
    ACCESS = "access", _("Key safe and access instructions")
    COMMUNICATION = "communication", _("Communication need")


# Short names for tags (caseload flags, the banner's tags).
WARNING_TAGS = {
    "dnacpr": _("DNACPR / ReSPECT"),
    "allergy": _("Allergy"),
    "lone_worker": _("Lone-worker risk"),
    "safeguarding": _("Safeguarding"),
    "risk_to_self": _("Risk to self"),
    "infection": _("Infection control"),
    "access": _("Key safe / access"),
    "communication": _("Communication"),
}


class Audience(models.Model):
    """Who may see the row: the level and, when restricted, the named roles and kinds of
    organisation (stored packed, "|clinician|nurse|", see :mod:`careweave.notes.rules`)."""

    sensitivity = models.CharField(_("who may see it"), max_length=20,
                                   choices=Sensitivity.choices, default=rules.CARE_TEAM)
    audience_roles = models.CharField(max_length=200, blank=True, default="")
    audience_kinds = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        abstract = True

    @property
    def roles(self) -> frozenset[str]:
        return rules.unpack(self.audience_roles)

    @property
    def organisation_kinds(self) -> frozenset[str]:
        return rules.unpack(self.audience_kinds)

    @property
    def role_labels(self) -> list[str]:
        names = dict(Role.choices)
        return [str(names.get(code, code)) for code in sorted(self.roles)]

    @property
    def kind_labels(self) -> list[str]:
        names = dict(Organisation.Kind.choices)
        return [str(names.get(code, code)) for code in sorted(self.organisation_kinds)]

    def as_item(self) -> rules.Item:
        return rules.Item(sensitivity=self.sensitivity,
                          organisation_id=str(self.organisation_id),  # type: ignore[attr-defined]
                          roles=self.roles, organisation_kinds=self.organisation_kinds)


class PersonWarning(Audience):
    class Status(models.TextChoices):
        ACTIVE = rules.ACTIVE, _("Active")
        ENDED = rules.ENDED, _("Ended")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("type of warning"), max_length=20, choices=WarningKind.choices)
    title = models.CharField(_("warning"), max_length=200)
    details = models.TextField(_("details"), blank=True)
    # indexed by warning_org_review_idx, which leads with it
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+",
                                     db_index=False)
    raised_by = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    raised_by_name = models.CharField(max_length=200)
    raised_at = models.DateTimeField()
    review_date = models.DateField(_("review by"), null=True, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(Membership, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=rules.ACTIVE)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(Membership, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    end_reason = models.CharField(_("reason for ending"), max_length=500, blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            # the banner and the person's list: a person's active warnings
            models.Index(fields=["person", "status", "raised_at"], name="warning_person_idx"),
            # the raising organisation's reviews that are due. Not partial: the status is a
            # parameter of the prepared statement, and PostgreSQL's generic plan cannot
            # prove a partial index's "status = 'active'" (it read all the organisation's
            # warnings, ended ones too, and sorted them).
            models.Index(fields=["organisation", "status", "review_date", "id"],
                         name="warning_org_review_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def etag(self) -> str:
        return f'W/"{self.version}"'

    @property
    def tag(self) -> str:
        return str(WARNING_TAGS.get(self.kind, self.kind))


class AppendOnly(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        raise TypeError("case notes and attachments are never changed: add an amendment")

    def delete(self) -> Any:  # type: ignore[override]
        raise TypeError("case notes and attachments are never deleted")


class AppendOnlyModel(models.Model):
    objects = AppendOnly.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise TypeError("case notes and attachments are never changed: add an amendment")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("case notes and attachments are never deleted")


class ContactKind(models.TextChoices):
    VISIT = "visit", _("Visit")
    PHONE = "phone", _("Phone call")
    VIDEO = "video", _("Video call")
    MESSAGE = "message", _("Message")
    MEETING = "meeting", _("Meeting")
    LETTER = "letter", _("Letter")


class WithWhom(models.TextChoices):
    PERSON = "person", _("The person")
    RELATIVE = "relative", _("A relative or carer")
    PROFESSIONAL = "professional", _("Another professional")


class CaseNote(Audience, AppendOnlyModel):
    """A note of one contact, or (``amends`` set) an amendment of one: the whole corrected
    note, with who changed it and why. The original is never touched."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    amends = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE,
                               related_name="amendments")
    kind = models.CharField(_("kind of contact"), max_length=20, choices=ContactKind.choices)
    occurred_at = models.DateTimeField(_("date and time"))
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    # indexed by note_author_key_idx, which leads with it
    author = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+",
                               db_index=False)
    author_name = models.CharField(max_length=200)
    author_role = models.CharField(max_length=40)
    author_title = models.CharField(max_length=100, blank=True)
    with_whom = models.JSONField(_("with whom"), default=list, blank=True)
    with_whom_detail = models.CharField(_("names"), max_length=200, blank=True)
    summary = models.CharField(_("summary"), max_length=200)
    body = models.TextField(_("what happened"))
    follow_up = models.TextField(_("what follows"), blank=True)
    amendment_reason = models.CharField(_("why it was amended"), max_length=500, blank=True)
    recorded_at = models.DateTimeField()
    idempotency_key = models.CharField(max_length=100, blank=True)
    request_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        indexes = [
            # the person's notes, newest first (and filtered by kind, organisation, author)
            models.Index(fields=["person", "occurred_at", "id"], name="note_person_idx",
                         condition=models.Q(amends__isnull=True)),
            models.Index(fields=["person", "kind", "occurred_at", "id"], name="note_kind_idx",
                         condition=models.Q(amends__isnull=True)),
            models.Index(fields=["person", "organisation", "occurred_at", "id"],
                         name="note_org_idx", condition=models.Q(amends__isnull=True)),
            models.Index(fields=["person", "author", "occurred_at", "id"],
                         name="note_author_idx", condition=models.Q(amends__isnull=True)),
            models.Index(fields=["amends", "recorded_at"], name="note_amends_idx"),
            # The replay lookup (author, key) of every keyed write. The unique constraint
            # below is partial ("key <> ''"), which PostgreSQL's generic plan for the
            # prepared lookup (the key a parameter) cannot use: it read all the author's
            # notes. This index serves that lookup and the author's foreign key.
            models.Index(fields=["author", "idempotency_key"], name="note_author_key_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["author", "idempotency_key"],
                                    condition=~models.Q(idempotency_key=""),
                                    name="note_idempotency_unique"),
        ]

    def __str__(self) -> str:
        return self.summary

    @property
    def with_whom_labels(self) -> list[str]:
        names = dict(WithWhom.choices)
        return [str(names.get(code, code)) for code in self.with_whom or []]


class Attachment(AppendOnlyModel):
    """A file attached to a note, stored once under MEDIA_ROOT by its SHA-256 and served
    only through the gated view (its sensitivity is the note's)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    note = models.ForeignKey(CaseNote, on_delete=models.CASCADE, related_name="attachments")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    content_type = models.CharField(max_length=40)
    filename = models.CharField(max_length=120)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    uploaded_by = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["note", "uploaded_at"], name="attachment_note_idx")]

    def __str__(self) -> str:
        return self.filename


class TeamContact(models.Model):
    """How to reach one care-team member: phone and e-mail for professionals, working hours,
    and whether they are the key worker (one per person per organisation) or the lead
    coordinator (one per person)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    member = models.OneToOneField(CareTeamMember, on_delete=models.CASCADE,
                                  related_name="contact")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    phone = models.CharField(_("phone for professionals"), max_length=40, blank=True)
    email = models.EmailField(_("e-mail for professionals"), blank=True)
    hours = models.CharField(_("working hours"), max_length=200, blank=True)
    key_worker = models.BooleanField(_("key worker or coordinator for this organisation"),
                                     default=False)
    lead_coordinator = models.BooleanField(_("lead coordinator"), default=False)
    version = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey(Membership, null=True, on_delete=models.SET_NULL,
                                   related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["person"], name="teamcontact_person_idx")]
        constraints = [
            models.UniqueConstraint(fields=["person", "organisation"],
                                    condition=models.Q(key_worker=True),
                                    name="one_key_worker_per_organisation"),
            models.UniqueConstraint(fields=["person"], condition=models.Q(lead_coordinator=True),
                                    name="one_lead_coordinator"),
        ]

    @property
    def etag(self) -> str:
        return f'W/"{self.version}"'


class OutOfHours(models.Model):
    """An organisation's out-of-hours number, shown beside its care-team members."""

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE,
                                        primary_key=True, related_name="out_of_hours")
    phone = models.CharField(_("out-of-hours number"), max_length=40)
    details = models.CharField(_("when and how"), max_length=200, blank=True)
    updated_by = models.ForeignKey(Membership, null=True, on_delete=models.SET_NULL,
                                   related_name="+")
    updated_at = models.DateTimeField(auto_now=True)
