"""The possible-duplicates pages in Debian's chromium, with axe-core on each: a care
coordinator finds Arthur registered twice, compares, merges with the keyboard, undoes it;
and the same pages work with JavaScript switched off."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from tests.browser.test_journeys import (  # noqa: F401 (fixtures)
    PASSWORD,
    browser,
    check_axe,
    demo_live,
    record_csp_violations,
    sign_in,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def arthur_twice(demo_live):  # noqa: ANN001, ANN201, F811
    """A coordinator at Riverside, and Arthur registered there a second time."""
    from django.contrib.auth import get_user_model

    from careweave.core.context import Actor
    from careweave.orgs.models import Membership, Organisation, StaffProfile
    from careweave.people.services import person_create

    riverside = Organisation.objects.get(name="Riverside Surgery")
    user = get_user_model().objects.create_user(username="coord.uk", password=PASSWORD,
                                                first_name="Cora", last_name="Ordin")
    StaffProfile.objects.create(user=user, two_factor_exempt=True, preferred_language="en")
    Membership.objects.create(user=user, organisation=riverside, role="coordinator")
    gp = get_user_model().objects.get(username="gp.uk")
    actor = Actor(user=gp, membership=Membership.objects.get(user=gp))
    person_create(actor=actor, confirm_similar=True, data={
        "given_name": "Arthur", "family_name": "Penrose", "birth_date": dt.date(1934, 5, 2),
        "postcode": "RV1 4AB"})
    return demo_live


def test_merge_and_undo_with_the_keyboard(browser, arthur_twice) -> None:  # noqa: ANN001, F811
    base = arthur_twice
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    sign_in(page, base, "coord.uk")
    page.get_by_role("link", name="Possible duplicates").click()
    page.wait_for_url("**/people/duplicates/")
    check_axe(page, "possible duplicates")
    expect(page.get_by_text("Same date of birth").first).to_be_visible()

    page.get_by_role("link", name="Compare").first.click()
    page.wait_for_url("**/people/duplicates/*/")
    check_axe(page, "compare two records")

    # merge without choosing: the error summary, axe-clean too
    page.get_by_role("button", name="Merge records").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    check_axe(page, "compare two records with an error")

    # choose with the keyboard and merge
    first = page.locator("input[name=keep]").first
    first.focus()
    page.keyboard.press("Space")
    expect(first).to_be_checked()
    page.get_by_role("button", name="Merge records").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/people/merges/*/")
    expect(page.get_by_text("The records have been merged")).to_be_visible()
    check_axe(page, "merged records")

    page.get_by_role("button", name="Undo merge").click()
    page.wait_for_url("**/people/merges/*/")
    expect(page.get_by_text("The merge has been undone")).to_be_visible()
    check_axe(page, "merge undone")
    context.close()


def test_the_pages_work_without_javascript(browser, arthur_twice) -> None:  # noqa: ANN001, F811
    base = arthur_twice
    context = browser.new_context(locale="en-GB", java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{base}/login/")
    page.locator("#id_username").fill("coord.uk")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/caseload/")
    page.goto(f"{base}/people/duplicates/")
    page.get_by_role("link", name="Compare").first.click()
    page.wait_for_url("**/people/duplicates/*/")
    page.get_by_role("button", name="These are different people").click()
    page.wait_for_url("**/people/duplicates/")
    expect(page.get_by_text("Marked as two different people")).to_be_visible()
    expect(page.get_by_text("There are no possible duplicates")).to_be_visible()
    context.close()
