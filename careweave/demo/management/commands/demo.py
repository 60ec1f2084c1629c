from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from careweave.core.commands import ensure_database
from careweave.demo.loader import DEFAULT_PASSWORD, ORGS, STAFF, load_demo


class Command(BaseCommand):
    help = "Load the demo organisations, staff and people (UK and Sweden)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--reset", action="store_true",
                            help="Delete ALL people, staff, organisations and audit first.")

    def handle(self, *args: Any, **options: Any) -> None:
        ensure_database(stdout=self.stdout, migrate=True)
        result = load_demo(reset=options["reset"], log=self.stdout.write)
        self.stdout.write("")
        self.stdout.write("Careweave demo is ready at http://127.0.0.1:8000/")
        shown = result.password if result.password == DEFAULT_PASSWORD else "(CAREWEAVE_DEMO_PASSWORD)"
        self.stdout.write(f"Log in with any of these usernames, password: {shown}")
        names = {key: name for key, name, *_rest in ORGS}
        for username, first, last, roles in STAFF:
            where = "; ".join(f"{role.label}, {names[org]}" for org, role, _t in roles)
            self.stdout.write(f"  {username:<12} {first} {last}: {where}")
        self.stdout.write("  admin        Ada Admin: superuser and platform administrator, Riverside "
                          "Surgery (organisations, areas, /admin/; no access to records)")
        self.stdout.write("")
        self.stdout.write("Try: gp.uk sees Arthur Penrose and Maya Okafor; sw.uk sees Arthur but not "
                          "Maya (she opted out of sharing with social care); outsider.uk sees "
                          "nobody until emergency access.")
        self.stdout.write("orgadmin.uk and orgadmin.se invite staff (the invitation e-mails are "
                          "printed on the server's console) and set their roles.")
        self.stdout.write("Two-factor authentication is off for these demo accounts only.")
