"""The `careweave` console script: Django's management commands.

No command ever ends in a traceback: a bad argument, a missing setting, a database that
does not answer or is not set up, or anything unforeseen gives a one-line message on
stderr and exit status 1 (``--traceback`` shows the traceback, for developers).
"""

from __future__ import annotations

import os
import sys


def _fail(message: str) -> None:
    sys.stderr.write(f"careweave: {message}\n")
    sys.exit(1)


def _database_message(exc: Exception) -> str:
    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    if "no such table" in text or ("relation" in text and "does not exist" in text):
        return ("the database is not set up yet. Run: careweave migrate "
                "(with the same DATABASE_URL).")
    return f"cannot use the database: {text}. Check DATABASE_URL."


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "careweave.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line
    from django.db import DatabaseError

    try:
        execute_from_command_line(argv)
    except SystemExit as exc:
        # argparse ends a usage error with status 2 after printing the usage and the
        # error; every refusal of ours is status 1.
        if exc.code == 2:
            sys.exit(1)
        raise
    except KeyboardInterrupt:
        sys.stderr.write("careweave: interrupted\n")
        sys.exit(130)
    except ImproperlyConfigured as exc:
        # For example no SECRET_KEY: say what to set, not a traceback.
        _fail(str(exc))
    except DatabaseError as exc:
        if "--traceback" in argv:
            raise
        _fail(_database_message(exc))
    except Exception as exc:  # noqa: BLE001 - the last line of defence, see the docstring
        if "--traceback" in argv:
            raise
        _fail(f"{type(exc).__name__}: {str(exc).strip() or 'unexpected error'}. "
              "Nothing more was done; run again with --traceback for the details.")


if __name__ == "__main__":
    main()
