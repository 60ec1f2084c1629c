from __future__ import annotations

from django.db import models


class LoginFailure(models.Model):
    """A failed login, for lockout after repeated failures."""

    username = models.CharField(max_length=150)
    at = models.DateTimeField()
    ip = models.GenericIPAddressField(null=True)

    class Meta:
        indexes = [models.Index(fields=["username", "at"], name="loginfail_idx")]
