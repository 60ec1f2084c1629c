"""The person page with the notes panels: a fixed number of queries however many warnings,
notes, amendments, attachments and contacts the record holds."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from careweave.notes import services
from careweave.notes.services import Upload
from tests.notes.test_files import PDF_BYTES

pytestmark = pytest.mark.django_db


def test_the_person_page_does_not_grow_with_notes_and_warnings(
        login_as, arthur, actor_for, django_assert_max_num_queries) -> None:  # noqa: ANN001
    client = login_as("sw.uk")
    client.get(f"/people/{arthur.pk}/")  # warm the session
    with django_assert_max_num_queries(40) as small:
        assert client.get(f"/people/{arthur.pk}/").status_code == 200
    gp, home = actor_for("gp.uk"), actor_for("home.uk")
    for i in range(5):
        services.warning_raise(actor=gp, person_id=arthur.pk, data={
            "kind": "infection", "title": f"Warning {i}"})
    for i in range(30):
        note, _c = services.note_create(actor=home, person_id=arthur.pk, data={
            "kind": "visit", "occurred_at": timezone.now() - dt.timedelta(minutes=i),
            "summary": f"Visit {i}", "body": "Fine."},
            attachments=[Upload(f"scan{i}.pdf", PDF_BYTES)] if i % 5 == 0 else [])
        if i % 3 == 0:
            services.note_amend(actor=home, person_id=arthur.pk, note_id=note.pk,
                                changes={"body": "Fine, really."}, reason="Clearer",
                                expected_version=1)
    with django_assert_max_num_queries(len(small.captured_queries)):
        page = client.get(f"/people/{arthur.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Warning 4" in html and "Visit 0" in html and "Visit 29" not in html


def test_adding_a_note_through_the_api_costs_a_fixed_number_of_statements(
        api_as, arthur, django_assert_max_num_queries) -> None:  # noqa: ANN001
    """The gate, the insert, the audit event and the timeline entry, and the answer from
    what was written (issue 8's benchmark: add a note, with audit)."""
    api = api_as("home.uk")
    body = {"kind": "visit", "occurred_at": "2026-01-05T10:00:00Z", "summary": "Visit",
            "body": "Well."}
    api.post(f"/people/{arthur.pk}/notes", body)  # warm the token's first use
    with django_assert_max_num_queries(12):
        created = api.post(f"/people/{arthur.pk}/notes", body)
    assert created.status_code == 201
    assert created.json()["current"]["author"]["organisation"]["name"] == "Oakwood Care Home"
    assert created.json()["attachments"] == [] and created["ETag"] == 'W/"1"'
