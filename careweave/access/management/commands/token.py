from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from careweave.access.services import token_create
from careweave.orgs.models import Membership


class Command(BaseCommand):
    help = "Personal access tokens for the JSON API: 'careweave token create USERNAME'."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("subcommand", choices=["create"])
        parser.add_argument("username")
        parser.add_argument("--organisation", default="",
                            help="Organisation name or code, if the user has several memberships")
        parser.add_argument("--days", type=int, default=365)
        parser.add_argument("--name", default="cli")

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model().objects.filter(username=options["username"], is_active=True).first()
        if user is None:
            raise CommandError(f"No active user called {options['username']!r}.")
        memberships = list(Membership.objects.filter(user=user, is_active=True)
                           .select_related("organisation"))
        wanted = options["organisation"]
        if wanted:
            memberships = [m for m in memberships
                           if wanted in (m.organisation.name, m.organisation.code)]
        if not memberships:
            raise CommandError("That user has no matching active membership.")
        if len(memberships) > 1:
            names = ", ".join(m.organisation.name for m in memberships)
            raise CommandError(f"The user has several memberships; choose one with "
                               f"--organisation ({names}).")
        if options["days"] < 1 or options["days"] > 3650:
            raise CommandError("--days must be between 1 and 3650.")
        _token, raw = token_create(membership=memberships[0], name=options["name"],
                                   days=options["days"])
        self.stdout.write(raw)
