from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from careweave.core.commands import ensure_database
from careweave.people.duplicates import scan


class Command(BaseCommand):
    help = (
        "Possible duplicates. 'scan' finds every pair of records that may be the same person "
        "(by name, date of birth and postcode) and stores it for the data-quality list; open "
        "pairs no longer found are removed, dismissed pairs stay dismissed. Creating and "
        "changing people keeps the list up to date; run a scan after an import (such as "
        "'careweave seed') or a change of the matching rules."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["scan"], help="What to do: scan.")
        parser.add_argument("--batch", type=int, default=500,
                            help="People per candidate query (default 500, 1 to 10000).")

    def handle(self, *args: Any, **options: Any) -> None:
        batch = options["batch"]
        if not 1 <= batch <= 10_000:
            raise CommandError("--batch must be between 1 and 10000.")
        ensure_database(stdout=self.stdout, migrate=False)
        result = scan(batch=batch, log=self._log)
        self.stdout.write(self.style.SUCCESS(
            f"Checked {result['people']:,} people: {result['pairs']:,} possible duplicate "
            f"pairs, {result['removed']:,} no longer found removed."))

    def _log(self, line: str) -> None:
        self.stdout.write(line)
        self.stdout.flush()
