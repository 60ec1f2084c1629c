"""Fixtures of the assessments tests: the shipped instruments in the database (a flushed
transactional test may have taken them away), and the cast's actors."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def instruments(db):  # noqa: ANN001, ANN201
    from careweave.assessments.services import ensure_shipped

    ensure_shipped()
