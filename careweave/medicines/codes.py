"""Optional codes for a medicine: dm+d in the UK, NPL in Sweden. Pure (no Django).

- **dm+d** (NHS Dictionary of medicines and devices): VTM, VMP, AMP, VMPP and AMPP ids are
  SNOMED CT concept identifiers: 6 to 18 digits, no leading zero, a partition identifier
  of ``00`` or ``10`` (concept; core or extension) before the last digit, and a Verhoeff
  check digit last.
- **NPL** (Läkemedelsverkets nationella produktregister): NPL-id and NPL pack id are 14
  digits, the first eight a date (``YYYYMMDD``, from 1950) on which the id was issued.

A code is normalised (spaces and dashes removed) and checked; the name stays free text
whatever the code, because the code is optional and the name is what people read.
"""

from __future__ import annotations

import datetime as dt

CODES_VERSION = "1"

DMD = "dmd"
NPL = "npl"
SYSTEMS = (DMD, NPL)

_D = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9), (1, 2, 3, 4, 0, 6, 7, 8, 9, 5),
    (2, 3, 4, 0, 1, 7, 8, 9, 5, 6), (3, 4, 0, 1, 2, 8, 9, 5, 6, 7),
    (4, 0, 1, 2, 3, 9, 5, 6, 7, 8), (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    (6, 5, 9, 8, 7, 1, 0, 4, 3, 2), (7, 6, 5, 9, 8, 2, 1, 0, 4, 3),
    (8, 7, 6, 5, 9, 3, 2, 1, 0, 4), (9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
)
_P = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9), (1, 5, 7, 6, 2, 8, 3, 0, 9, 4),
    (5, 8, 0, 3, 7, 9, 6, 1, 4, 2), (8, 9, 1, 6, 0, 4, 3, 5, 2, 7),
    (9, 4, 5, 3, 1, 2, 6, 8, 7, 0), (4, 2, 8, 6, 5, 7, 3, 9, 0, 1),
    (2, 7, 9, 3, 8, 0, 6, 4, 1, 5), (7, 0, 4, 6, 9, 1, 3, 2, 5, 8),
)
_INV = (0, 4, 3, 2, 1, 5, 6, 7, 8, 9)


class InvalidCode(ValueError):
    """``code`` says why: "system", "digits", "length", "check", "partition", "date"."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def verhoeff_valid(number: str) -> bool:
    c = 0
    for i, ch in enumerate(reversed(number)):
        c = _D[c][_P[i % 8][int(ch)]]
    return c == 0


def verhoeff_check_digit(partial: str) -> int:
    c = 0
    for i, ch in enumerate(reversed(partial)):
        c = _D[c][_P[(i + 1) % 8][int(ch)]]
    return _INV[c]


def normalise(system: str, value: str, *, today: dt.date) -> str:
    """The code as stored, or InvalidCode."""
    if system not in SYSTEMS:
        raise InvalidCode("system")
    code = "".join(ch for ch in value if ch not in " -\u00a0")
    if not code.isascii() or not code.isdigit():
        raise InvalidCode("digits")
    if system == DMD:
        if not 6 <= len(code) <= 18 or code[0] == "0":
            raise InvalidCode("length")
        if code[-3:-1] not in ("00", "10"):
            raise InvalidCode("partition")
        if not verhoeff_valid(code):
            raise InvalidCode("check")
        return code
    if len(code) != 14:
        raise InvalidCode("length")
    try:
        issued = dt.date(int(code[:4]), int(code[4:6]), int(code[6:8]))
    except ValueError:
        raise InvalidCode("date") from None
    if not dt.date(1950, 1, 1) <= issued <= today:
        raise InvalidCode("date")
    return code
