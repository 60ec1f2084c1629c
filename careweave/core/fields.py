"""Model fields shared by the domains."""

from __future__ import annotations

from typing import Any

from django.db import models


class SortKeyField(models.CharField):  # type: ignore[type-arg]
    """A sort or search key built in Python (``careweave.people.names``) to be compared by
    code point. On PostgreSQL the column gets ``COLLATE "C"``, so that its order, its keyset
    comparisons and its prefix ranges ("the key starts with hall" as ``>= 'hall' AND <
    'halm'``) are the same on a server created with any locale: under en_US, say, spaces
    weigh nothing at first, and "hal lewis" would sort between "hall" and "halm". SQLite
    compares by code point already (its BINARY collation), and has no collation "C"."""

    def db_parameters(self, connection: Any) -> dict[str, Any]:
        parameters = super().db_parameters(connection)
        if connection.vendor == "postgresql":
            parameters["collation"] = "C"
        return parameters
