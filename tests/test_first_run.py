"""A first run never tracebacks: `demo`, `seed` and `audit verify` on a database that was
never migrated, and any command without the settings it needs, give a message and an exit
status (the real console script, in a subprocess, on a fresh SQLite file)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def careweave(*args: str, db: Path | None = None, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items()
                   if k not in ("DATABASE_URL", "CAREWEAVE_TEST", "CAREWEAVE_DEBUG")}
    environment.update(env)
    if db is not None:
        environment["DATABASE_URL"] = f"sqlite:///{db}"
    return subprocess.run([sys.executable, "-m", "careweave.cli", *args], env=environment,
                          capture_output=True, text=True, timeout=300, check=False)


def test_audit_verify_on_an_empty_database_says_what_to_run(tmp_path: Path) -> None:
    result = careweave("audit", "verify", db=tmp_path / "new.sqlite3", CAREWEAVE_DEBUG="1")
    assert result.returncode == 1
    assert "not set up yet" in result.stderr and "careweave migrate" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("args", [("demo", "--reset"), ("seed", "--people", "3")])
def test_demo_and_seed_migrate_a_new_database_first(tmp_path: Path, args: tuple) -> None:
    db = tmp_path / "new.sqlite3"
    result = careweave(*args, db=db, CAREWEAVE_DEBUG="1")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "applying" in result.stdout and "migrations first" in result.stdout
    verified = careweave("audit", "verify", db=db, CAREWEAVE_DEBUG="1")
    assert verified.returncode == 0 and "every chain intact" in verified.stdout


def test_an_unreachable_database_is_a_message(tmp_path: Path) -> None:
    result = careweave("seed", "--people", "1", CAREWEAVE_DEBUG="1",
                       DATABASE_URL="postgres://nobody:x@127.0.0.1:1/none")
    assert result.returncode == 1
    assert "Cannot use the database" in result.stderr and "Traceback" not in result.stderr


def test_no_secret_key_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    result = careweave("token", "create", "gp.uk", db=tmp_path / "x.sqlite3")
    assert result.returncode == 1
    assert "SECRET_KEY" in result.stderr and "Traceback" not in result.stderr
