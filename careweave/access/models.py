"""Care teams, consent and break-glass: the facts the gate decides on."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from careweave.core.fields import SortKeyField
from careweave.orgs.models import Membership, Organisation
from careweave.people.models import Person


class CareTeamMember(models.Model):
    """An organisation (optionally a named staff member) on a person's care team."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="care_team")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    staff = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("named staff member"),
    )
    role = models.CharField(_("role in the care team"), max_length=100)
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("to"), null=True, blank=True)
    end_reason = models.CharField(_("reason for ending"), max_length=200, blank=True)
    added_by = models.ForeignKey(
        Membership, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["start_date", "organisation__name"]
        indexes = [
            # The gate's and the caseload's question: is organisation O on person P's team?
            models.Index(fields=["organisation", "person"], name="careteam_org_person_idx",
                         condition=models.Q(end_date__isnull=True)),
            models.Index(fields=["person", "organisation"], name="careteam_person_org_idx"),
        ]


class Consent(models.Model):
    """A consent decision or objection about sharing the person's record."""

    class Purpose(models.TextChoices):
        DIRECT_CARE = "direct_care", _("Direct care")
        COORDINATION = "coordination", _("Care coordination (SIP)")

    class Decision(models.TextChoices):
        PERMIT = "permit", _("Agrees to sharing")
        DENY = "deny", _("Objects to sharing (opt-out)")

    class GivenBy(models.TextChoices):
        PERSON = "person", _("The person")
        REPRESENTATIVE = "representative", _("A representative")

    class Method(models.TextChoices):
        VERBAL = "verbal", _("Verbally")
        WRITTEN = "written", _("In writing")
        DIGITAL = "digital", _("Online, by the person")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="consents")
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices)
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices)
    organisations = models.ManyToManyField(
        Organisation, blank=True, related_name="+",
        verbose_name=_("organisations covered"),
        help_text=_("Leave empty to cover every organisation on the care team."),
    )
    # True when no organisations are named: the consent covers the whole care team.
    covers_all_organisations = models.BooleanField(default=True)
    given_by = models.CharField(_("given by"), max_length=20, choices=GivenBy.choices)
    representative_name = models.CharField(_("representative's name"), max_length=200, blank=True)
    method = models.CharField(_("how it was recorded"), max_length=20, choices=Method.choices)
    valid_from = models.DateTimeField(_("from"))
    valid_to = models.DateTimeField(_("to"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    withdrawn_reason = models.CharField(_("reason for withdrawal"), max_length=500, blank=True)
    withdrawn_by = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_by = models.ForeignKey(
        Membership, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-valid_from"]
        indexes = [models.Index(fields=["person", "decision"], name="consent_person_idx")]


class BreakGlass(models.Model):
    """Emergency, time-limited access by someone outside the care team, with a reason."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="break_glass")
    membership = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("reason"))
    started_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    review_note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [
            models.Index(fields=["membership", "person", "expires_at"], name="bg_lookup_idx"),
            models.Index(fields=["started_at"], name="bg_started_idx"),
        ]


class ApiToken(models.Model):
    """A personal access token: acts as one membership; only its SHA-256 is stored."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="tokens")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=12)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)


class JoinRequest(models.Model):
    """A request by an organisation to join a person's care team, made after it tried to
    register someone whose identifier is already held by another organisation. The
    requester is told nothing about the record; the registering organisation decides."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for a decision")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="join_requests")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(_("role in the care team"), max_length=100)
    reason = models.CharField(_("reason"), max_length=1000)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(Membership, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(_("note"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["person", "status"], name="join_person_idx"),
            # Partial: a query must write the status as a constant (rawsql.constant), which
            # a prepared statement's generic plan can match; a parameter it cannot.
            models.Index(fields=["status", "created_at", "id"], name="join_pending_idx",
                         condition=models.Q(status="pending")),
        ]
        constraints = [
            # One open request per organisation and person: a second is the same request.
            models.UniqueConstraint(fields=["person", "organisation"],
                                    condition=models.Q(status="pending"),
                                    name="join_one_pending"),
        ]


class Sharing(models.Model):
    """When an organisation's care staff may read a person's record, as intervals: the
    sharing summary the caseload and search use, so that "who is on my caseload" is one
    index probe per person instead of the whole consent rule in SQL.

    Kept up to date, in the same transaction, by every service that changes what the rule
    depends on (care team, consent, registration, country); computed by the same pure
    policy the gate uses (``careweave.access.policy.visibility_intervals``), so it is exact
    at every moment, future consents and end dates included. Emergency access is not in
    it: it opens one record and puts nobody on a caseload. Single-record decisions still go
    through the full rule (``gate.decide``).
    """

    id = models.BigAutoField(primary_key=True)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    valid_from = models.DateTimeField()
    valid_until = models.DateTimeField(null=True, blank=True)
    # The person's search and sort keys, copied here (and kept by the people services) so
    # that a caseload page is one ordered index range and a name search one index probe,
    # per organisation, at any number of people.
    sort_name = SortKeyField(max_length=210, default="")
    sort_name_sv = SortKeyField(max_length=400, default="")
    search_name = models.CharField(max_length=210, default="")

    class Meta:
        indexes = [
            models.Index(fields=["person", "organisation", "valid_from"],
                         name="sharing_person_org_idx"),
            models.Index(fields=["organisation", "person"], name="sharing_org_person_idx"),
            models.Index(fields=["organisation", "sort_name", "person"],
                         name="sharing_caseload_idx"),
            models.Index(fields=["organisation", "sort_name_sv", "person"],
                         name="sharing_caseload_sv_idx"),
        ]
