from __future__ import annotations

import signal
import threading
import time
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, connection

from careweave.audit.services import audit_pending, audit_seal, audit_verify, seal_max_delay
from careweave.core.commands import ensure_database


class Command(BaseCommand):
    help = ("Audit log tools. 'careweave audit verify' seals what is waiting, then checks the "
            "hash chains for tampering; 'careweave audit seal' seals the events written "
            "since the last seal (--follow: keep doing it, every --every seconds).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("subcommand", choices=["verify", "seal"])
        parser.add_argument("--no-seal", action="store_true",
                            help="verify: check only, do not seal the waiting events first")
        parser.add_argument("--follow", action="store_true",
                            help="seal: keep sealing until stopped (SIGTERM or Ctrl-C)")
        parser.add_argument("--every", type=float, default=1.0, metavar="SECONDS",
                            help="seal --follow: seconds between rounds (1)")
        parser.add_argument("--limit", type=int, default=1000,
                            help="events read per batch (1000)")

    def handle(self, *args: Any, **options: Any) -> None:
        ensure_database(stdout=self.stdout, migrate=False)
        self.verbosity = int(options["verbosity"])
        if options["limit"] < 1 or not 0.05 <= options["every"] <= 3600:
            raise CommandError("--limit must be at least 1 and --every 0.05..3600 seconds.")
        if options["subcommand"] == "seal":
            if options["follow"]:
                self.follow(every=options["every"], limit=options["limit"])
            else:
                sealed = audit_seal(limit=options["limit"])
                self.stdout.write(f"Sealed {sealed} audit events.")
            return
        self.verify(seal=not options["no_seal"])

    def verify(self, *, seal: bool) -> None:
        checked, problems = audit_verify(seal=seal)
        if problems:
            for p in problems[:50]:
                where = f"event {p.event_id}" if p.event_id else "gap"
                self.stderr.write(f"chain {p.chain} seq {p.seq} ({where}): {p.problem}")
            raise CommandError(
                f"Audit log FAILED verification: {len(problems)} problem(s) in {checked} events."
            )
        self.stdout.write(f"Audit log verified: {checked} events, every chain intact.")
        pending = audit_pending()
        if pending.count:
            self.stdout.write(f"{pending.count} newer events are waiting to be sealed (the "
                              f"oldest for {pending.age():.0f} s; the bound is "
                              f"{seal_max_delay()} s).")

    def follow(self, *, every: float, limit: int) -> None:
        """Seal, wait, seal again, until SIGTERM or SIGINT (then finish the round, exit 0).
        A database error is reported and the next round tries again."""
        stop = threading.Event()

        def stopping(_signum: int, _frame: FrameType | None) -> None:
            stop.set()

        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, stopping)
        self.stdout.write(f"Sealing the audit log every {every:g} s (stop with Ctrl-C).")
        failing = False
        while not stop.is_set():
            started = time.monotonic()
            try:
                sealed = audit_seal(limit=limit)
            except DatabaseError as exc:
                if not failing:
                    self.stderr.write(f"audit seal: {str(exc).strip() or type(exc).__name__}; "
                                      "trying again")
                failing = True
                connection.close()
            else:
                if failing:
                    self.stderr.write("audit seal: sealing again")
                failing = False
                if sealed and self.verbosity >= 2:
                    self.stdout.write(f"sealed {sealed}")
            stop.wait(max(0.0, every - (time.monotonic() - started)))
        self.stdout.write("Stopped sealing the audit log.")

