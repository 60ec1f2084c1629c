from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from careweave.people.names import nfc, search_key


def test_swedish_names_fold_accents_and_case() -> None:
    assert search_key("Åsa Öberg") == "asa oberg"
    assert search_key("ÅSA") == "asa"
    assert search_key("  Björn   Bäckström ") == "bjorn backstrom"
    assert search_key("Søren Ærø") == "soren aero"


def test_nfc_and_nfd_are_the_same_name() -> None:
    composed = "Åsa Öberg"
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    assert nfc(decomposed) == composed
    assert search_key(decomposed) == search_key(composed)


@given(st.text())
def test_search_key_is_idempotent(text: str) -> None:
    assert search_key(search_key(text)) == search_key(text)
