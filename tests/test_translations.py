"""The Swedish catalogue: complete, no fuzzy entries, placeholders intact, and used by the pages.

The .po file is parsed here with a tiny reader (no polib in the project). The .mo files are
gitignored and built by `make install`; the fixture below compiles them when missing or older
than the .po, so the test also works on a fresh checkout.
"""

from __future__ import annotations

import ast
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import translation

LOCALE_DIR = Path(settings.LOCALE_PATHS[0])
SV_PO = LOCALE_DIR / "sv" / "LC_MESSAGES" / "django.po"
SV_MO = SV_PO.with_suffix(".mo")

# %(name)s / %(n)d style, bare %s / %d, and str.format-style {name}; "%%" is a literal percent.
PLACEHOLDER = re.compile(r"%\(\w+\)[sdifr]|%[sdifr]|\{\w*\}")


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0


def parse_po(text: str) -> list[Entry]:
    """Entries of a .po file (header included, obsolete "#~" entries left out)."""
    entries: list[Entry] = []
    current: Entry | None = None
    key: tuple[str, int] | None = None

    def finish() -> None:
        nonlocal current, key
        if current is not None:
            entries.append(current)
        current, key = None, None

    def store(target: tuple[str, int], value: str) -> None:
        assert current is not None
        name, index = target
        if name == "msgstr":
            current.msgstr[index] = current.msgstr.get(index, "") + value
        else:
            setattr(current, name, (getattr(current, name) or "") + value)

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            finish()
            continue
        if line.startswith("#"):
            if line.startswith("#~"):
                continue
            if key is not None and key[0] == "msgstr":
                finish()
            if line.startswith("#,"):
                current = current or Entry(line=number)
                current.flags |= {f.strip() for f in line[2:].split(",") if f.strip()}
            continue
        match = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr)(?:\[(\d+)\])?\s+(".*")$', line)
        if match:
            name, index, quoted = match.group(1), int(match.group(2) or 0), match.group(3)
            if name in ("msgctxt", "msgid") and key is not None and key[0] == "msgstr":
                finish()
            if current is None:
                current = Entry(line=number)
            key = (name, index)
            store(key, ast.literal_eval(quoted))
        elif line.startswith('"') and key is not None:
            store(key, ast.literal_eval(line))
        else:
            raise AssertionError(f"{SV_PO.name}:{number}: cannot parse {raw!r}")
    finish()
    return entries


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text.replace("%%", "")))


