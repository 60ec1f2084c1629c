"""Organisations, areas and staff memberships."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Country(models.TextChoices):
    GB = "GB", _("United Kingdom")
    SE = "SE", _("Sweden")


class Area(models.Model):
    """An administrative area: local authority (UK), kommun or län (Sweden)."""

    class Kind(models.TextChoices):
        LOCAL_AUTHORITY = "local_authority", _("Local authority")
        KOMMUN = "kommun", _("Municipality (kommun)")
        LAN = "lan", _("County (län)")
        REGION = "region", _("Region")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    country = models.CharField(_("country"), max_length=2, choices=Country.choices)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Organisation(models.Model):
    class Kind(models.TextChoices):
        GP_PRACTICE = "gp_practice", _("GP practice / vårdcentral")
        HOSPITAL = "hospital", _("Hospital")
        SOCIAL_CARE = "social_care", _("Council adult social care / kommun socialtjänst")
        CARE_HOME = "care_home", _("Care home / äldreboende")
        MENTAL_HEALTH = "mental_health", _("Mental-health team / psykiatri")
        HOME_CARE = "home_care", _("Home care / hemtjänst")
        VOLUNTARY = "voluntary", _("Voluntary organisation")
        MONITORING_CENTRE = "monitoring_centre", _("Monitoring centre")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    country = models.CharField(_("country"), max_length=2, choices=Country.choices)
    area = models.ForeignKey(Area, null=True, blank=True, on_delete=models.PROTECT)
    code = models.CharField(
        _("organisation code"), max_length=40, blank=True, help_text=_("ODS code or HSA-id")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            # An ODS code or HSA-id names one organisation in its country.
            models.UniqueConstraint(
                fields=["country", "code"], condition=~models.Q(code=""),
                name="org_country_code_unique"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    CLINICIAN = "clinician", _("Clinician")
    NURSE = "nurse", _("Nurse")
    SOCIAL_WORKER = "social_worker", _("Social worker")
    CARE_WORKER = "care_worker", _("Care worker")
    COORDINATOR = "coordinator", _("Care coordinator")
    DATA_QUALITY = "data_quality", _("Data quality officer")
    PRIVACY_LEAD = "privacy_lead", _("Privacy lead")
    ANALYST = "analyst", _("Analyst")
    ADMIN = "admin", _("Administrator")
    PLATFORM_REVIEWER = "platform_reviewer", _("Platform privacy reviewer")
    ORG_ADMIN = "org_admin", _("Organisation administrator")
    PLATFORM_ADMIN = "platform_admin", _("Platform administrator")


class Membership(models.Model):
    """A staff member's role in one organisation; a session acts through exactly one."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    job_title = models.CharField(_("job title"), max_length=100, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organisation__name", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation", "role"], name="membership_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()}, {self.organisation.name}"


class StaffProfile(models.Model):
    """Per-user settings that Django's User does not carry."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile"
    )
    # Staff must use two-factor authentication. Only demo accounts may be exempt.
    two_factor_exempt = models.BooleanField(default=False)
    preferred_language = models.CharField(max_length=8, blank=True)


class Invitation(models.Model):
    """An e-mailed, one-time, expiring invitation to join an organisation with some roles.

    Only a SHA-256 hash of the link's token is stored; the token itself is in the e-mail
    and nowhere else (not in the audit log either)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="invitations"
    )
    email = models.EmailField(_("email address"), max_length=254)
    roles = models.JSONField(_("roles"), default=list)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="invitations_sent",
    )
    # The membership the invitation was sent through: if it stops being an organisation
    # administrator's before the link is used, the link stops working too.
    invited_by_membership = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="invitations_accepted",
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["organisation", "created_at", "id"], name="invitation_org_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.organisation.name}"

    @property
    def role_labels(self) -> list[str]:
        labels = dict(Role.choices)
        return [str(labels.get(role, role)) for role in self.roles]

    def is_pending(self, now: object) -> bool:
        return (self.accepted_at is None and self.revoked_at is None
                and self.expires_at > now)  # type: ignore[operator]
