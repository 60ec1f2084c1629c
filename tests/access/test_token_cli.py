"""`careweave token create USERNAME`: a token that works, and clear refusals."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command, execute_from_command_line
from django.db import connections

from tests.support import ApiClient

pytestmark = pytest.mark.django_db


def test_token_create_prints_a_working_token(demo) -> None:  # noqa: ANN001
    out = io.StringIO()
    call_command("token", "create", "gp.uk", stdout=out)
    raw = out.getvalue().strip()
    assert raw.startswith("cwt_")
    me = ApiClient(raw).get("/me")
    assert me.status_code == 200 and me.json()["user"]["username"] == "gp.uk"


def test_unknown_user_gives_a_clear_message_and_non_zero_exit(demo, capsys, monkeypatch) -> None:  # noqa: ANN001, E501
    # The command line closes every connection when it ends; keep the test's own open.
    monkeypatch.setattr(connections, "close_all", lambda: None)
    with pytest.raises(SystemExit) as exit_info:
        execute_from_command_line(["careweave", "token", "create", "nobody.uk"])
    assert exit_info.value.code != 0
    captured = capsys.readouterr()
    assert "No active user called 'nobody.uk'" in captured.err
    assert "cwt_" not in captured.out


def test_several_memberships_need_an_organisation(demo) -> None:  # noqa: ANN001
    with pytest.raises(CommandError, match="--organisation"):
        call_command("token", "create", "privacy.uk")
    out = io.StringIO()
    call_command("token", "create", "privacy.uk", "--organisation", "Y90002", stdout=out)
    me = ApiClient(out.getvalue().strip()).get("/me").json()
    assert me["acting_membership"]["organisation"]["name"] == "Hillside Medical Practice"
