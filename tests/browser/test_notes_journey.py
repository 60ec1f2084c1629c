"""Before a visit, and after a medicines change (issue 8), in Debian's chromium with axe-core
on every page: home.uk opens Arthur and sees the DNACPR and key-safe warnings first, then
records a visit note with the keyboard only; mh.uk changes Maya's clozapine dose; gp.uk
sees the difference in reconciliation and confirms the list."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_journeys import (  # noqa: F401 (fixtures)
    browser,
    check_axe,
    demo_live,
    record_csp_violations,
    sign_in,
    tab_to,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_before_a_visit_home_care_sees_the_warnings_first_and_records_a_note(
        browser, demo_live) -> None:  # noqa: ANN001, F811
    base = demo_live
    ctx = browser.new_context(locale="en-GB")
    page = ctx.new_page()
    sign_in(page, base, "home.uk")
    tab_to(page, "el.textContent.trim() === 'Penrose, Arthur'")
    page.keyboard.press("Enter")
    page.wait_for_url("**/people/**")
    arthur_url = page.url
    banner = page.locator("#warnings-banner")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("DNACPR form in place")
    expect(banner).to_contain_text("Key safe by the garden door")
    # first: the banner comes before the page's heading, and DNACPR leads it
    first_section = page.locator("main section, main h1").first
    expect(first_section).to_have_attribute("id", "warnings-banner")
    kinds = banner.locator("[data-warning-kind]").evaluate_all(
        "els => els.map(e => e.dataset.warningKind)")
    assert kinds[0] == "dnacpr" and "access" in kinds
    check_axe(page, "person page with warnings")

    # record a visit note, keyboard only
    tab_to(page, "el.textContent.trim().startsWith('Record a note')")
    page.keyboard.press("Enter")
    page.wait_for_url("**/notes/add/")
    expect(page.locator("#warnings-banner")).to_contain_text("DNACPR")  # on this page too
    check_axe(page, "record a note")
    tab_to(page, "el.id === 'id_kind_0'")  # Visit
    page.keyboard.press("Space")
    tab_to(page, "el.id === 'id_with_whom_0'")  # with the person
    page.keyboard.press("Space")
    tab_to(page, "el.id === 'id_summary'")
    page.keyboard.type("Evening visit: settled, key safe checked")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.id") == "id_body"
    page.keyboard.type("Arthur had soup and tea. Å ä ö typed fine. Key safe locked on leaving.")
    tab_to(page, "el.type === 'submit'")
    page.keyboard.press("Enter")
    page.wait_for_url("**/notes/*/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Evening visit: settled, key safe checked")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "The note has been recorded.")
    check_axe(page, "note page")
    page.goto(arthur_url)
    expect(page.locator("#notes-panel")).to_contain_text("Evening visit: settled")
    ctx.close()


def test_the_psychiatrist_changes_a_dose_and_the_gp_confirms_it(browser, demo_live) -> None:  # noqa: ANN001, F811
    base = demo_live
    mh = browser.new_context(locale="en-GB")
    page = mh.new_page()
    sign_in(page, base, "mh.uk")
    page.get_by_role("link", name="Okafor, Maya").click()
    page.wait_for_url("**/people/**")
    maya_url = page.url
    expect(page.locator("#warnings-banner")).to_contain_text("Risk to self when unwell")
    page.locator("#medicines-panel").get_by_role("link", name="See and change the medicines "
                                                              "list").click()
    page.wait_for_url("**/medicines/")
    check_axe(page, "medicines list")
    page.locator("[data-medicine]").filter(has_text="Clozapine").get_by_role(
        "link", name="Change").click()
    page.wait_for_url("**/change/")
    check_axe(page, "change a medicine")
    page.locator("#id_dose").fill("300 mg")
    page.locator("#id_reason").fill("Increased at the depot clinic: sleep still poor.")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/medicines/")
    expect(page.locator("[data-medicine]").filter(has_text="Clozapine")).to_contain_text("300 mg")
    mh.close()

    gp = browser.new_context(locale="en-GB")
    page = gp.new_page()
    sign_in(page, base, "gp.uk")
    page.goto(maya_url)
    page.locator("#medicines-panel").get_by_role("link",
                                                 name="Review the list (reconciliation)").click()
    page.wait_for_url("**/reconcile/")
    row = page.locator("#reconciliation [data-medicine]").filter(has_text="Clozapine")
    expect(row).to_contain_text("Changed since the last review")
    expect(row.locator("[data-standing=out_of_date]")).to_contain_text("250 mg")
    check_axe(page, "reconciliation")
    page.locator("#id_note").fill("Clozapine 300 mg confirmed with the CMHT.")
    page.get_by_role("button", name="Confirm the list as reviewed").click()
    page.wait_for_url("**/medicines/")
    expect(page.locator("[data-last-review]")).to_contain_text("Helen Carter")
    check_axe(page, "medicines list after review")
    page.goto(maya_url + "timeline/")
    expect(page.locator(".cw-timeline")).to_contain_text("reviewed and confirmed the "
                                                          "medicines list")
    check_axe(page, "timeline with medicines")
    page.goto(maya_url.rstrip("/") + "/medicines/print/")
    check_axe(page, "printable medicines list")
    gp.close()


def test_axe_on_every_notes_and_medicines_page(browser, demo_live) -> None:  # noqa: ANN001, F811
    from careweave.access.models import CareTeamMember
    from careweave.medicines.models import Medicine
    from careweave.notes.models import CaseNote, PersonWarning
    from careweave.people.models import Person

    base = demo_live
    arthur = Person.objects.get(given_name="Arthur", family_name="Penrose")
    note = CaseNote.objects.filter(person=arthur, amends__isnull=True).first()
    dnacpr = PersonWarning.objects.get(person=arthur, kind="dnacpr")
    medicine = Medicine.objects.filter(person=arthur).first()
    riverside = CareTeamMember.objects.get(person=arthur, organisation__name="Riverside Surgery")
    p = f"{base}/people/{arthur.pk}"
    pages = {
        "home.uk": [f"{p}/warnings/", f"{p}/notes/", f"{p}/notes/{note.pk}/amend/",
                    f"{p}/notes/{note.pk}/attachments/add/"],
        "gp.uk": [f"{p}/warnings/add/", f"{p}/warnings/{dnacpr.pk}/review/",
                  f"{p}/warnings/{dnacpr.pk}/end/", f"{p}/warnings/{dnacpr.pk}/change/",
                  f"{p}/medicines/add/", f"{p}/medicines/{medicine.pk}/",
                  f"{p}/medicines/{medicine.pk}/stop/", f"{p}/contacts/{riverside.pk}/",
                  f"{base}/warnings/reviews-due/", f"{base}/out-of-hours/"],
    }
    for username, urls in pages.items():
        ctx = browser.new_context(locale="en-GB")
        page = ctx.new_page()
        sign_in(page, base, username)
        for url in urls:
            assert page.goto(url).status == 200, url
            check_axe(page, url)
        # a form shown again with its errors is axe-clean too
        if username == "gp.uk":
            page.goto(f"{p}/warnings/add/")
            page.get_by_role("button", name="Put the warning on the record").click()
            expect(page.locator(".govuk-error-summary")).to_be_visible()
            check_axe(page, "warning form with errors")
        ctx.close()
