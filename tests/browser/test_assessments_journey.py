"""Assessments in Debian's chromium (Playwright), keyboard only, axe-core on every page:
a PHQ-9 recorded for Maya Okafor and her trend chart (drawn under the strict CSP), and a
self-completion link that works once and expires."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_journeys import (  # noqa: F401 - fixtures
    browser,
    check_axe,
    demo_live,
    record_csp_violations,
    sign_in,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _maya_url(base: str) -> str:
    from careweave.people.models import Person

    maya = Person.objects.get(given_name="Maya", family_name="Okafor")
    return f"{base}/people/{maya.pk}/"


def test_record_a_phq9_for_maya_by_keyboard_and_see_her_trend(browser, demo_live) -> None:  # noqa: ANN001, F811
    base = demo_live
    maya = _maya_url(base)
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    sign_in(page, base, "mh.uk")
    page.goto(maya)
    check_axe(page, "Maya's page with the assessments panel")
    page.get_by_role("link", name="Record an assessment for Maya Okafor").press("Enter")
    page.wait_for_url("**/assessments/new/")
    check_axe(page, "start an assessment")
    page.get_by_label("Patient Health Questionnaire (PHQ-9)").press("Space")
    page.get_by_role("button", name="Start").press("Enter")
    page.wait_for_url("**/page/1/")
    check_axe(page, "PHQ-9 page 1")
    # page 1: "Continue" without an answer to anything is fine (the risk question is on page 2)
    for i, answer in zip(range(1, 6), (2, 2, 1, 1, 0), strict=True):
        page.locator(f"#id_q{i}_{answer}").press("Space")
    page.get_by_role("button", name="Continue").press("Enter")
    page.wait_for_url("**/page/2/")
    # the risk question is required: the error summary says so, and is axe-clean too
    page.locator("#id_q6_1").press("Space")
    page.get_by_role("button", name="Continue").press("Enter")
    expect(page.locator(".govuk-error-summary")).to_contain_text("Answer this question.")
    check_axe(page, "PHQ-9 page 2 with an error")
    for i, answer in zip(range(6, 10), (1, 0, 0, 1), strict=True):
        page.locator(f"#id_q{i}_{answer}").press("Space")
    page.get_by_role("button", name="Continue").press("Enter")
    page.wait_for_url("**/page/3/")
    page.get_by_role("button", name="Check the answers").press("Enter")
    page.wait_for_url("**/check/")
    check_axe(page, "check the answers")
    page.get_by_role("button", name="Submit the assessment").press("Enter")
    page.wait_for_url(re.compile(r".*/assessments/[0-9a-f-]{36}/$"))
    expect(page.locator("#result")).to_contain_text("8 (Mild)")
    expect(page.locator("#safety-banner")).to_be_visible()  # item 9 answered above 0
    check_axe(page, "the submitted PHQ-9")
    page.get_by_role("link", name="See the trend").press("Enter")
    page.wait_for_url("**/trend/phq9/")
    expect(page.locator("#trend-chart[data-rendered='true'] svg")).to_have_count(1)
    rows = page.locator("#trend-table tbody tr")
    expect(rows).to_have_count(12)  # the demo's year and today's
    expect(rows.last).to_contain_text("8")
    check_axe(page, "Maya's PHQ-9 trend")
    context.close()


def test_a_self_completion_link_works_once_and_expires(browser, demo_live) -> None:  # noqa: ANN001, F811
    base = demo_live
    maya = _maya_url(base)
    staff = browser.new_context(locale="en-GB")
    page = staff.new_page()
    sign_in(page, base, "gp.uk")
    page.goto(maya + "assessments/send/")
    check_axe(page, "send a link")
    page.get_by_label("Generalised Anxiety Disorder scale (GAD-7)").press("Space")
    page.get_by_label("How many days should the link work?").fill("2")
    page.get_by_role("button", name="Create the link").press("Enter")
    link = page.locator("#self-completion-url").inner_text()
    check_axe(page, "the link to give")

    person = browser.new_context(locale="en-GB")
    own = person.new_page()
    own.goto(link)
    check_axe(own, "the person's form, page 1")
    assert "Okafor" not in own.content()
    for i in range(1, 5):
        own.locator(f"#id_q{i}_1").press("Space")
    own.get_by_role("button", name="Continue").press("Enter")
    own.wait_for_url("**?page=2")
    for i in range(5, 8):
        own.locator(f"#id_q{i}_0").press("Space")
    own.get_by_role("button", name="Continue").press("Enter")
    own.wait_for_url("**?page=3")
    check_axe(own, "the person checks their answers")
    own.get_by_role("button", name="Send my answers").press("Enter")
    expect(own.get_by_role("heading", name="Your answers have been sent")).to_be_visible()
    check_axe(own, "sent")
    # the same link again: it has been used
    response = own.goto(link)
    assert response is not None and response.status == 410
    expect(own.get_by_role("heading", level=1)).to_have_text("This link does not work")
    check_axe(own, "a used link")

    # a second link, left until it expires
    page.goto(maya + "assessments/send/")
    page.get_by_label("Generalised Anxiety Disorder scale (GAD-7)").press("Space")
    page.get_by_role("button", name="Create the link").press("Enter")
    second = page.locator("#self-completion-url").inner_text()
    from django.utils import timezone

    from careweave.assessments.models import SelfCompletionLink

    SelfCompletionLink.objects.filter(used_at__isnull=True).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1))
    response = own.goto(second)
    assert response is not None and response.status == 410
    expect(own.locator("main")).to_contain_text("has expired")
    tampered = own.goto(second[:-2] + ("xy" if not second.endswith("xy") else "zz"))
    assert tampered is not None and tampered.status == 404
    person.close()
    staff.close()
