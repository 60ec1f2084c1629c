"""Django's ``flush``, which on SQLite also empties the append-only audit table: there it
lifts the table's guard triggers for the flush, in the same transaction (on PostgreSQL
``flush`` TRUNCATEs, which row triggers do not see). The test runner flushes between
transactional tests this way."""

from __future__ import annotations

from typing import Any

from django.core.management.commands import flush
from django.db import connections

from careweave.audit.services import append_only_lifted


class Command(flush.Command):
    def handle(self, **options: Any) -> None:
        database = options["database"]
        if connections[database].vendor != "sqlite":
            return super().handle(**options)
        with append_only_lifted(using=database):
            return super().handle(**options)
