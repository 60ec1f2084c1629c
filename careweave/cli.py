"""The `careweave` console script: Django's management commands."""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "careweave.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as exc:
        # For example no SECRET_KEY: say what to set, not a traceback.
        sys.stderr.write(f"careweave: {exc}\n")
        sys.exit(1)


if __name__ == "__main__":
    main()
