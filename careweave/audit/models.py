"""The audit log: append-only, hash-chained, written in the same transaction as the act.

An event is written unsealed (no ``seq``, empty hashes) in the transaction of the act it
records, and sealed into its chain shortly after commit by ``audit_seal`` (docs/adr/0012).
The database refuses every UPDATE and DELETE of an event except that one transition
(migrations 0002 and 0008)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    class Action(models.TextChoices):
        READ = "read", _("Viewed")
        SEARCH = "search", _("Searched")
        CREATE = "create", _("Created")
        UPDATE = "update", _("Changed")
        EXPORT = "export", _("Exported")
        BREAK_GLASS = "break_glass", _("Emergency access (break-glass)")
        LOGIN = "login", _("Logged in")
        LOGIN_FAILED = "login_failed", _("Failed login")
        LOOKUP = "lookup", _("Looked up an identifier")

    class Outcome(models.TextChoices):
        ALLOWED = "allowed", _("Allowed")
        DENIED = "denied", _("Denied")

    id = models.BigAutoField(primary_key=True)
    # The hash chain: events are spread over CHAINS chains by person (or user), so that
    # concurrent sealers and writers for different people do not wait for each other.
    # Unsealed (just written, not yet chained): seq NULL, prev_hash and hash "".
    chain = models.PositiveSmallIntegerField()
    seq = models.PositiveBigIntegerField(null=True)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64, blank=True)

    at = models.DateTimeField(db_index=False)
    user_id = models.BigIntegerField(null=True)
    username = models.CharField(max_length=150, blank=True)
    membership_id = models.UUIDField(null=True)
    organisation_id = models.UUIDField(null=True)
    organisation_name = models.CharField(max_length=200, blank=True)
    role = models.CharField(max_length=20, blank=True)
    action = models.CharField(max_length=20, choices=Action.choices)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    # Plain UUID, not a foreign key: the log outlives what it describes and never cascades.
    person_id = models.UUIDField(null=True)
    object_type = models.CharField(max_length=40, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    purpose = models.CharField(max_length=40, blank=True)
    legal_basis = models.CharField(max_length=40, blank=True)
    channel = models.CharField(max_length=10, blank=True)  # web, api, fhir, cli
    request_id = models.CharField(max_length=64, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        # Sealed events only: an unsealed insert (every audited request) adds no entry here.
        constraints = [models.UniqueConstraint(fields=["chain", "seq"], name="audit_chain_seq",
                                               condition=models.Q(seq__isnull=False))]
        indexes = [
            models.Index(fields=["person_id", "-at"], name="audit_person_idx"),
            models.Index(fields=["organisation_id", "-at"], name="audit_org_idx"),
            models.Index(fields=["user_id", "-at"], name="audit_user_idx"),
            # No index on time alone: every reader filters by organisation, person or user
            # first, and each index is one more write on every audited request.
            # The events waiting to be sealed, oldest first (small: a few seconds' worth).
            models.Index(fields=["id"], condition=models.Q(seq__isnull=True),
                         name="audit_unsealed_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.action} {self.outcome}"

    def save(self, *args: object, **kwargs: object) -> None:
        if not self._state.adding:
            raise ValueError("The audit log is append-only: events cannot be changed.")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise ValueError("The audit log is append-only: events cannot be deleted.")


class ChainHead(models.Model):
    """The newest sealed event of each hash chain (its sequence number and hash). The
    sealer locks this row while it chains the next events on (which serialises sealers per
    chain), and ``audit verify`` checks that every chain still ends where its head says:
    removing the newest events of a chain is detected too."""

    chain = models.PositiveSmallIntegerField(primary_key=True)
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64)
