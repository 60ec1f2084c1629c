"""The audit log as the inner layers see it.

``orgs`` (organisations, staff, invitations) must write the audit log, but it sits below
``audit`` in the layers (docs/adr/0007-one-app-per-domain.md) and may not import it. So the
audit app installs its writer here from ``AuditConfig.ready()`` and the inner layers call
:func:`record`, which is exactly ``careweave.audit.services.audit_record``: the same
hash chains, in the caller's transaction. Nothing is ever written unaudited: without an
installed recorder :func:`record` raises.

:func:`refuse` is the refusal of something that is not a person's record (a staff list,
an organisation, the Django admin): a plain 404 for the caller, and one denied event in
the log, written after the failed transaction rolled back (as the gate does for records).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NoReturn

from django.db import transaction
from django.http import Http404

from careweave.core.context import Actor
from careweave.core.db import in_application_transaction

Recorder = Callable[..., Any]

_recorder: Recorder | None = None


def install(recorder: Recorder) -> None:
    """Called once by the audit app (``careweave.audit.apps.AuditConfig.ready``)."""
    global _recorder
    _recorder = recorder


def record(**kwargs: Any) -> Any:
    """``audit_record(**kwargs)``: one event, in the caller's transaction."""
    if _recorder is None:
        raise RuntimeError("The audit recorder is not installed (is careweave.audit an "
                           "installed app?): refusing to act unaudited.")
    return _recorder(**kwargs)


class Refused(Http404):
    """A refusal of something other than a person's record: a plain 404; the denial is
    audited exactly once (``record`` is idempotent, and ``core.db.atomic`` calls it after
    the rollback when the refusal came from inside an application transaction)."""

    def __init__(self, *, actor: Actor | None, action: str, object_type: str,
                 object_id: str = "", basis: str) -> None:
        super().__init__("Not found")
        self.actor = actor
        self.action = action
        self.object_type = object_type
        self.object_id = object_id
        self.basis = basis
        self.recorded = False

    def record(self) -> None:
        if self.recorded:
            return
        with transaction.atomic():
            record(actor=self.actor, action=self.action, outcome="denied",
                   object_type=self.object_type, object_id=str(self.object_id)[:64],
                   legal_basis=self.basis[:40])
        self.recorded = True


def refuse(actor: Actor | None, *, action: str, object_type: str, basis: str,
           object_id: str = "") -> NoReturn:
    """Raise :class:`Refused`; record it now unless an application transaction will do
    it after rolling back."""
    exc = Refused(actor=actor, action=action, object_type=object_type,
                  object_id=str(object_id), basis=basis)
    if not in_application_transaction():
        exc.record()
    raise exc
