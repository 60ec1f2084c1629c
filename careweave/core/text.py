"""Plain checks on text that every app's services share (pure: no Django)."""

from __future__ import annotations

import unicodedata

# Separators (spaces of every width), controls, format characters (zero-width spaces and
# joiners, bidi marks), private use and unassigned: nothing a reader can see.
_INVISIBLE = ("Z", "C")


def visible_length(text: str) -> int:
    """How many characters of ``text`` a reader can see."""
    return sum(1 for ch in text if unicodedata.category(ch)[0] not in _INVISIBLE)


def has_visible_text(text: str, minimum: int = 1) -> bool:
    """True when ``text`` has at least ``minimum`` visible characters (a reason made of
    zero-width spaces has none)."""
    return visible_length(text) >= minimum
