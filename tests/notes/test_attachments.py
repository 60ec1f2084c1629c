"""Attachments: PDF, PNG and JPEG only (by their content), a size limit, safe names, stored
by content hash under MEDIA_ROOT, served only through the gate and the note's sensitivity,
and the virus-scan hook. Bad files are refused with a clear message and nothing is kept."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from careweave.audit.models import AuditEvent
from careweave.core.errors import ValidationFailed
from careweave.notes import services
from careweave.notes.models import Attachment, CaseNote
from careweave.notes.services import Upload
from tests.notes.test_files import JPEG_BYTES, PDF_BYTES, PNG_BYTES
from tests.support import date_parts, sign_in

pytestmark = pytest.mark.django_db


def refuse_everything(data: bytes, *, filename: str, content_type: str) -> str | None:
    """A scanner for the test: reports a virus in everything."""
    return "Eicar-Test-Signature"


def broken_scanner(data: bytes, *, filename: str, content_type: str) -> str | None:
    raise ConnectionRefusedError("clamd is down")


def accept_if_small(data: bytes, *, filename: str, content_type: str) -> str | None:
    return None if len(data) < 1000 else "too big to scan"


@pytest.fixture
def note(actor_for, arthur):  # noqa: ANN001, ANN201
    made, _c = services.note_create(actor=actor_for("home.uk"), person_id=arthur.pk, data={
        "kind": "letter", "occurred_at": timezone.now() - dt.timedelta(hours=1),
        "summary": "Hospital letter", "body": "Scanned and attached."})
    return made


def stored_files(root: Path) -> list[Path]:
    return [p for p in (root / "attachments").rglob("*") if p.is_file()] \
        if (root / "attachments").exists() else []


def test_a_pdf_is_stored_by_hash_and_served_through_the_gate(note, actor_for, arthur,
                                                            media_root, api_as) -> None:  # noqa: ANN001
    attachment = services.attachment_add(actor=actor_for("home.uk"), person_id=arthur.pk,
                                         note_id=note.pk,
                                         upload=Upload("Utskrivning från sjukhuset.pdf",
                                                       PDF_BYTES))
    sha = hashlib.sha256(PDF_BYTES).hexdigest()
    assert (attachment.sha256, attachment.content_type, attachment.size) == (
        sha, "application/pdf", len(PDF_BYTES))
    assert attachment.filename == "Utskrivning från sjukhuset.pdf"
    path = media_root / "attachments" / sha[:2] / sha[2:4] / sha
    assert path.read_bytes() == PDF_BYTES
    assert stored_files(media_root) == [path]  # under its hash, never under its name
    url = f"/people/{arthur.pk}/notes/{note.pk}/attachments/{attachment.pk}/"
    response = sign_in(Client(), "gp.uk").get(url)
    assert response.status_code == 200 and response.content == PDF_BYTES
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''Utskrivning%20fr%C3%A5n%20sjukhuset.pdf" in \
        response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    read = AuditEvent.objects.filter(object_type="Attachment", object_id=str(attachment.pk),
                                     action="read")
    assert read.count() == 1 and read.get().username == "gp.uk"
    api = api_as("sw.uk").get(f"/people/{arthur.pk}/notes/{note.pk}/attachments/"
                              f"{attachment.pk}")
    assert api.status_code == 200 and api.content == PDF_BYTES
    # the same file twice is stored once
    services.attachment_add(actor=actor_for("home.uk"), person_id=arthur.pk, note_id=note.pk,
                            upload=Upload("copy.pdf", PDF_BYTES))
    assert len(stored_files(media_root)) == 1 and note.attachments.count() == 2


def test_attachments_follow_the_notes_sensitivity(actor_for, arthur, api_as) -> None:  # noqa: ANN001
    gp = actor_for("gp.uk")
    secret, _c = services.note_create(actor=gp, person_id=arthur.pk, data={
        "kind": "letter", "occurred_at": timezone.now(), "summary": "Riverside only",
        "body": "Letter.", "sensitivity": "organisation"},
        attachments=[Upload("letter.png", PNG_BYTES)])
    attachment = secret.attachments.get()
    url = f"/people/{arthur.pk}/notes/{secret.pk}/attachments/{attachment.pk}/"
    assert sign_in(Client(), "gp.uk").get(url).status_code == 200
    for username in ("sw.uk", "home.uk", "outsider.uk"):
        response = sign_in(Client(), username).get(url)
        assert response.status_code == 404 and PNG_BYTES not in response.content
        assert api_as(username).get(f"/people/{arthur.pk}/notes/{secret.pk}/attachments/"
                                    f"{attachment.pk}").status_code == 404
    # an attachment id under another note, or another person, is a 404 too
    other, _c = services.note_create(actor=gp, person_id=arthur.pk, data={
        "kind": "phone", "occurred_at": timezone.now(), "summary": "Other", "body": "x"})
    assert sign_in(Client(), "gp.uk").get(
        f"/people/{arthur.pk}/notes/{other.pk}/attachments/{attachment.pk}/").status_code == 404


BAD_FILES = [
    (b"MZ\x90\x00This program cannot be run in DOS mode", "report.pdf", "PDF, PNG or JPEG"),
    (b"<html><script>alert(1)</script></html>", "page.pdf", "PDF, PNG or JPEG"),
    (PDF_BYTES, "../../../etc/passwd.pdf", "must not contain a folder path"),
    (PDF_BYTES, "..\\..\\windows\\system32.pdf", "must not contain a folder path"),
    (PDF_BYTES, "scan.exe", "wrong type for its content"),
    (b"", "empty.pdf", "The file is empty."),
]


@pytest.mark.parametrize("content,name,message", BAD_FILES,
                         ids=[n for _c, n, _m in BAD_FILES])
def test_bad_files_are_refused_with_a_clear_message(content: bytes, name: str, message: str,
                                                    note, actor_for, arthur, media_root) -> None:  # noqa: ANN001
    with pytest.raises(ValidationFailed) as caught:
        services.attachment_add(actor=actor_for("home.uk"), person_id=arthur.pk,
                                note_id=note.pk, upload=Upload(name, content))
    assert any(message in m for m in caught.value.errors["attachment"])
    assert not Attachment.objects.exists() and stored_files(media_root) == []


def test_an_oversize_file_is_refused(note, actor_for, arthur, settings, media_root) -> None:  # noqa: ANN001
    settings.CAREWEAVE = {**settings.CAREWEAVE, "ATTACHMENT_MAX_BYTES": 1024}
    big = PDF_BYTES + b"0" * 2000
    with pytest.raises(ValidationFailed) as caught:
        services.attachment_add(actor=actor_for("home.uk"), person_id=arthur.pk,
                                note_id=note.pk, upload=Upload("big.pdf", big))
    assert "must be smaller than" in caught.value.errors["attachment"][0]
    assert not Attachment.objects.exists() and stored_files(media_root) == []
    # at the limit, accepted
    services.attachment_add(actor=actor_for("home.uk"), person_id=arthur.pk, note_id=note.pk,
                            upload=Upload("small.pdf", PDF_BYTES + b"0" * (1024 - len(PDF_BYTES))))


def test_a_bad_attachment_stops_the_whole_note(actor_for, arthur, media_root) -> None:  # noqa: ANN001
    before = CaseNote.objects.count()
    with pytest.raises(ValidationFailed) as caught:
        services.note_create(actor=actor_for("home.uk"), person_id=arthur.pk, data={
            "kind": "visit", "occurred_at": timezone.now(), "summary": "With photo",
            "body": "See photo."}, attachments=[Upload("photo.jpg", JPEG_BYTES),
                                                Upload("virus.pdf", b"MZ\x90")])
    assert "attachment" in caught.value.errors
    assert CaseNote.objects.count() == before and stored_files(media_root) == []


@pytest.mark.parametrize("scanner,message", [
    ("tests.notes.test_attachments.refuse_everything", "refused by the virus check: "
                                                        "Eicar-Test-Signature"),
    ("tests.notes.test_attachments.broken_scanner", "could not be checked for viruses"),
])
def test_the_virus_scan_hook_can_refuse(scanner: str, message: str, note, actor_for, arthur,
                                        settings, media_root) -> None:  # noqa: ANN001
    settings.CAREWEAVE_ATTACHMENT_SCANNER = scanner
    with pytest.raises(ValidationFailed) as caught:
        services.attachment_add(actor=actor_for("home.uk"), person_id=arthur.pk,
                                note_id=note.pk, upload=Upload("letter.pdf", PDF_BYTES))
    assert message in caught.value.errors["attachment"][0]
    assert not Attachment.objects.exists() and stored_files(media_root) == []


def test_the_virus_scan_hook_sees_the_file_and_may_accept(note, actor_for, arthur,
                                                        settings) -> None:  # noqa: ANN001
    settings.CAREWEAVE_ATTACHMENT_SCANNER = "tests.notes.test_attachments.accept_if_small"
    services.attachment_add(actor=actor_for("home.uk"), person_id=arthur.pk, note_id=note.pk,
                            upload=Upload("letter.pdf", PDF_BYTES))
    with pytest.raises(ValidationFailed):
        services.attachment_add(actor=actor_for("home.uk"), person_id=arthur.pk,
                                note_id=note.pk, upload=Upload("big.pdf",
                                                               PDF_BYTES + b" " * 2000))
    assert note.attachments.count() == 1


def test_uploading_through_the_page(note, arthur, media_root) -> None:  # noqa: ANN001
    client = sign_in(Client(), "home.uk")
    url = f"/people/{arthur.pk}/notes/{note.pk}/attachments/add/"
    # Django's upload handler keeps only the base name of a multipart file name, so a path
    # never reaches the service from a page (the service refuses one from anywhere else)
    sneaky = client.post(url, {"attachment": SimpleUploadedFile("../../x.pdf", PDF_BYTES)})
    assert sneaky.status_code == 302
    assert note.attachments.get().filename == "x.pdf"
    wrong = client.post(url, {"attachment": SimpleUploadedFile("x.pdf", b"MZ\x90\x00",
                                                               "application/pdf")})
    assert wrong.status_code == 400
    assert "must be a PDF, PNG or JPEG" in wrong.content.decode()
    good = client.post(url, {"attachment": SimpleUploadedFile("photo.png", PNG_BYTES,
                                                              "image/png")})
    assert good.status_code == 302
    assert sorted(note.attachments.values_list("filename", flat=True)) == ["photo.png",
                                                                            "x.pdf"]
    # a note recorded with its file on the same form
    form = {"kind": "letter", **date_parts("date", timezone.localdate()), "time": "00:00",
            "summary": "Letter with scan", "body": "Attached.", "sensitivity": "care_team",
            "attachment": SimpleUploadedFile("scan.jpg", JPEG_BYTES, "image/jpeg")}
    assert client.post(f"/people/{arthur.pk}/notes/add/", form).status_code == 302
    made = CaseNote.objects.get(summary="Letter with scan")
    assert made.attachments.get().content_type == "image/jpeg"
    # only the note's organisation attaches files to it
    other = sign_in(Client(), "gp.uk").post(url, {
        "attachment": SimpleUploadedFile("gp.png", PNG_BYTES)})
    assert other.status_code == 400 and note.attachments.count() == 2


def test_uploading_through_the_api(note, arthur, api_as) -> None:  # noqa: ANN001
    api = api_as("home.uk")
    url = f"/api/v1/people/{arthur.pk}/notes/{note.pk}/attachments"
    good = api.client.post(url, {"file": SimpleUploadedFile("photo.jpg", JPEG_BYTES)},
                           **api.headers)
    assert good.status_code == 201 and good.json()["content_type"] == "image/jpeg"
    bad = api.client.post(url, {"file": SimpleUploadedFile("evil.jpg", b"GIF89a....")},
                          **api.headers)
    assert bad.status_code == 422 and bad["Content-Type"].startswith("application/problem")
    assert "PDF, PNG or JPEG" in bad.json()["errors"]["attachment"][0]
    missing = api.client.post(url, {}, **api.headers)
    assert missing.status_code == 422
    assert note.attachments.count() == 1


def test_an_upload_may_be_larger_than_other_bodies_up_to_the_attachment_limit(
        note, arthur, api_as, settings) -> None:  # noqa: ANN001
    settings.CAREWEAVE = {**settings.CAREWEAVE, "MAX_BODY_BYTES": 4096,
                          "ATTACHMENT_MAX_BYTES": 100 * 1024}
    scan = PDF_BYTES + b"0" * 50 * 1024
    client = sign_in(Client(), "home.uk")
    url = f"/people/{arthur.pk}/notes/{note.pk}/attachments/add/"
    assert client.post(url, {"attachment": SimpleUploadedFile("scan.pdf", scan)}).status_code \
        == 302
    assert note.attachments.get().size == len(scan)
    api = api_as("home.uk")
    uploaded = api.client.post(f"/api/v1/people/{arthur.pk}/notes/{note.pk}/attachments",
                               {"file": SimpleUploadedFile("scan2.pdf", scan + b"1")},
                               **api.headers)
    assert uploaded.status_code == 201
    # a multipart body as large to a page that takes no files is refused before it is read
    other = client.post("/people/new/", {"given_name": "Big", "file": SimpleUploadedFile(
        "x.pdf", scan)})
    assert other.status_code == 413
    # a JSON body as large is still refused before anything reads it
    big = api.post(f"/people/{arthur.pk}/notes", {"kind": "visit", "summary": "x",
                                                  "occurred_at": "2026-01-01T10:00:00Z",
                                                  "body": "y" * 10_000})
    assert big.status_code == 413
    # and an upload larger than the attachment limit and its form is refused whole
    huge = PDF_BYTES + b"0" * 400 * 1024
    assert client.post(url, {"attachment": SimpleUploadedFile("huge.pdf", huge)}).status_code \
        == 413
    assert note.attachments.count() == 2
