"""The application's transaction boundary.

``atomic()`` is ``transaction.atomic()`` that also knows when it is the outermost
application transaction. A gate refusal raised inside it rolls the work back, and the
outermost block then writes the "denied" audit event, so that a refused attempt is
always in the audit log even though everything else it did was undone.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import transaction

_depth: contextvars.ContextVar[int] = contextvars.ContextVar("careweave_atomic_depth", default=0)


def in_application_transaction() -> bool:
    return _depth.get() > 0


@contextmanager
def atomic() -> Iterator[None]:
    token = _depth.set(_depth.get() + 1)
    try:
        with transaction.atomic():
            yield
    except Exception as exc:
        record = getattr(exc, "record", None)
        if _depth.get() == 1 and callable(record):
            record()  # the refused attempt, after the rollback of everything else
        raise
    finally:
        _depth.reset(token)
