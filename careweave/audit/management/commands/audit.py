from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from careweave.audit.services import audit_verify
from careweave.core.commands import ensure_database


class Command(BaseCommand):
    help = "Audit log tools. 'careweave audit verify' checks the hash chains for tampering."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("subcommand", choices=["verify"])

    def handle(self, *args: Any, **options: Any) -> None:
        ensure_database(stdout=self.stdout, migrate=False)
        checked, problems = audit_verify()
        if problems:
            for p in problems[:50]:
                where = f"event {p.event_id}" if p.event_id else "gap"
                self.stderr.write(f"chain {p.chain} seq {p.seq} ({where}): {p.problem}")
            raise CommandError(
                f"Audit log FAILED verification: {len(problems)} problem(s) in {checked} events."
            )
        self.stdout.write(f"Audit log verified: {checked} events, every chain intact.")
