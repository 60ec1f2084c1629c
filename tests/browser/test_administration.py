"""Administration in Debian's chromium (Playwright), with axe-core on every page: an
organisation administrator invites a nurse, who accepts by the e-mailed link; a platform
administrator adds an organisation and an area; an analyst's page. Keyboard only where it
matters (the invitation form and the accept form)."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from tests.browser.test_journeys import (  # noqa: F401  (fixtures)
    PASSWORD,
    browser,
    check_axe,
    demo_live,
    record_csp_violations,
    tab_to,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "Vårdkedja-2026!"


def sign_in(page, base: str, username: str, lands_on: str) -> None:  # noqa: ANN001
    page.set_default_timeout(10_000)
    page.goto(f"{base}/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#id_password").press("Enter")
    page.wait_for_url(f"**{lands_on}")


def test_an_org_admin_invites_a_nurse_who_accepts(browser, demo_live) -> None:  # noqa: ANN001, F811
    base = demo_live
    ctx = browser.new_context(locale="en-GB")
    page = ctx.new_page()
    sign_in(page, base, "orgadmin.uk", "/staff/")
    check_axe(page, "staff list")
    assert page.get_by_role("link", name="Staff").count() >= 1
    assert page.get_by_role("link", name="Add a person").count() == 0

    page.get_by_role("link", name="Invite staff").click()
    page.wait_for_url("**/staff/invite/")
    check_axe(page, "invite staff")
    page.locator("main form button[type=submit]").click()  # nothing filled in
    assert page.get_by_role("heading", name="There is a problem").is_visible()
    check_axe(page, "invite staff with errors")
    # keyboard only: the e-mail box, a role, send
    page.locator("#id_email").focus()
    page.keyboard.type("ny.sjukskoterska@example.org")
    tab_to(page, "el.type === 'checkbox' && el.value === 'nurse'")
    page.keyboard.press("Space")
    page.keyboard.press("Enter")
    page.wait_for_url("**/staff/")
    assert "ny.sjukskoterska@example.org" in page.content()
    check_axe(page, "staff list with an invitation")

    member = page.get_by_role("link", name="Helen Carter")
    member.click()
    page.wait_for_url("**/staff/*/")
    check_axe(page, "staff member")
    page.get_by_role("link", name="Deactivate Helen Carter").click()
    page.wait_for_url("**/deactivate/")
    check_axe(page, "deactivate staff member")
    ctx.close()

    link = re.search(r"http://\S+/invitations/\S+/", mail.outbox[-1].body).group(0)
    invitee = browser.new_context(locale="sv-SE")
    page = invitee.new_page()
    page.set_default_timeout(10_000)
    page.goto(link)
    assert page.locator("html").get_attribute("lang") == "sv"
    check_axe(page, "accept invitation (sv)")
    page.locator("#id_first_name").fill("Åsa")
    page.locator("#id_last_name").fill("Öberg")
    page.locator("#id_username").fill("åsa.öberg")
    page.locator("#id_password").fill("kort")
    page.locator("#id_password_again").fill("kort")
    page.locator("main form button[type=submit]").click()
    assert page.locator(".govuk-error-summary").is_visible()
    check_axe(page, "accept invitation with errors (sv)")
    page.locator("#id_password").fill(NEW_PASSWORD)
    page.locator("#id_password_again").fill(NEW_PASSWORD)
    page.locator("#id_password_again").press("Enter")
    page.wait_for_url("**/login/")
    check_axe(page, "signed up, sign in (sv)")
    assert page.goto(link).status == 410
    check_axe(page, "used invitation (sv)")
    invitee.close()


def test_a_platform_admin_adds_an_organisation_and_an_area(browser, demo_live) -> None:  # noqa: ANN001, F811
    base = demo_live
    ctx = browser.new_context(locale="en-GB")
    page = ctx.new_page()
    sign_in(page, base, "admin", "/acting-as/")
    page.get_by_label("Platform administrator", exact=False).check()
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/organisations/")
    check_axe(page, "organisations")

    page.get_by_role("link", name="Add an organisation").click()
    page.wait_for_url("**/organisations/new/")
    check_axe(page, "add an organisation")
    page.locator("main form button[type=submit]").click()
    assert page.get_by_role("heading", name="There is a problem").is_visible()
    check_axe(page, "add an organisation with errors")
    page.get_by_label("Name").fill("Kungsportens vårdcentral")
    page.get_by_label("Kind of organisation").select_option("gp_practice")
    page.get_by_label("Sweden").check()
    page.get_by_label("Area").select_option("1480")
    page.get_by_label("Organisation code").fill("SE2321000131-E0042")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/organisations/*/")
    assert page.get_by_role("heading", level=1).inner_text() == "Kungsportens vårdcentral"
    check_axe(page, "organisation")
    page.get_by_role("link", name="Invite staff").click()
    page.wait_for_url("**/invite/")
    check_axe(page, "invite into an organisation")
    page.go_back()
    page.get_by_role("link", name="Deactivate").click()
    page.wait_for_url("**/deactivate/")
    check_axe(page, "deactivate organisation")

    page.goto(f"{base}/areas/")
    check_axe(page, "areas")
    page.get_by_role("link", name="Add an area").click()
    page.wait_for_url("**/areas/new/")
    check_axe(page, "add an area")
    page.get_by_label("Code").fill("1484")
    page.get_by_label("Name").fill("Lysekil")
    page.get_by_label("Sweden").check()
    page.get_by_label("Kind of area").select_option("kommun")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/areas/")
    assert "Lysekil" in page.content()
    ctx.close()


def test_an_analyst_lands_on_insights(browser, demo_live) -> None:  # noqa: ANN001, F811
    ctx = browser.new_context(locale="en-GB")
    page = ctx.new_page()
    sign_in(page, demo_live, "analyst.uk", "/insights/")
    check_axe(page, "insights")
    assert page.get_by_role("link", name="Add a person").count() == 0
    ctx.close()
