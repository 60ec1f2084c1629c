"""An agreed version's PDF is rendered once per variant and served from the database after
that (``PlanPdf``); a draft is rendered every time. A variant is the version, the language,
easy read or not, and what the reader may see: a sensitive section is only ever in the PDF
of a reader it is shown to. Every download is audited, cached or not.

WeasyPrint is counted, not replaced: ``render_pdf`` is wrapped by a counter that still
calls it, so the bytes compared are real PDFs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from careweave.audit.models import AuditEvent
from careweave.plans import exports
from careweave.plans.models import Plan, PlanPdf, PlanSection, PlanVersion
from tests.plans.helpers import add_goal, agree, new_plan, plan_of
from tests.plans.pdftext import flat, pdf_text

pytestmark = pytest.mark.django_db

WARD_DETAIL = "Admitted under section 2"


class Renders:
    """exports.render_pdf, counted (the real one still runs)."""

    def __init__(self, real: Callable[..., bytes]) -> None:
        self.real, self.calls = real, 0

    def __call__(self, *args: Any, **kwargs: Any) -> bytes:
        self.calls += 1
        return self.real(*args, **kwargs)


@pytest.fixture
def renders(monkeypatch) -> Renders:  # noqa: ANN001
    counter = Renders(exports.render_pdf)
    monkeypatch.setattr(exports, "render_pdf", counter)
    return counter


def pdf_url(plan: Plan, query: str = "") -> str:
    return f"/people/{plan.person_id}/plans/{plan.pk}/pdf/{query}"


def exports_of(person: Any) -> int:
    return AuditEvent.objects.filter(action="export", person_id=person.pk).count()


def test_the_second_download_is_the_stored_pdf_and_is_not_rendered_again(
        astrid, login_as, renders) -> None:  # noqa: ANN001
    plan = plan_of(astrid)
    client = login_as("gp.se")
    audited = exports_of(astrid)
    first = client.get(pdf_url(plan, "?language=en"))
    assert first.status_code == 200 and first.content.startswith(b"%PDF-")
    assert renders.calls == 1
    stored = PlanPdf.objects.get()
    assert bytes(stored.content) == first.content and stored.size == len(first.content)
    assert stored.version == PlanVersion.objects.get(plan=plan, number=1)
    assert (stored.person_id, stored.language, stored.easy_read) == (astrid.pk, "en", False)
    second = client.get(pdf_url(plan, "?language=en"))
    assert second.status_code == 200 and second["Content-Type"] == "application/pdf"
    assert second["Content-Disposition"] == first["Content-Disposition"]
    assert second.content == first.content
    assert renders.calls == 1 and PlanPdf.objects.count() == 1
    # audited per download, from the cache too
    assert exports_of(astrid) == audited + 2
    detail = AuditEvent.objects.filter(action="export", person_id=astrid.pk).order_by("-pk")[0]
    assert detail.detail == {"format": "pdf", "language": "en", "version": 1}


def test_each_language_and_easy_read_is_its_own_pdf(astrid, login_as, renders) -> None:  # noqa: ANN001
    plan = plan_of(astrid)
    client = login_as("gp.se")
    variants = ("?language=en", "?language=sv", "?language=en&easy_read=on",
                "?language=sv&easy_read=on")
    first = [client.get(pdf_url(plan, q)).content for q in variants]
    assert renders.calls == 4 and len(set(first)) == 4
    assert set(PlanPdf.objects.values_list("language", "easy_read")) == {
        ("en", False), ("sv", False), ("en", True), ("sv", True)}
    again = [client.get(pdf_url(plan, q)).content for q in variants]
    assert again == first and renders.calls == 4 and PlanPdf.objects.count() == 4
    assert "Who will help me" in flat(pdf_text(first[2]))
    assert "Who will help me" not in flat(pdf_text(first[0]))
    assert exports_of(astrid) >= 8


def test_a_sensitive_section_never_reaches_a_reader_it_is_not_shown_to(
        actor_for, login_as, api_as, renders) -> None:  # noqa: ANN001
    section = PlanSection.objects.get(heading="Mental health detail")
    plan, who = section.plan, section.person
    agree(actor_for("mh.uk"), plan)
    query = "?language=en&version=1"
    covered = login_as("mh.uk").get(pdf_url(plan, query)).content
    assert WARD_DETAIL in flat(pdf_text(covered))
    not_covered = login_as("hosp.uk").get(pdf_url(plan, query))
    assert not_covered.status_code == 200
    assert WARD_DETAIL not in flat(pdf_text(not_covered.content))
    assert "Mental health detail" not in flat(pdf_text(not_covered.content))
    assert renders.calls == 2 and PlanPdf.objects.filter(person=who).count() == 2
    # each reader is served their own stored copy, by the page and by the API alike
    assert login_as("hosp.uk").get(pdf_url(plan, query)).content == not_covered.content
    api = api_as("hosp.uk").get(f"/people/{who.pk}/plans/{plan.pk}/export?language=en")
    assert api.status_code == 200 and api.content == not_covered.content
    assert login_as("mh.uk").get(pdf_url(plan, query)).content == covered
    assert renders.calls == 2 and PlanPdf.objects.count() == 2


def test_a_draft_is_rendered_every_time_and_never_stored(asa, astrid, actor_for, login_as,
                                                         org, renders) -> None:  # noqa: ANN001
    plan = new_plan(actor_for("gp.se"), asa, plan_type="sip",
                    coordinating=org("Vårdcentralen Nordstan"))
    add_goal(actor_for("gp.se"), plan, own_words="Jag vill se havet i sommar.")
    client = login_as("gp.se")
    for _ in range(2):
        response = client.get(pdf_url(plan, "?language=en"))
        assert "Draft: this plan has not been agreed yet." in flat(pdf_text(response.content))
    assert renders.calls == 2 and not PlanPdf.objects.exists()
    assert exports_of(asa) == 2
    # and the working copy of an agreed plan, asked for as the draft, is not stored either
    client.get(pdf_url(plan_of(astrid), "?version=draft"))
    assert renders.calls == 3 and not PlanPdf.objects.exists()


def test_a_new_agreed_version_gets_its_own_pdf(astrid, actor_for, login_as, renders) -> None:  # noqa: ANN001
    plan = plan_of(astrid)
    client = login_as("gp.se")
    one = client.get(pdf_url(plan, "?language=en")).content
    add_goal(actor_for("gp.se"), plan, own_words="Jag vill baka bullar med barnbarnen.")
    agree(actor_for("gp.se"), plan)
    two = client.get(pdf_url(plan, "?language=en")).content
    assert "Jag vill baka bullar med barnbarnen." in flat(pdf_text(two))
    assert client.get(pdf_url(plan, "?language=en&version=1")).content == one
    assert renders.calls == 2
    assert sorted(PlanPdf.objects.values_list("version__number", flat=True)) == [1, 2]


def test_the_cached_download_takes_few_queries(astrid, login_as, renders,
                                               django_assert_max_num_queries) -> None:  # noqa: ANN001, E501
    plan = plan_of(astrid)
    client = login_as("gp.se")
    first = client.get(pdf_url(plan, "?language=en")).content
    # what the download took before the cache (the gate, the audit, the version), and the
    # one probe of the key; the miss adds the savepoint and the insert
    with django_assert_max_num_queries(18):
        second = client.get(pdf_url(plan, "?language=en"))
    assert second.content == first and renders.calls == 1


def test_two_downloads_that_miss_at_once_store_one_pdf_and_serve_it(
        astrid, login_as, monkeypatch) -> None:  # noqa: ANN001
    """The other request stores its PDF while this one renders: this one's insert meets the
    unique key, and it serves the stored bytes."""
    plan = plan_of(astrid)
    version = PlanVersion.objects.get(plan=plan, number=1)
    real = exports.render_pdf
    theirs = {}

    def render_while_another_stores(doc: Any, *, language: str, easy_read: bool) -> bytes:
        pdf = real(doc, language=language, easy_read=easy_read)
        key = exports.pdf_key(doc, version=version, language=language, easy_read=easy_read)
        other = PlanPdf.objects.create(version=version, person=astrid, key=key,
                                       language=language, easy_read=easy_read,
                                       content=pdf + b"\n%other", size=len(pdf) + 7)
        theirs["content"] = bytes(other.content)
        return pdf

    monkeypatch.setattr(exports, "render_pdf", render_while_another_stores)
    response = login_as("gp.se").get(pdf_url(plan, "?language=en"))
    assert response.status_code == 200
    assert response.content == theirs["content"] and PlanPdf.objects.count() == 1


def test_the_pdfs_go_with_the_plan(astrid, login_as, renders) -> None:  # noqa: ANN001
    plan = plan_of(astrid)
    login_as("gp.se").get(pdf_url(plan, "?language=en"))
    assert PlanPdf.objects.filter(person=astrid).count() == 1
    PlanVersion.objects.filter(plan=plan).delete()
    assert not PlanPdf.objects.exists()


def test_the_key_follows_the_document(astrid) -> None:  # noqa: ANN001
    version = PlanVersion.objects.get(plan=plan_of(astrid), number=1)
    doc = exports.document(version.snapshot, person=astrid, version=version, withheld=0)
    key = exports.pdf_key(doc, version=version, language="en", easy_read=False)
    assert key == exports.pdf_key(dict(reversed(list(doc.items()))), version=version,
                                  language="en", easy_read=False)
    assert len(key) == 64
    fewer = {**doc, "sections": doc["sections"][1:], "withheld": 1}
    renamed = {**doc, "person": {**doc["person"], "display_name": "Astrid Berg"}}
    others = {exports.pdf_key(d, version=version, language=lang, easy_read=easy)
              for d, lang, easy in ((doc, "sv", False), (doc, "en", True), (fewer, "en", False),
                                    (renamed, "en", False))}
    assert key not in others and len(others) == 4
