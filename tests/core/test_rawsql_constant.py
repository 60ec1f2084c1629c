"""rawsql.constant: a code constant written into the statement's text (not a parameter)."""

from __future__ import annotations

import pytest

from careweave.core import rawsql


def test_a_constant_is_written_into_the_text_and_filters_alike(db) -> None:  # noqa: ANN001
    from careweave.access.models import JoinRequest

    qs = JoinRequest.objects.filter(status=rawsql.constant(JoinRequest.Status.PENDING))
    sql, params = qs.query.sql_with_params()
    assert "'pending'" in sql and "pending" not in [str(p) for p in params]
    assert list(qs) == list(JoinRequest.objects.filter(status=JoinRequest.Status.PENDING))


@pytest.mark.parametrize("value", ["it's", "a b", "x;--", "é", ""])
def test_only_plain_constants(value: str) -> None:
    with pytest.raises(ValueError, match="not a plain constant"):
        rawsql.constant(value)
