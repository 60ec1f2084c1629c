"""Person identifiers: validation and normalisation. Pure Python, no Django.

Systems:
- ``nhs``: NHS number (England, Wales, Isle of Man), 10 digits, modulus 11.
- ``se-pnr``: Swedish personnummer, stored as 12 digits ``YYYYMMDDNNNC``.
- ``se-snr``: Swedish samordningsnummer (co-ordination number): as a personnummer
  but with 60 added to the day of birth.

Swedish numbers written with 10 digits take their century from the separator:
``-`` means the person is under 100, ``+`` means 100 or older (relative to a
reference date, normally today).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

NHS = "nhs"
SE_PERSONNUMMER = "se-pnr"
SE_SAMORDNINGSNUMMER = "se-snr"

SYSTEMS: tuple[str, ...] = (NHS, SE_PERSONNUMMER, SE_SAMORDNINGSNUMMER)

#: FHIR identifier system URIs for each internal system.
SYSTEM_URIS: dict[str, str] = {
    NHS: "https://fhir.nhs.uk/Id/nhs-number",
    SE_PERSONNUMMER: "http://electronichealth.se/identifier/personnummer",
    SE_SAMORDNINGSNUMMER: "http://electronichealth.se/identifier/samordningsnummer",
}


def gettext_noop(message: str) -> str:
    """Marks a message for translation (makemessages finds it by this name); the message is
    translated where it is shown, so this module stays free of Django."""
    return message


class InvalidIdentifier(ValueError):
    """Raised with a user-facing message when an identifier is not valid.

    ``template`` is the English message with %(name)s placeholders; ``translated(gettext)``
    gives it in the current language (the ``kind`` parameter is a translatable word too).
    """

    def __init__(self, template: str, **params: str) -> None:
        self.template = template
        self.params = params
        super().__init__(template % params if params else template)

    def translated(self, gettext: Callable[[str], str]) -> str:
        params = {k: gettext(v) if k == "kind" else v for k, v in self.params.items()}
        text = gettext(self.template)
        return text % params if params else text


@dataclass(frozen=True)
class Identifier:
    system: str
    value: str  # normalised form

    def display(self) -> str:
        return format_identifier(self.system, self.value)


def _digits(raw: str) -> str:
    return re.sub(r"[\s\-]", "", raw)


def nhs_check_digit(first_nine: str) -> int | None:
    """The NHS number check digit for nine digits, or None if no valid digit exists."""
    total = sum(int(d) * w for d, w in zip(first_nine, range(10, 1, -1), strict=True))
    check = 11 - (total % 11)
    if check == 11:
        return 0
    if check == 10:
        return None
    return check


def normalise_nhs(raw: str) -> str:
    value = _digits(raw.strip())
    if not value.isdigit() or not value.isascii():
        raise InvalidIdentifier(gettext_noop("An NHS number has 10 digits, like 943 476 5919."))
    if len(value) != 10:
        raise InvalidIdentifier(gettext_noop("An NHS number has 10 digits, like 943 476 5919."))
    check = nhs_check_digit(value[:9])
    if check is None or check != int(value[9]):
        raise InvalidIdentifier(
            gettext_noop("This is not a valid NHS number: the check digit does not match."))
    return value


def luhn_checksum_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def luhn_check_digit(partial: str) -> int:
    for d in range(10):
        if luhn_checksum_ok(partial + str(d)):
            return d
    raise AssertionError("unreachable")  # pragma: no cover


_SE_RE = re.compile(r"^(?P<century>\d{2})?(?P<yymmdd>\d{6})(?P<sep>[-+]?)(?P<tail>\d{4})$")


def _parse_swedish(raw: str, *, coordination: bool, today: dt.date) -> str:
    value = raw.strip().replace(" ", "")
    m = _SE_RE.match(value)
    kind = gettext_noop("samordningsnummer") if coordination else gettext_noop("personnummer")
    if not m or not value.isascii():
        raise InvalidIdentifier(gettext_noop(
            "A %(kind)s is written YYYYMMDD-NNNN or YYMMDD-NNNN (use + for people aged 100 or more)."
        ), kind=kind)
    yymmdd, sep, tail = m["yymmdd"], m["sep"], m["tail"]
    if not luhn_checksum_ok(yymmdd + tail):
        raise InvalidIdentifier(
            gettext_noop("This is not a valid %(kind)s: the check digit does not match."), kind=kind)
    yy, mm, dd = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:6])
    if coordination:
        if dd <= 60:
            raise InvalidIdentifier(gettext_noop(
                "A samordningsnummer has 60 added to the day of birth; this looks like a personnummer."
            ))
        dd -= 60
    elif dd > 60:
        raise InvalidIdentifier(
            gettext_noop("This looks like a samordningsnummer, not a personnummer."))
    if m["century"]:
        if sep == "+":
            raise InvalidIdentifier(gettext_noop("Write a 12-digit %(kind)s without '+'."), kind=kind)
        year = int(m["century"]) * 100 + yy
    else:
        year = (today.year // 100) * 100 + yy
        if year > today.year:
            year -= 100
        if sep == "+":
            year -= 100
    try:
        born = dt.date(year, mm, dd)
    except ValueError:
        raise InvalidIdentifier(
            gettext_noop("This %(kind)s does not contain a real date of birth."), kind=kind
        ) from None
    if born > today:
        raise InvalidIdentifier(
            gettext_noop("This %(kind)s has a date of birth in the future."), kind=kind)
    day_part = dd + 60 if coordination else dd
    return f"{year:04d}{mm:02d}{day_part:02d}{tail}"


def normalise_personnummer(raw: str, *, today: dt.date | None = None) -> str:
    return _parse_swedish(raw, coordination=False, today=today or dt.date.today())


def normalise_samordningsnummer(raw: str, *, today: dt.date | None = None) -> str:
    return _parse_swedish(raw, coordination=True, today=today or dt.date.today())


def normalise(system: str, raw: str, *, today: dt.date | None = None) -> str:
    """Return the normalised value or raise InvalidIdentifier with a clear message."""
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidIdentifier(gettext_noop("Enter an identifier."))
    if len(raw) > 40:
        raise InvalidIdentifier(gettext_noop("This identifier is too long."))
    if system == NHS:
        return normalise_nhs(raw)
    if system == SE_PERSONNUMMER:
        return normalise_personnummer(raw, today=today)
    if system == SE_SAMORDNINGSNUMMER:
        return normalise_samordningsnummer(raw, today=today)
    raise InvalidIdentifier(gettext_noop("Unknown identifier system: %(system)s"),
                            system=system[:40])


def birth_date_of(system: str, value: str) -> dt.date | None:
    """The date of birth encoded in a normalised Swedish number (None for NHS numbers)."""
    if system not in (SE_PERSONNUMMER, SE_SAMORDNINGSNUMMER):
        return None
    day = int(value[6:8])
    if system == SE_SAMORDNINGSNUMMER:
        day -= 60
    return dt.date(int(value[:4]), int(value[4:6]), day)


def format_identifier(system: str, value: str) -> str:
    if system == NHS and len(value) == 10:
        return f"{value[:3]} {value[3:6]} {value[6:]}"
    if system in (SE_PERSONNUMMER, SE_SAMORDNINGSNUMMER) and len(value) == 12:
        return f"{value[:8]}-{value[8:]}"
    return value


def guess(raw: str, *, today: dt.date | None = None) -> Identifier | None:
    """Interpret free text (e.g. a search box) as an identifier, if it is a valid one."""
    text = raw.strip()
    if not text or len(text) > 40:
        return None
    for system in (NHS, SE_PERSONNUMMER, SE_SAMORDNINGSNUMMER):
        try:
            return Identifier(system, normalise(system, text, today=today))
        except InvalidIdentifier:
            continue
    return None
