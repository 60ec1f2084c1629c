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

from django.conf import settings
from django.db import connection, transaction

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


@contextmanager
def pipelined() -> Iterator[None]:
    """On PostgreSQL, let the statements of the block go to the server without waiting for
    each one's answer until the code needs it (psycopg's pipeline mode): a ``BEGIN``, a
    ``SET LOCAL`` and the first ``SELECT`` travel together, an ``INSERT`` whose result
    nobody reads goes with the ``COMMIT``, and several reads sent before any is fetched
    share one round trip. Errors are raised where the result is fetched, as ever inside
    the block. Elsewhere, and with CAREWEAVE_DB_PIPELINE=0, it does nothing."""
    if connection.vendor != "postgresql" or not settings.CAREWEAVE.get("DB_PIPELINE", True):
        yield
        return
    connection.ensure_connection()
    with connection.connection.pipeline():
        yield
