"""Login lockout that holds under concurrency: at most ``LOGIN_MAX_FAILURES`` password
checks per username within ``LOGIN_LOCKOUT_MINUTES``, however many attempts arrive at once.

The old way (count the failures, check the password, then record a failure) let every
attempt that arrived during the first checks through: 40 parallel wrong passwords got 27
checks past a limit of 5. Here an attempt first **reserves** its check: under a lock per
username it counts the attempts in the window and, if there is room, writes its
``LoginFailure`` row at once, before the password is checked. The row stays as the failure
unless the password was right, when :func:`attempt_succeeded` clears the username's rows.
A crash between the two leaves a failure on record, which errs on the side of the lock.

The lock: on PostgreSQL a transaction-scoped advisory lock on the username (two-key form,
its own key space); on SQLite every write transaction is ``BEGIN IMMEDIATE``
(``transaction_mode`` in settings), which already serialises writers.

Why not django-axes: it checks the lockout before the password check and counts the
failure after it, so concurrent attempts all pass its check, the same race as before.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from careweave.core.models import LoginFailure

_LOCK_CLASS = 0x434C  # "CL": careweave login (the first key of the two-key advisory lock)


def normalise(username: str) -> str:
    return username.strip().lower()[:150]


def _window_start() -> dt.datetime:
    return timezone.now() - dt.timedelta(minutes=settings.CAREWEAVE["LOGIN_LOCKOUT_MINUTES"])


def begin_attempt(username: str, *, ip: str | None = None) -> bool:
    """Reserve one password check for ``username``. True: go ahead (a failure is already
    on record for this attempt); False: the username is locked (nothing written)."""
    key = normalise(username)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))",
                               [_LOCK_CLASS, key])
        recent = LoginFailure.objects.filter(username=key, at__gte=_window_start()).count()
        if recent >= settings.CAREWEAVE["LOGIN_MAX_FAILURES"]:
            return False
        LoginFailure.objects.create(username=key, at=timezone.now(), ip=ip)
    return True


def attempt_succeeded(username: str) -> None:
    """The password was right: the username starts afresh."""
    LoginFailure.objects.filter(username=normalise(username)).delete()
