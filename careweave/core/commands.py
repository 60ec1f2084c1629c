"""What every ``careweave`` command that touches the data does first: make sure the database
answers and is migrated, so that a first run gives a clear message, never a traceback."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor


def pending_migrations() -> list[Any]:
    executor = MigrationExecutor(connection)
    return executor.migration_plan(executor.loader.graph.leaf_nodes())


def ensure_database(*, stdout: Any, migrate: bool) -> None:
    """Raise CommandError (exit 1, a plain message) when the database cannot be reached or,
    unless ``migrate``, is not migrated; with ``migrate``, run the migrations first."""
    try:
        plan = pending_migrations()
    except DatabaseError as exc:
        name = connection.settings_dict.get("NAME", "")
        raise CommandError(
            f"Cannot use the database {name!s}: {str(exc).strip() or type(exc).__name__}. "
            "Check DATABASE_URL.") from None
    if not plan:
        return
    if not migrate:
        raise CommandError(
            f"The database is not set up yet ({len(plan)} migrations not applied). "
            "Run: careweave migrate")
    stdout.write(f"The database is not set up yet: applying {len(plan)} migrations first.")
    call_command("migrate", verbosity=0, interactive=False)
