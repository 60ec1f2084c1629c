"""Instruments (as data), recorded assessments, safety flags, notifications, self-completion
links and the latest score per person and instrument.

A submitted assessment is never changed: a correction is a new row (``corrects`` the one
it replaces, with the reason), and both are kept. The model refuses to change a submitted
row; on PostgreSQL a trigger refuses UPDATE of anything but a draft, except moving the row
to another person (a merge) (migrations/0002_append_only.py).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from careweave.assessments import rules
from careweave.assessments.definitions import text_in
from careweave.orgs.models import Membership, Organisation
from careweave.people.models import Person


class Instrument(models.Model):
    """A standardised instrument (PHQ-9, GAD-7, ...): its versions hold the definitions."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.JSONField(default=dict)  # {"en": ..., "sv": ...}
    current = models.ForeignKey("InstrumentVersion", null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code

    def name_in(self, language: str) -> str:
        return text_in(self.name, language) or self.code


class InstrumentVersion(models.Model):
    """One version of an instrument's definition (items, options and values, scoring, bands,
    missing-item rule, flags, languages, licence). Never changed once stored: a change is a
    new version."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT,
                                   related_name="versions")
    version = models.CharField(max_length=40)
    definition = models.JSONField()
    content_hash = models.CharField(max_length=64)
    source = models.CharField(max_length=200, blank=True)  # "shipped", or the file imported
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["instrument", "version"],
                                               name="instrument_version_unique")]

    def __str__(self) -> str:
        return f"{self.instrument.code}@{self.version}"

    @property
    def audience(self) -> str:
        return str(self.definition.get("audience", rules.CARE_TEAM))


class Mode(models.TextChoices):
    STAFF = "staff", _("Recorded by staff")
    SELF = "self", _("Completed by the person")


class Status(models.TextChoices):
    DRAFT = rules.DRAFT, _("Draft")
    SUBMITTED = rules.SUBMITTED, _("Submitted")
    DISCARDED = rules.DISCARDED, _("Discarded")


class Assessment(models.Model):
    """One completion of an instrument for a person: a draft until submitted, then scored
    and never changed. ``root`` is the first version; a correction ``corrects`` the version
    it replaces (one correction per version, so the versions form a line)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="+")
    instrument_version = models.ForeignKey(InstrumentVersion, on_delete=models.PROTECT,
                                           related_name="+")
    audience = models.CharField(max_length=20, default=rules.CARE_TEAM)
    status = models.CharField(max_length=10, choices=Status.choices, default=rules.DRAFT)
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.STAFF)
    language = models.CharField(max_length=8, default="en")
    answers = models.JSONField(default=dict, blank=True)
    page = models.PositiveSmallIntegerField(default=0)  # where a draft was left
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    # indexed by assessment_recorder_key_idx, which leads with it
    recorded_by = models.ForeignKey(Membership, null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+", db_index=False)
    recorded_by_name = models.CharField(max_length=200, blank=True)
    taken_on = models.DateField(_("date of the assessment"))
    started_at = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True)
    # the score, as computed at submission (never recomputed in place)
    total = models.IntegerField(null=True, blank=True)
    band = models.CharField(max_length=40, blank=True)
    prorated = models.BooleanField(default=False)
    scoring_version = models.CharField(max_length=80, blank=True)
    unscored_reason = models.CharField(max_length=40, blank=True)
    result = models.JSONField(default=dict, blank=True)  # domains, concerns, flags, missing
    # versions
    root = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE,
                             related_name="+")
    corrects = models.OneToOneField("self", null=True, blank=True, on_delete=models.CASCADE,
                                    related_name="correction")
    version = models.PositiveIntegerField(default=1)
    correction_reason = models.CharField(max_length=500, blank=True)
    idempotency_key = models.CharField(max_length=100, blank=True)
    request_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        indexes = [
            # a person's assessments of one instrument, in date order (trend, latest two).
            # Not partial: PostgreSQL's generic plan for a prepared statement (the status is
            # a parameter) cannot prove a partial index's condition, and then scanned every
            # assessment of the instrument (8,000 rows at 2,000 people) on each submit.
            models.Index(fields=["person", "instrument", "taken_on", "submitted_at"],
                         name="assessment_trend_all_idx"),
            # a person's list, newest first
            models.Index(fields=["person", "started_at", "id"], name="assessment_person_idx"),
            # The replay lookup (recorder, key): the partial unique constraint below cannot
            # serve a generic plan, where the key is a parameter (see CaseNote). It also
            # serves the recorder's foreign key.
            models.Index(fields=["recorded_by", "idempotency_key"],
                         name="assessment_recorder_key_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["recorded_by", "idempotency_key"],
                                    condition=~models.Q(idempotency_key=""),
                                    name="assessment_idempotency_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.instrument_id} {self.taken_on}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding and self.pk is not None:
            stored = Assessment.objects.filter(pk=self.pk).values_list("status", flat=True)
            if list(stored) != [rules.DRAFT]:
                raise TypeError("a submitted assessment is never changed: record a correction")
        super().save(*args, **kwargs)

    @property
    def definition(self) -> dict[str, Any]:
        return self.instrument_version.definition

    @property
    def etag(self) -> str:
        return f'W/"{self.version}"'


class SafetyFlag(models.Model):
    """A risk answer (PHQ-9 item 9 above 0) on the person's record: shown on the person's
    pages and the caseload until a clinician records a review."""

    class State(models.TextChoices):
        OPEN = rules.OPEN, _("Awaiting a clinician's review")
        REVIEWED = rules.REVIEWED, _("Reviewed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="flags")
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="+")
    code = models.CharField(max_length=40)
    audience = models.CharField(max_length=20, default=rules.PROFESSIONAL)
    status = models.CharField(max_length=10, choices=State.choices, default=rules.OPEN)
    raised_at = models.DateTimeField()
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    reviewed_by = models.ForeignKey(Membership, null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    reviewed_by_name = models.CharField(max_length=200, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        indexes = [models.Index(fields=["person", "status", "raised_at"],
                                name="safetyflag_person_idx")]

    @property
    def etag(self) -> str:
        return f'W/"{self.version}"'


class Notification(models.Model):
    """Something a named person (or, when nobody is named, an organisation's professionals)
    must act on: today, a safety flag to review."""

    class Kind(models.TextChoices):
        SAFETY_FLAG = "safety_flag", _("A risk answer needs review")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    flag = models.ForeignKey(SafetyFlag, null=True, blank=True, on_delete=models.CASCADE,
                             related_name="notifications")
    audience = models.CharField(max_length=20, default=rules.PROFESSIONAL)
    recipient = models.ForeignKey(Membership, null=True, blank=True, on_delete=models.CASCADE,
                                  related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    why = models.CharField(max_length=40, blank=True)  # mental_health_lead, coordinator, ...
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["organisation", "created_at", "id"],
                         name="notification_org_idx"),
            models.Index(fields=["recipient", "created_at", "id"],
                         name="notification_recipient_idx"),
        ]


class SelfCompletionLink(models.Model):
    """A one-time, expiring link for the person to complete one assessment themselves. Only
    the SHA-256 of the link's token is stored."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    assessment = models.OneToOneField(Assessment, on_delete=models.CASCADE,
                                      related_name="link")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    opened_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def state(self, now: Any) -> str:
        return rules.link_state(now=now, expires_at=self.expires_at, used_at=self.used_at,
                                revoked_at=self.revoked_at)


class LatestScore(models.Model):
    """Per person and instrument: the latest current score and how it compares with the one
    before, kept by the services on every submission and correction, so that the team view
    ("deteriorated reliably, or overdue a repeat") is one ordered index range
    (``attention_on``: the day it needed attention) with a visibility probe per row."""

    id = models.BigAutoField(primary_key=True)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="+")
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="+")
    audience = models.CharField(max_length=20, default=rules.CARE_TEAM)
    taken_on = models.DateField()
    total = models.IntegerField(null=True, blank=True)
    band = models.CharField(max_length=40, blank=True)
    previous_total = models.IntegerField(null=True, blank=True)
    change = models.CharField(max_length=30, blank=True)
    due_on = models.DateField(null=True, blank=True)
    attention_on = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "instrument"],
                                               name="latestscore_unique")]
        indexes = [models.Index(fields=["attention_on", "id"], name="latestscore_attention_idx",
                                condition=models.Q(attention_on__isnull=False))]

    @property
    def deteriorated(self) -> bool:
        from careweave.assessments.change import DETERIORATION

        return self.change == DETERIORATION
