"""Possible duplicates by demographics, when no identifier settles it. Pure Python, no Django.

:func:`compare` scores two people from 0 to 100 and says why, in stable reason codes:

- **name** (up to 50 points): family and given names each compared after accent folding and
  transliteration (Åsa/Asa, Øberg/Oberg, Müller/Mueller), spelling variants (Mohammed/
  Muhammad/Mohamed, Jon/John, Eric/Erik), known short forms (Bill/William), one part of a
  double or hyphenated name (Penrose-Hill/Penrose), small typos, an initial; the given and
  family names may be swapped;
- **date of birth** (up to 40): the same, day and month swapped, or one digit different;
- **postcode** (10): the same once spaces and case are ignored.

Two records with different numbers in the same identifier system are different people
(score 0); the same number is the same person (100).

:func:`birth_date_variants` gives every date of birth :func:`compare` would count, so that
the database can narrow the candidates with an index before anything is scored.

The rules are versioned (:data:`VERSION`): a stored score says which rules made it.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from careweave.people.names import search_key

VERSION = 1

NAME_POINTS = 50
BIRTH_POINTS = {"same": 40, "swapped": 30, "digit": 25}
POSTCODE_POINTS = 10

POSSIBLE = 70  # warn when registering someone; listed for the data-quality role
LIKELY = 85  # shown as "likely the same person"


class Reason(StrEnum):
    """Why two records may be the same person. In the order they are shown."""

    SAME_IDENTIFIER = "same-identifier"
    DIFFERENT_IDENTIFIER = "different-identifier"
    SAME_NAME = "same-name"
    SAME_FAMILY_NAME = "same-family-name"
    SAME_GIVEN_NAME = "same-given-name"
    NAME_SWAPPED = "name-swapped"
    SPELLING_VARIANT = "spelling-variant"
    SHORT_FORM = "short-form"
    NAME_PART = "name-part"
    SIMILAR_NAME = "similar-name"
    INITIAL = "initial"
    SAME_BIRTH_DATE = "same-birth-date"
    BIRTH_DAY_MONTH_SWAPPED = "birth-day-month-swapped"
    BIRTH_DATE_ONE_DIGIT = "birth-date-one-digit"
    SAME_POSTCODE = "same-postcode"


_ORDER = {reason: i for i, reason in enumerate(Reason)}


@dataclass(frozen=True)
class Demographics:
    """What matching looks at. ``identifiers`` holds (system, normalised value) pairs."""

    given_name: str
    family_name: str
    birth_date: dt.date | None = None
    postcode: str = ""
    identifiers: frozenset[tuple[str, str]] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Match:
    score: int
    reasons: tuple[Reason, ...]

    @property
    def possible(self) -> bool:
        return self.score >= POSSIBLE

    @property
    def likely(self) -> bool:
        return self.score >= LIKELY


# -- names -------------------------------------------------------------------------------------

# Particles that do not tell one family apart from another ("van der Berg" and "Berg").
PARTICLES = frozenset({"af", "al", "bin", "binti", "da", "de", "del", "della", "den", "der",
                       "di", "du", "el", "ibn", "la", "le", "van", "von"})

# Known short forms and spellings that transliteration does not reach, by canonical form.
_SHORT_FORMS = [
    {"william", "bill", "billy", "will", "willie", "liam", "vilhelm", "wilhelm"},
    {"robert", "bob", "bobby", "rob", "robbie", "bert"},
    {"margaret", "maggie", "peggy", "meg", "greta", "margareta"},
    {"elizabeth", "elisabeth", "elisabet", "liz", "lizzie", "beth", "betty", "lisa", "elsa"},
    {"catherine", "katherine", "katarina", "katharina", "kate", "katie", "cathy", "kajsa",
     "karin"},
    {"james", "jim", "jimmy", "jamie"},
    {"richard", "dick", "rick", "ricky", "richie"},
    {"edward", "ed", "eddie", "ted", "teddy"},
    {"anthony", "antony", "tony"},
    {"patricia", "pat", "patty", "trish"},
    {"michael", "mike", "mick", "micke", "mikael"},
    {"susan", "sue", "susie", "susanne", "susanna"},
    {"joseph", "joe", "joey", "josef"},
    {"christopher", "chris", "kristoffer", "christoffer"},
    {"johannes", "johan", "hans", "jan", "john", "jon", "jack", "johnny"},
    {"alexander", "alex", "sandy"},
    {"thomas", "tom", "tommy", "tomas"},
    {"daniel", "dan", "danny"},
    {"abdullah", "abdallah", "abdulla"},
    {"fatima", "fatma", "fatemeh"},
]


def _tokens(name: str) -> tuple[str, ...]:
    """Folded words of a name, apostrophes and dots dropped ("O'Brien" is "obrien"),
    particles left out unless the name is nothing else."""
    folded = re.sub(r"['’`ʼ.]", "", search_key(name))
    words = tuple(w for w in re.split(r"[\W_]+", folded) if w)
    kept = tuple(w for w in words if w not in PARTICLES)
    return kept or words


_DIGRAPHS = (("sch", "sh"), ("ph", "f"), ("ck", "k"), ("kh", "k"), ("ch", "k"), ("th", "t"),
             ("ae", "a"), ("oe", "o"), ("ue", "u"), ("ou", "u"), ("ei", "ai"), ("q", "k"),
             ("c", "k"), ("x", "ks"), ("z", "s"), ("w", "v"))
_VOWELS = frozenset("aeiouy")


def _canonical(word: str) -> str:
    """One spelling for the ways a name is written: transliterated digraphs (Mueller/Müller,
    Philip/Filip, Christian/Kristian), doubled letters (Mohammed/Mohamed) and a silent h
    (John/Jon, Sarah/Sara) count the same."""
    for old, new in _DIGRAPHS:
        word = word.replace(old, new)
    collapsed: list[str] = []
    for i, ch in enumerate(word):
        if ch == "h" and i > 0 and (i + 1 == len(word) or word[i + 1] not in _VOWELS):
            continue
        if collapsed and collapsed[-1] == ch:
            continue
        collapsed.append(ch)
    return "".join(collapsed)


def _vowel_key(word: str) -> str:
    """The canonical word with every run of vowels as one "a": Muhammad/Mohammed,
    Anna/Anne, Karin/Karen."""
    out: list[str] = []
    for i, ch in enumerate(_canonical(word)):
        if ch in _VOWELS and not (ch == "y" and i == 0):
            if not out or out[-1] != "a":
                out.append("a")
        else:
            out.append(ch)
    return "".join(out)


_SHORT = {_canonical(name): i for i, group in enumerate(_SHORT_FORMS) for name in group}


def _jaro_winkler(a: str, b: str) -> float:
    """Jaro-Winkler similarity, computed on the pair in a fixed order so that it is
    symmetric whatever the implementation's corner cases."""
    if a > b:
        a, b = b, a
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    window = max(0, max(len(a), len(b)) // 2 - 1)
    taken = [False] * len(b)
    matched_a: list[str] = []
    for i, ch in enumerate(a):
        for j in range(max(0, i - window), min(len(b), i + window + 1)):
            if not taken[j] and b[j] == ch:
                taken[j] = True
                matched_a.append(ch)
                break
    m = len(matched_a)
    if m == 0:
        return 0.0
    matched_b = [b[j] for j in range(len(b)) if taken[j]]
    transpositions = sum(x != y for x, y in zip(matched_a, matched_b, strict=True)) / 2
    jaro = (m / len(a) + m / len(b) + (m - transpositions) / m) / 3
    prefix = 0
    for x, y in zip(a[:4], b[:4], strict=False):
        if x != y:
            break
        prefix += 1
    return jaro + prefix * 0.1 * (1 - jaro)


@dataclass(frozen=True)
class _Name:
    """A name (one part) prepared once for every comparison."""

    tokens: tuple[str, ...]
    canonical: tuple[str, ...]
    vowels: tuple[str, ...]
    short: int  # its group of short forms, or -1
    joined: str  # the canonical words, for the typo measure
    long_words: frozenset[str]  # canonical words of more than one letter


@functools.lru_cache(maxsize=65536)
def _prepared(name: str) -> _Name:
    tokens = _tokens(name)
    canonical = tuple(_canonical(t) for t in tokens)
    return _Name(tokens=tokens, canonical=canonical,
                 vowels=tuple(_vowel_key(t) for t in tokens),
                 short=_SHORT.get(canonical[0], -1) if len(canonical) == 1 else -1,
                 joined=" ".join(canonical),
                 long_words=frozenset(c for c in canonical if len(c) > 1))


@functools.lru_cache(maxsize=65536)
def _similarity(a: str, b: str) -> float:
    return _jaro_winkler(a, b)


def compare_name(a: str, b: str, *, typos: bool = True) -> tuple[float, Reason | None]:
    """How alike two names (one part: family or given) are, from 0 to 1, and why.
    ``typos=False`` leaves out the (slower) measure of small spelling mistakes and initials."""
    na, nb = _prepared(a), _prepared(b)
    if not na.tokens or not nb.tokens:
        return 0.0, None
    if na.tokens == nb.tokens:
        return 1.0, Reason.SAME_NAME
    if na.canonical == nb.canonical:
        return 0.95, Reason.SPELLING_VARIANT
    if na.vowels == nb.vowels:
        return 0.85, Reason.SPELLING_VARIANT
    if na.short >= 0 and na.short == nb.short:
        return 0.8, Reason.SHORT_FORM
    if (len(na.tokens) > 1 or len(nb.tokens) > 1) and na.long_words & nb.long_words:
        return 0.8, Reason.NAME_PART
    if not typos:
        return 0.0, None
    low, high = sorted((na.joined, nb.joined))
    similarity = _similarity(low, high)
    if similarity >= 0.9:
        return 0.75, Reason.SIMILAR_NAME
    if similarity >= 0.85:
        return 0.6, Reason.SIMILAR_NAME
    if (len(na.tokens[0]) == 1 or len(nb.tokens[0]) == 1) and na.tokens[0][0] == nb.tokens[0][0]:
        return 0.5, Reason.INITIAL
    return 0.0, None


def _name_points(family: tuple[float, Reason | None], given: tuple[float, Reason | None],
                 *, swapped: bool = False) -> tuple[int, set[Reason]]:
    """Points for the whole name and the reasons, saying which part matched exactly."""
    points = round(NAME_POINTS * (family[0] + given[0]) / 2)
    if family[1] == given[1] == Reason.SAME_NAME:
        return points, {Reason.SAME_NAME} | ({Reason.NAME_SWAPPED} if swapped else set())
    reasons: set[Reason] = {r for _s, r in (family, given)
                            if r is not None and r != Reason.SAME_NAME}
    if swapped:
        reasons.add(Reason.NAME_SWAPPED)
    else:
        if family[1] == Reason.SAME_NAME:
            reasons.add(Reason.SAME_FAMILY_NAME)
        if given[1] == Reason.SAME_NAME:
            reasons.add(Reason.SAME_GIVEN_NAME)
    return points, reasons


# -- dates of birth and postcodes --------------------------------------------------------------


def _digits(day: dt.date) -> str:
    return f"{day.year:04d}{day.month:02d}{day.day:02d}"


def _date_of(digits: str) -> dt.date | None:
    try:
        return dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return None


def _swapped(day: dt.date) -> dt.date | None:
    if day.day > 12 or day.day == day.month:
        return None
    try:
        return day.replace(month=day.day, day=day.month)
    except ValueError:
        return None


def birth_date_relation(a: dt.date | None, b: dt.date | None) -> Reason | None:
    """Same date, day and month swapped, or one digit of YYYYMMDD different."""
    if a is None or b is None:
        return None
    if a == b:
        return Reason.SAME_BIRTH_DATE
    if _swapped(a) == b:
        return Reason.BIRTH_DAY_MONTH_SWAPPED
    if sum(x != y for x, y in zip(_digits(a), _digits(b), strict=True)) == 1:
        return Reason.BIRTH_DATE_ONE_DIGIT
    return None


def birth_date_variants(day: dt.date) -> frozenset[dt.date]:
    """Every date :func:`birth_date_relation` relates to ``day`` (``day`` included)."""
    found = {day}
    swapped = _swapped(day)
    if swapped is not None:
        found.add(swapped)
    digits = _digits(day)
    for i, old in enumerate(digits):
        for new in "0123456789":
            if new != old:
                other = _date_of(digits[:i] + new + digits[i + 1:])
                if other is not None:
                    found.add(other)
    return frozenset(found)


@functools.lru_cache(maxsize=65536)
def normalise_postcode(postcode: str) -> str:
    """ "rv1 4ab" and "RV14AB" are the same postcode; "411 19" and "41119" too."""
    return re.sub(r"[^0-9A-Z]", "", search_key(postcode or "").upper())


# -- the whole comparison ----------------------------------------------------------------------

_BIRTH = {Reason.SAME_BIRTH_DATE: "same", Reason.BIRTH_DAY_MONTH_SWAPPED: "swapped",
          Reason.BIRTH_DATE_ONE_DIGIT: "digit"}


def _sorted(reasons: Iterable[Reason]) -> tuple[Reason, ...]:
    return tuple(sorted(set(reasons), key=_ORDER.__getitem__))


def _identifiers(person: Demographics) -> dict[str, set[str]]:
    systems: dict[str, set[str]] = {}
    for system, value in person.identifiers:
        systems.setdefault(system, set()).add(value)
    return systems


def compare(a: Demographics, b: Demographics) -> Match:
    """How likely ``a`` and ``b`` are the same person (0-100), and why. Symmetric."""
    ids_a, ids_b = _identifiers(a), _identifiers(b)
    shared = set(ids_a) & set(ids_b)
    same_identifier = any(ids_a[s] & ids_b[s] for s in shared)
    if shared and not same_identifier:
        return Match(0, (Reason.DIFFERENT_IDENTIFIER,))

    direct = _name_points(compare_name(a.family_name, b.family_name),
                          compare_name(a.given_name, b.given_name))
    # Swapped names count when they are the same names, or spelt another way: a typo
    # on top of a swap is too far.
    swapped = _name_points(compare_name(a.family_name, b.given_name, typos=False),
                           compare_name(a.given_name, b.family_name, typos=False), swapped=True)
    points, reasons = swapped if swapped[0] > direct[0] else direct

    birth = birth_date_relation(a.birth_date, b.birth_date)
    if birth is not None:
        points += BIRTH_POINTS[_BIRTH[birth]]
        reasons.add(birth)

    postcode_a, postcode_b = normalise_postcode(a.postcode), normalise_postcode(b.postcode)
    if postcode_a and postcode_a == postcode_b:
        points += POSTCODE_POINTS
        reasons.add(Reason.SAME_POSTCODE)

    if same_identifier:
        return Match(100, _sorted({Reason.SAME_IDENTIFIER, *reasons}))
    return Match(max(0, min(100, points)), _sorted(reasons))
