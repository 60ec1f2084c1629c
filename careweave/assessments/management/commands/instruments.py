"""``careweave instruments``: list the instruments, import a FHIR R4 Questionnaire file as a
new version, export one as a Questionnaire.

    careweave instruments list
    careweave instruments import FILE [--make-current]
    careweave instruments export CODE [--version V] [--output FILE]

A file that cannot be imported gives one line naming the problem and exit status 1.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from careweave.assessments import fhir, services
from careweave.assessments.models import Instrument
from careweave.core.errors import ServiceError


class Command(BaseCommand):
    help = "List, import (FHIR R4 Questionnaire) and export assessment instruments."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True)
        sub.add_parser("list", help="the instruments and their versions")
        imp = sub.add_parser("import", help="import a FHIR R4 Questionnaire JSON file")
        imp.add_argument("file")
        imp.add_argument("--make-current", action="store_true",
                         help="record this version from now on")
        exp = sub.add_parser("export", help="write an instrument as a FHIR R4 Questionnaire")
        exp.add_argument("code")
        exp.add_argument("--version", dest="instrument_version", default=None)
        exp.add_argument("--output", default="-", help="a file, or - for standard output")

    def handle(self, *args: Any, **options: Any) -> None:
        what = options["what"]
        if what == "list":
            services.ensure_shipped()
            for instrument in Instrument.objects.select_related("current").order_by("code"):
                versions = ", ".join(v.version for v in instrument.versions.order_by(
                    "imported_at"))
                current = instrument.current.version if instrument.current else "-"
                self.stdout.write(f"{instrument.code}: current {current} (versions: "
                                  f"{versions})")
            return
        if what == "import":
            path = Path(options["file"])
            try:
                raw = path.read_bytes()
            except OSError as exc:
                raise CommandError(f"Cannot read {path}: {exc.strerror}.") from None
            try:
                result = services.instrument_import(actor=None, raw=raw, name=path.name,
                                                    make_current=options["make_current"])
            except fhir.ImportRefused as exc:
                raise CommandError(str(exc)) from None
            version = result.version
            state = "imported" if result.created else "already imported, unchanged"
            current = "the current version" if result.current else \
                "not current (use --make-current to record it)"
            self.stdout.write(f"{version.instrument.code} {version.version}: {state}; "
                              f"{len(version.definition['items'])} items; {current}.")
            return
        try:
            resource = services.instrument_export(code=options["code"],
                                                  version=options["instrument_version"])
        except ServiceError as exc:
            raise CommandError(exc.message) from None
        text = json.dumps(resource, ensure_ascii=False, indent=2) + "\n"
        if options["output"] == "-":
            sys.stdout.write(text)
        else:
            Path(options["output"]).write_text(text, encoding="utf-8")
            self.stdout.write(f"Wrote {options['output']}.")
