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