@pytest.fixture(scope="module")
def sv_entries() -> list[Entry]:
    assert SV_PO.is_file(), f"missing {SV_PO}"
    return parse_po(SV_PO.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def sv_catalogue(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Compile the catalogues if needed and make Django load them afresh."""
    if not SV_MO.exists() or SV_MO.stat().st_mtime < SV_PO.stat().st_mtime:
        # compilemessages also walks the working directory for locale folders (.venv has
        # Django's own); run it from an empty directory so it only compiles LOCALE_PATHS.
        here = Path.cwd()
        os.chdir(tmp_path_factory.mktemp("compilemessages"))
        try:
            call_command("compilemessages", locale=["sv"], verbosity=0)
        finally:
            os.chdir(here)
    assert SV_MO.exists(), "compilemessages did not write the Swedish .mo file"
    _reset_translation_caches()
    yield SV_MO
    _reset_translation_caches()


def _reset_translation_caches() -> None:
    """What Django's own test signals do when LOCALE_PATHS changes."""
    from asgiref.local import Local
    from django.utils.translation import trans_real

    trans_real._translations = {}  # type: ignore[attr-defined]
    trans_real._default = None  # type: ignore[attr-defined]
    trans_real._active = Local()  # type: ignore[attr-defined]
    catalog_exists = getattr(trans_real, "translation_catalog_exists", None)
    if catalog_exists is not None:
        catalog_exists.cache_clear()


# -- the catalogue ---------------------------------------------------------------------------


def test_parser_reads_entries_flags_plurals_and_continuations() -> None:
    text = (
        'msgid ""\nmsgstr ""\n"Language: sv\\n"\n\n'
        '#, python-format\nmsgid "Hello %(name)s"\nmsgstr "Hej %(name)s"\n\n'
        '#, fuzzy\nmsgid "one "\n"line"\nmsgstr ""\n\n'
        'msgid "%(n)s day"\nmsgid_plural "%(n)s days"\nmsgstr[0] "%(n)s dag"\nmsgstr[1] "%(n)s dagar"\n\n'
        '#~ msgid "gone"\n#~ msgstr "borta"\n'
    )
    header, hello, fuzzy, plural = parse_po(text)
    assert header.msgid == "" and header.msgstr[0] == "Language: sv\n"
    assert (hello.msgid, hello.msgstr[0]) == ("Hello %(name)s", "Hej %(name)s")
    assert hello.flags == {"python-format"}
    assert fuzzy.msgid == "one line" and "fuzzy" in fuzzy.flags and fuzzy.msgstr[0] == ""
    assert plural.msgid_plural == "%(n)s days" and plural.msgstr == {0: "%(n)s dag", 1: "%(n)s dagar"}


def test_parser_rejects_garbage() -> None:
    with pytest.raises(AssertionError, match="cannot parse"):
        parse_po('msgid "a"\nmsgstr "b"\nnonsense\n')


def test_placeholders_are_found_and_percent_signs_ignored() -> None:
    assert placeholders("%(b)s and %(a)d, {x}, 100%% sure, %s") == ["%(a)d", "%(b)s", "%s", "{x}"]
    assert placeholders("Klart %(name)s") != placeholders("Klart %(namn)s")


def test_header_declares_swedish_and_two_plural_forms(sv_entries: list[Entry]) -> None:
    header = sv_entries[0]
    assert header.msgid == ""
    assert "Language: sv\n" in header.msgstr[0]
    assert "Plural-Forms: nplurals=2; plural=(n != 1);" in header.msgstr[0]
    assert "charset=UTF-8" in header.msgstr[0]


def test_catalogue_is_not_empty(sv_entries: list[Entry]) -> None:
    assert len(sv_entries) > 100


def test_every_message_is_translated_and_none_is_fuzzy(sv_entries: list[Entry]) -> None:
    problems = []
    for entry in sv_entries:
        if "fuzzy" in entry.flags:
            problems.append(f"line {entry.line}: fuzzy: {entry.msgid!r}")
        if not entry.msgid:
            continue
        forms = 2 if entry.msgid_plural is not None else 1
        for index in range(forms):
            if not entry.msgstr.get(index, "").strip():
                problems.append(f"line {entry.line}: untranslated: {entry.msgid!r} [{index}]")
    assert not problems, "\n".join(problems)


def test_placeholders_match(sv_entries: list[Entry]) -> None:
    problems = []
    for entry in sv_entries[1:]:
        sources = [entry.msgid] if entry.msgid_plural is None else [entry.msgid, entry.msgid_plural]
        for index, source in enumerate(sources):
            translated = entry.msgstr.get(index, "")
            if placeholders(translated) != placeholders(source):
                problems.append(f"line {entry.line}: {source!r} -> {translated!r}")
    assert not problems, "\n".join(problems)


def test_messages_are_unique(sv_entries: list[Entry]) -> None:
    keys = [(e.msgctxt, e.msgid) for e in sv_entries]
    assert len(keys) == len(set(keys))


# -- Django uses it --------------------------------------------------------------------------


def test_gettext_in_swedish(sv_catalogue: Path) -> None:
    with translation.override("sv"):
        assert translation.gettext("Sign in") == "Logga in"
        assert translation.gettext("Sign out") == "Logga ut"
        assert translation.gettext("Emergency access") == "Nödåtkomst"
        assert translation.gettext("This is required.") == "Detta är obligatoriskt."
    with translation.override("en"):
        assert translation.gettext("Sign in") == "Sign in"


def test_plural_forms_in_swedish(sv_catalogue: Path) -> None:
    single = "%(counter)s person found for “%(q)s”"
    plural = "%(counter)s people found for “%(q)s”"
    with translation.override("sv"):
        one = translation.ngettext(single, plural, 1) % {"counter": 1, "q": "Öberg"}
        many = translation.ngettext(single, plural, 3) % {"counter": 3, "q": "Öberg"}
    assert one == "1 person hittades för ”Öberg”"
    assert many == "3 personer hittades för ”Öberg”"


@pytest.mark.django_db
def test_login_page_in_swedish_from_language_cookie(client, sv_catalogue: Path) -> None:  # noqa: ANN001
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "sv"
    response = client.get("/login/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Logga in" in page
    assert 'lang="sv"' in page
    assert "Sign in to Careweave" not in page


@pytest.mark.django_db
def test_login_page_in_swedish_from_accept_language(client, sv_catalogue: Path) -> None:  # noqa: ANN001
    response = client.get("/login/", HTTP_ACCEPT_LANGUAGE="sv-SE,sv;q=0.9,en;q=0.5")
    assert response.status_code == 200
    assert "Logga in i Careweave" in response.content.decode()


@pytest.mark.django_db
def test_login_page_stays_english_by_default(client, sv_catalogue: Path) -> None:  # noqa: ANN001
    response = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    page = response.content.decode()
    assert "Sign in" in page
    assert "Logga in" not in page


@pytest.mark.django_db
def test_unknown_language_cookie_falls_back_to_english(client, sv_catalogue: Path) -> None:  # noqa: ANN001
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "xx-<script>"
    response = client.get("/login/")
    assert response.status_code == 200
    assert "Sign in" in response.content.decode()


@pytest.mark.django_db
def test_form_errors_in_swedish(client, sv_catalogue: Path) -> None:  # noqa: ANN001
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "sv"
    response = client.post("/login/", {"username": "", "password": ""})
    page = response.content.decode()
    assert "Det finns ett problem" in page
    assert "Ange ditt användarnamn." in page
    assert "Ange ditt lösenord." in page
