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


def search_words(text: str) -> list[str]:
    """The words of a search as search keys. A comma separates words too, so that "Smith,
    John", as lists show names, finds John Smith."""
    return search_key(text.replace(",", " ")).split()


def _fold(text: str) -> str:
    # Compatibility forms (℠, ﬁ) may decompose into letters that case-fold further, so
    # the fold is applied twice: the key of a key is the key itself.
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.translate(_FOLD).split())


# -- sorting in the reader's language ---------------------------------------------------------
#
# English sorts accent-blind: ``search_key`` above ("öberg" files under o). Swedish puts Å, Ä
# and Ö after Z, files Æ with Ä and Ø (and Œ) with Ö, Ü with Y, and folds every other accent
# (é with e). The Swedish key is a string of lowercase ASCII letters only, so that every
# database and collation (SQLite's binary, PostgreSQL's "C" or any linguistic one) orders it
# the same way: each symbol becomes a fixed-width code (see docs/adr/0009-swedish-collation.md).
#
#   "aa"          between the family and the given name (lowest: "Berg, Ulla" before "Bergman")
#   "ab"          between words of one name (a space or a hyphen)
#   "ac" .. "al"  the digits 0-9
#   "am" .. "bl"  the letters a-z
#   "bm" "bn" "bo" å, ä, ö
#   "z" + 5 letters  any other letter (Greek, Cyrillic, Arabic…), by code point, after ö

_PART = "aa"
_WORD = "ab"
_SV_LAST = {"å": 26, "ä": 27, "æ": 27, "ö": 28, "ø": 28, "œ": 28}
_SV_AS = {"ü": "y", "ß": "ss", "đ": "d", "ð": "d", "ł": "l", "þ": "th"}
_SORT_KEY_MAX = 400


def _code(n: int) -> str:
    return chr(97 + n // 26) + chr(97 + n % 26)


def _other_letter(ch: str) -> str:
    n, letters = ord(ch), []
    for _ in range(5):
        n, rest = divmod(n, 26)
        letters.append(chr(97 + rest))
    return "z" + "".join(reversed(letters))


def _sv_symbols(text: str) -> list[str]:
    out: list[str] = []
    for ch in unicodedata.normalize("NFC", text).casefold():
        if ch in _SV_LAST:
            out.append(_code(12 + _SV_LAST[ch]))
            continue
        for base in _SV_AS.get(ch, ch):
            for part in unicodedata.normalize("NFKD", base):
                if unicodedata.combining(part):
                    continue
                if "a" <= part <= "z":
                    out.append(_code(12 + ord(part) - 97))
                elif "0" <= part <= "9":
                    out.append(_code(2 + ord(part) - 48))
                elif part.isspace() or part in "-‐‑–—_/":
                    if out and out[-1] != _WORD:
                        out.append(_WORD)
                elif part.isalpha():
                    out.append(_other_letter(part))
                # anything else (apostrophes, dots, marks) does not count for sorting
    while out and out[-1] == _WORD:
        out.pop()
    return out


def swedish_sort_key(family_name: str, given_name: str = "") -> str:
    """The sort key of "family, given" in Swedish alphabetical order (Å, Ä, Ö after Z)."""
    key = "".join(_sv_symbols(family_name)) + _PART + "".join(_sv_symbols(given_name))
    return key[:_SORT_KEY_MAX]


def swedish_prefix(word: str) -> str:
    """The start that the Swedish sort key of every family name beginning with ``word``
    shares ("Öst" for Öst and Östberg, not Ost): for a search that lists those first."""
    return "".join(_sv_symbols(word))[:_SORT_KEY_MAX]


def sorts_swedish(language: str) -> bool:
    """Does a reader of ``language`` ("sv", "sv-se", "en", "en-gb") expect Swedish order?"""
    return (language or "").lower().replace("_", "-").split("-")[0] == "sv"


def sort_key(family_name: str, given_name: str, language: str) -> str:
    """The key a list of people sorts by for a reader of ``language``."""
    if sorts_swedish(language):
        return swedish_sort_key(family_name, given_name)
    return search_key(f"{family_name} {given_name}")
