"""Attachment checks (pure): the type by content, the size, and safe names."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from careweave.notes import files
from careweave.notes.files import JPEG, PDF, PNG, FileRefused

PDF_BYTES = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG_BYTES = b"\xff\xd8\xff\xe0" + b"\x00" * 32


@pytest.mark.parametrize("data,kind", [
    (PDF_BYTES, PDF), (PNG_BYTES, PNG), (JPEG_BYTES, JPEG),
    (b"MZ\x90\x00 an exe", None), (b"<html><script>", None), (b"GIF89a", None), (b"", None),
    (b"%PDF", None),  # too short to be the header
])
def test_the_type_comes_from_the_content(data: bytes, kind: str | None) -> None:
    assert files.sniff(data) == kind


NAMES = [
    # (given, type, stored)
    ("Brev från läkaren.pdf", PDF, "Brev från läkaren.pdf"),
    ("scan.PDF", PDF, "scan.pdf"),
    ("photo.jpeg", JPEG, "photo.jpg"),
    ("photo", JPEG, "photo.jpg"),
    ("  x  .png ", PNG, "x.png"),
    ("with\u200bzero\x07width.pdf", PDF, "withzerowidth.pdf"),
    ("a" * 300 + ".pdf", PDF, "a" * 96 + ".pdf"),
    ('bad<>:"|?*;.pdf', PDF, "bad.pdf"),
]


@pytest.mark.parametrize("given_name,kind,stored", NAMES)
def test_safe_names(given_name: str, kind: str, stored: str) -> None:
    assert files.safe_name(given_name, kind) == stored


@pytest.mark.parametrize("name,code", [
    ("../../etc/passwd.pdf", "path"), ("..\\windows\\x.pdf", "path"), ("/etc/x.pdf", "path"),
    ("C:evil.pdf", "path"), ("..", "path"), ("dir/name.pdf", "path"), ("nul\x00.pdf", "path"),
    ("letter.exe", "mismatch"), ("scan.png", "mismatch"), ("...", "empty"), ("\u200b", "empty"),
])
def test_names_that_are_refused(name: str, code: str) -> None:
    with pytest.raises(FileRefused) as caught:
        files.safe_name(name, PDF)
    assert caught.value.code == code


@pytest.mark.parametrize("data,name,limit,code", [
    (b"", "x.pdf", 100, "empty_file"),
    (PDF_BYTES, "x.pdf", 10, "too_big"),
    (b"MZ\x90\x00", "x.pdf", 100, "type"),
    (PDF_BYTES, "../x.pdf", 1000, "path"),
])
def test_check_refuses(data: bytes, name: str, limit: int, code: str) -> None:
    with pytest.raises(FileRefused) as caught:
        files.check(data, name, max_bytes=limit)
    assert caught.value.code == code


def test_check_accepts_at_the_limit() -> None:
    checked = files.check(PDF_BYTES, "letter.pdf", max_bytes=len(PDF_BYTES))
    assert (checked.content_type, checked.name, checked.size) == (PDF, "letter.pdf",
                                                                  len(PDF_BYTES))


@given(st.text(max_size=300), st.sampled_from([PDF, PNG, JPEG]))
def test_a_stored_name_is_never_a_path_and_has_the_real_extension(name: str,
                                                                 kind: str) -> None:
    try:
        stored = files.safe_name(name, kind)
    except FileRefused:
        return
    assert "/" not in stored and "\\" not in stored and "\x00" not in stored
    assert stored.endswith(files.EXTENSIONS[kind]) and len(stored) <= files.MAX_NAME
    assert stored not in (".", "..")
