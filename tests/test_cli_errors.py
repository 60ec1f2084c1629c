"""No `careweave` command of ours ends in a traceback: bad arguments, unknown users and
organisations, a database that is not set up or does not answer, and a missing or bad
environment each give a message and exit status 1 (the real console script, in a
subprocess, as tests/test_first_run.py does)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from tests.test_first_run import careweave

DEV = {"CAREWEAVE_INSECURE_HTTP": "1"}

# The commands run on SQLite files of their own whatever the suite's database, so once is
# enough: in the SQLite pass.
pytestmark = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3",
    reason="database-independent (own SQLite files): runs in the SQLite pass")


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("cli") / "demo.sqlite3"
    result = careweave("demo", "--reset", db=db, **DEV)
    assert result.returncode == 0, result.stderr[-2000:]
    return db


def refused(result, *words: str) -> None:  # noqa: ANN001
    assert result.returncode == 1, (result.returncode, result.stdout[-500:], result.stderr[-2000:])
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    for word in words:
        assert word in result.stderr, result.stderr[-2000:]


# -- token ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("args", "words"), [
    (("token", "create", "nobody.uk"), ["No active user called 'nobody.uk'"]),
    (("token", "create", "gp.uk", "--organisation", "Nowhere Surgery"),
     ["no matching active membership"]),
    (("token", "create", "gp.uk", "--days", "0"), ["--days must be between 1 and 3650"]),
    (("token", "create", "gp.uk", "--days", "99999"), ["--days must be between 1 and 3650"]),
    (("token", "create", "gp.uk", "--days", "soon"), ["invalid int value: 'soon'"]),
    (("token", "create", "privacy.uk"), ["several memberships", "--organisation"]),
    (("token", "revoke", "gp.uk"), ["invalid choice: 'revoke'"]),
    (("token",), ["required"]),
])
def test_token_refusals(demo_db: Path, args: tuple[str, ...], words: list[str]) -> None:
    result = careweave(*args, db=demo_db, **DEV)
    refused(result, *words)
    assert "cwt_" not in result.stdout


def test_token_on_a_database_that_is_not_set_up(tmp_path: Path) -> None:
    refused(careweave("token", "create", "gp.uk", db=tmp_path / "new.sqlite3", **DEV),
            "not set up yet", "careweave migrate")


# -- audit, seed, demo ---------------------------------------------------------------------


@pytest.mark.parametrize(("args", "words"), [
    (("audit",), ["required"]),
    (("audit", "check"), ["invalid choice: 'check'"]),
    (("audit", "verify", "--everything"), ["unrecognized arguments: --everything"]),
    (("seed",), ["--people"]),
    (("seed", "--people", "many"), ["invalid int value: 'many'"]),
    (("seed", "--people", "0"), ["--people must be a positive number"]),
    (("seed", "--people", "10", "--batch", "1"), ["--batch must be between"]),
    (("demo", "--wipe"), ["unrecognized arguments: --wipe"]),
])
def test_bad_arguments(tmp_path: Path, args: tuple[str, ...], words: list[str]) -> None:
    refused(careweave(*args, db=tmp_path / "x.sqlite3", **DEV), *words)


@pytest.mark.parametrize("args", [("audit", "verify"), ("demo", "--reset"),
                                  ("token", "create", "gp.uk")])
def test_a_database_that_does_not_answer(args: tuple[str, ...]) -> None:
    refused(careweave(*args, DATABASE_URL="postgres://nobody:secret-pw@127.0.0.1:1/none", **DEV),
            "atabase")


# -- the environment -----------------------------------------------------------------------


@pytest.mark.parametrize("args", [("token", "create", "gp.uk"), ("audit", "verify"),
                                  ("seed", "--people", "1"), ("demo", "--reset")])
def test_without_the_environment(tmp_path: Path, args: tuple[str, ...]) -> None:
    refused(careweave(*args, db=tmp_path / "x.sqlite3"), "SECRET_KEY")


@pytest.mark.parametrize(("env", "words"), [
    ({"DATABASE_URL": "mysqlish://u:secret-pw@db/x"}, ["DATABASE_URL is not a database URL"]),
    ({"CAREWEAVE_MAX_BODY_BYTES": "lots"}, ["CAREWEAVE_MAX_BODY_BYTES", "'lots'"]),
    ({"CAREWEAVE_BREAK_GLASS_HOURS": "-4"}, ["CAREWEAVE_BREAK_GLASS_HOURS"]),
    ({"CAREWEAVE_SESSION_SECONDS": "half an hour"}, ["CAREWEAVE_SESSION_SECONDS"]),
])
def test_a_bad_environment(env: dict[str, str], words: list[str]) -> None:
    result = careweave("audit", "verify", **DEV, **env)
    refused(result, *words)
    assert "secret-pw" not in result.stderr
