from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from careweave.core.commands import ensure_database
from careweave.seed.generator import MAX_JOBS, MAX_PEOPLE, SeedError, seed_people, validate


class Command(BaseCommand):
    help = (
        "Add N synthetic people (UK and Sweden) with care teams, consents, social network "
        "and audit history, for load tests. Appends: run it again to add N more. The same "
        "--seed on the same database gives the same people."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--people", type=int, required=True,
                            help=f"How many people to add (1 to {MAX_PEOPLE:,}).")
        parser.add_argument("--seed", type=int, default=1,
                            help="Random seed (default 1).")
        parser.add_argument("--batch", type=int, default=5000,
                            help="People per transaction (default 5000).")
        parser.add_argument("--jobs", type=int, default=1,
                            help=f"Processes writing batches at once, 1 to {MAX_JOBS} "
                                 "(default 1; above 1 needs PostgreSQL).")

    def handle(self, *args: Any, **options: Any) -> None:
        n = options["people"]
        try:
            validate(n, options["batch"], options["jobs"])
        except SeedError as exc:
            raise CommandError(str(exc)) from None
        ensure_database(stdout=self.stdout, migrate=True)
        jobs = options["jobs"]
        self.stdout.write(f"Seeding {n:,} people (seed {options['seed']}, "
                          f"batches of {options['batch']:,}"
                          + (f", {jobs} jobs at once)" if jobs > 1 else ")"))
        try:
            result = seed_people(people=n, seed=options["seed"], batch=options["batch"],
                                 jobs=jobs, log=self._log)
        except SeedError as exc:
            raise CommandError(str(exc)) from None
        rows = ", ".join(f"{v:,} {k.replace('_', ' ')}" for k, v in result.rows.items())
        self.stdout.write(self.style.SUCCESS(
            f"Seeded {result.people:,} people in {result.seconds:.1f}s "
            f"({result.rate:,.0f} people/s): {rows}."
        ))
        if connection.vendor == "postgresql":
            self._vacuum()

    def _vacuum(self) -> None:
        """After a bulk load the planner's statistics are those of the smaller database, no
        page is marked all-visible (so an index-only scan still reads the table) and
        autovacuum is due on every table it touched: it would come round in the middle of
        whatever runs next. VACUUM (ANALYZE) does all that now, as PostgreSQL's manual
        advises after populating a database. VACUUM cannot run in a transaction: inside
        one (a caller's atomic block) only ANALYZE runs."""
        t0 = time.monotonic()
        vacuum = not connection.in_atomic_block
        # Careweave's own tables only: the shared catalogs are the superuser's to vacuum.
        tables = ", ".join(connection.ops.quote_name(t) for t in
                           sorted(connection.introspection.django_table_names(
                               only_existing=True, include_views=False)))
        with connection.cursor() as cursor:
            cursor.execute(("VACUUM (ANALYZE) " if vacuum else "ANALYZE ") + tables)
        what = ("Vacuumed and statistics refreshed (VACUUM ANALYZE)" if vacuum
                else "Statistics refreshed (ANALYZE)")
        self.stdout.write(f"{what} in {time.monotonic() - t0:.1f}s.")

    def _log(self, line: str) -> None:
        self.stdout.write(line)
        self.stdout.flush()
