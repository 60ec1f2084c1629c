"""Checks on an uploaded attachment, before anything is stored. Pure (no Django).

- The type is decided by the content (magic bytes), never by the name or the browser's
  Content-Type: PDF, PNG and JPEG only.
- The name is checked, not repaired silently: a name that tries a folder path ("../x",
  "C:\\x", "/etc/x") is refused; otherwise it is NFC-normalised, stripped of control and
  invisible characters, shortened, and given the extension of its real type.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

FILES_VERSION = "1"

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"

EXTENSIONS = {PDF: ".pdf", PNG: ".png", JPEG: ".jpg"}
ALIASES = {".jpeg": ".jpg", ".jpe": ".jpg"}
MAX_NAME = 100


class FileRefused(ValueError):
    """The upload is refused; ``code`` says why (for a translated message)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def sniff(data: bytes) -> str | None:
    """The real type of ``data`` from its first bytes, or None if not one we accept."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    return None


_PATHLIKE = re.compile(r"[/\\]|^\.\.?$|^[A-Za-z]:")


def safe_name(name: str, content_type: str) -> str:
    """The name to store and offer for download; FileRefused("path") for one that tries a
    path, ("mismatch") for an extension that is not the content's type, ("empty") when
    nothing readable is left."""
    name = unicodedata.normalize("NFC", name or "")
    if _PATHLIKE.search(name) or "\x00" in name:
        raise FileRefused("path")
    kept = "".join(ch for ch in name
                   if unicodedata.category(ch)[0] not in ("C",)
                   and ch not in '<>:"|?*;')
    kept = re.sub(r"\s+", " ", kept).strip(" .")
    if not kept:
        raise FileRefused("empty")
    stem, dot, ext = kept.rpartition(".")
    wanted = EXTENSIONS[content_type]
    if dot and stem:
        given = ALIASES.get(f".{ext.lower()}", f".{ext.lower()}")
        if given != wanted:
            # "scan.png" holding a PDF, "letter.exe": the name and the content disagree
            raise FileRefused("mismatch")
    else:
        stem = kept
    stem = stem[: MAX_NAME - len(wanted)].rstrip(" .") or "attachment"
    return stem + wanted


@dataclass(frozen=True)
class Checked:
    content_type: str
    name: str
    size: int


def check(data: bytes, name: str, *, max_bytes: int) -> Checked:
    """Everything about one upload: size, type by content, name. Raises FileRefused with
    "empty_file", "too_big", "type", "path", "empty" or "mismatch"."""
    if not data:
        raise FileRefused("empty_file")
    if len(data) > max_bytes:
        raise FileRefused("too_big")
    content_type = sniff(data)
    if content_type is None:
        raise FileRefused("type")
    return Checked(content_type=content_type, name=safe_name(name, content_type),
                   size=len(data))
