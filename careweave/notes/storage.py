"""Where attachment files live, and the virus-scan hook.

Files are stored once under ``MEDIA_ROOT/attachments/`` by their SHA-256
(``ab/cd/abcd…``), never under the name the user gave, and never served by URL: the only
way to a file is the gated view (``notes:attachment``) or API operation, which ask the
gate and the note's sensitivity first. ``MEDIA_URL`` is not used.

**Virus-scan hook.** The setting ``CAREWEAVE_ATTACHMENT_SCANNER`` (from the environment
variable of the same name) names a callable, as a dotted path, that every upload
passes before anything is stored::

    def scan(data: bytes, *, filename: str, content_type: str) -> str | None:
        '''None to accept; otherwise the reason the file is refused.'''

The default, :func:`no_scan`, accepts everything (the type and size checks still apply).
A deployment points it at its scanner, for example a function that sends ``data`` to
clamd's ``INSTREAM`` command and returns the virus name it reports. A scanner that raises
refuses the file ("could not be checked"): the hook fails closed.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import cast

from django.conf import settings
from django.utils.module_loading import import_string

Scanner = Callable[..., str | None]
DEFAULT_SCANNER = "careweave.notes.storage.no_scan"


def no_scan(data: bytes, *, filename: str, content_type: str) -> str | None:
    """The default hook: accept (no scanner configured)."""
    return None


def scanner() -> Scanner:
    path = getattr(settings, "CAREWEAVE_ATTACHMENT_SCANNER", "") or DEFAULT_SCANNER
    return cast(Scanner, import_string(path))


def max_bytes() -> int:
    return int(settings.CAREWEAVE.get("ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024))


def root() -> Path:
    return Path(settings.MEDIA_ROOT) / "attachments"


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def path_for(sha256: str) -> Path:
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError("not a SHA-256")
    return root() / sha256[:2] / sha256[2:4] / sha256


def store(data: bytes) -> str:
    """Write ``data`` once (atomically: a temporary file renamed into place); its hash."""
    sha = digest(data)
    target = path_for(sha)
    if target.exists() and target.stat().st_size == len(data):
        return sha
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.chmod(tmp, 0o640)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return sha


def read(sha256: str) -> bytes:
    return path_for(sha256).read_bytes()
