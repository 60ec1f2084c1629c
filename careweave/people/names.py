"""Name normalisation for storage and search. Pure Python, no Django."""

from __future__ import annotations

import unicodedata

# Letters that NFKD does not decompose but people type without diacritics.
_FOLD = str.maketrans({"ø": "o", "æ": "ae", "ß": "ss", "đ": "d", "ł": "l", "þ": "th", "œ": "oe"})


def nfc(text: str) -> str:
    """Text as stored: NFC-normalised, surrounding whitespace removed, inner runs collapsed."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def search_key(text: str) -> str:
    """Accent- and case-insensitive key: 'Åsa Öberg' and 'ASA OBERG' both give 'asa oberg'."""
    return _fold(_fold(text))


def _fold(text: str) -> str:
    # Compatibility forms (℠, ﬁ) may decompose into letters that case-fold further, so
    # the fold is applied twice: the key of a key is the key itself.
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.translate(_FOLD).split())
