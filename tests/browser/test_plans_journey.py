"""A SIP held for Astrid Lindqvist in Swedish, by keyboard only, with axe on every page; then
Maya Okafor's crisis plan on her page as a banner. Chromium from Debian (see test_journeys)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser import test_journeys as journeys
from tests.plans.pdftext import flat, pdf_text

# The journeys' browser, live demo and CSP recorder, and their helpers.
browser = journeys.browser
demo_live = journeys.demo_live
record_csp_violations = journeys.record_csp_violations
check_axe, sign_in = journeys.check_axe, journeys.sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHOIR = "Jag vill sjunga i kören på onsdagarna igen."
WALK = "Jag vill kunna gå till Slottsskogen med Per på söndagar."


def type_into(page, selector: str, value: str) -> None:  # noqa: ANN001
    page.locator(selector).focus()
    page.keyboard.press("Control+A")
    page.keyboard.type(value)


def date_into(page, name: str, day: dt.date) -> None:  # noqa: ANN001
    type_into(page, f"#id_{name}_0", str(day.day))
    type_into(page, f"#id_{name}_1", str(day.month))
    type_into(page, f"#id_{name}_2", str(day.year))


def choose(page, selector: str, label_start: str) -> None:  # noqa: ANN001
    """A <select> by keyboard: focus it and type the start of the option (typeahead)."""
    page.locator(selector).focus()
    page.keyboard.type(label_start)
    selected = page.locator(selector).evaluate("s => s.options[s.selectedIndex].text")
    assert selected.startswith(label_start), selected


def follow(page, selector: str) -> None:  # noqa: ANN001
    page.locator(selector).first.focus()
    page.keyboard.press("Enter")


def submit(page) -> None:  # noqa: ANN001
    page.locator("main form button[type=submit]").first.focus()
    page.keyboard.press("Enter")


@pytest.fixture
def astrid_without_a_plan(demo_live):  # noqa: ANN001, ANN201
    """The demo's SIP for Astrid, closed (it keeps its follow-up and chart), so that the
    journey holds a new one."""
    from careweave.core.context import Actor
    from careweave.orgs.models import Membership
    from careweave.people.models import Person
    from careweave.plans import services
    from careweave.plans.models import Plan

    astrid = Person.objects.get(given_name="Astrid", family_name="Lindqvist")
    plan = Plan.objects.get(person=astrid)
    membership = Membership.objects.select_related("user").get(user__username="gp.se")
    services.plan_close(actor=Actor(user=membership.user, membership=membership),
                        person_id=astrid.pk, plan_id=plan.pk, expected_version=plan.version,
                        reason="Ersätts av en ny SIP efter mötet")
    return demo_live, astrid, plan


def test_hold_a_sip_for_astrid_in_swedish_by_keyboard(browser, astrid_without_a_plan,
                                                      tmp_path: Path) -> None:  # noqa: ANN001
    base, astrid, old = astrid_without_a_plan
    today = dt.date.today()
    context = browser.new_context(locale="sv-SE", accept_downloads=True)
    page = context.new_page()
    sign_in(page, base, "gp.se")
    follow(page, f'a[href="/people/{astrid.pk}/"]')
    page.wait_for_url(f"**/people/{astrid.pk}/")
    assert page.locator("html").get_attribute("lang") == "sv"
    check_axe(page, "Astrid's page")

    # the old plan's follow-up chart draws under the strict CSP, with its table beside it
    page.goto(f"{base}/people/{astrid.pk}/plans/{old.pk}/")
    expect(page.locator("#gas-chart svg")).to_be_visible()
    assert page.locator("table.cw-gas-table tbody tr").count() == 2
    check_axe(page, "a plan with its chart")

    # create the plan
    page.goto(f"{base}/people/{astrid.pk}/")
    follow(page, f'a[href="/people/{astrid.pk}/plans/new/"]')
    page.wait_for_url("**/plans/new/")
    check_axe(page, "start a plan")
    assert page.locator("#id_plan_type_0").is_checked()  # SIP for a Swedish record
    assert page.locator("#id_language_1").is_checked()  # in Swedish
    type_into(page, "#id_situation", "Jag bor ensam och benen har blivit sämre.")
    date_into(page, "follow_up_date", today + dt.timedelta(days=90))
    submit(page)
    page.wait_for_url(re.compile(r"/plans/[0-9a-f-]{36}/$"))
    plan_url = page.url
    check_axe(page, "the new plan")

    # two goals in her words, with what each score will mean
    for words, measurable in ((CHOIR, "Sjunger i kören tre onsdagar av fyra."),
                              (WALK, "Går till Slottsskogen två söndagar av fyra.")):
        follow(page, 'a[href$="/goals/new/"]')
        page.wait_for_url("**/goals/new/")
        check_axe(page, "add a goal")
        type_into(page, "#id_own_words", words)
        type_into(page, "#id_measurable", measurable)
        date_into(page, "target_date", today + dt.timedelta(days=150))
        for field, text in (("level_m2", "Inte alls"), ("level_m1", "Någon gång"),
                            ("level_0", "Som planerat"), ("level_p1", "Lite oftare"),
                            ("level_p2", "Varje vecka")):
            type_into(page, f"#id_{field}", text)
        submit(page)
        page.wait_for_url(plan_url)
    expect(page.get_by_text(CHOIR)).to_be_visible()
    expect(page.get_by_text(WALK)).to_be_visible()

    # actions for the vårdcentral and for socialtjänsten
    for organisation, what in (("Vårdcentralen", "Fysioterapeut gör en balansbedömning."),
                               ("Göteborgs", "Beslut om ledsagning till kören.")):
        follow(page, 'a[href$="/actions/new/"]')
        page.wait_for_url("**/actions/new/")
        check_axe(page, "add an action")
        type_into(page, "#id_description", what)
        choose(page, "#id_organisation_id", organisation)
        choose(page, "#id_goal_id", "1.")
        submit(page)
        page.wait_for_url(plan_url)
    assert page.locator("table.govuk-table tbody tr").filter(
        has_text="Göteborgs Stad socialtjänst").count() == 1
    check_axe(page, "the plan with goals and actions")

    # the person's agreement: at the meeting, today
    follow(page, 'a[href$="/agree/"]')
    page.wait_for_url("**/agree/")
    check_axe(page, "record agreement")
    submit(page)
    page.wait_for_url(plan_url)
    check_axe(page, "the agreed plan")

    # the PDF, in Swedish: its text has her goals
    with page.expect_download() as download:
        follow(page, 'a[href$="/pdf/?language=sv"]')
    pdf = Path(download.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF-")
    words = flat(pdf_text(pdf))
    assert CHOIR in words and WALK in words, words[:800]
    assert "Astrid Lindqvist" in words and "Göteborgs Stad socialtjänst" in words

    # the version and the print page
    follow(page, 'a[href$="/versions/1/"]')
    page.wait_for_url("**/versions/1/")
    check_axe(page, "version 1")
    page.goto(plan_url + "print/")
    check_axe(page, "print page")
    context.close()


def test_mayas_crisis_plan_is_a_banner_on_her_page(browser, demo_live) -> None:  # noqa: ANN001
    from careweave.people.models import Person

    maya = Person.objects.get(given_name="Maya", family_name="Okafor")
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    sign_in(page, demo_live, "gp.uk")
    follow(page, f'a[href="/people/{maya.pk}/"]')
    page.wait_for_url(f"**/people/{maya.pk}/")
    banner = page.get_by_role("region", name="Crisis: follow the crisis plan")
    expect(banner).to_be_visible()
    heading = page.get_by_role("heading", level=1)
    assert banner.bounding_box()["y"] < heading.bounding_box()["y"]
    expect(banner.get_by_role("link", name="01632 960 123")).to_be_visible()
    check_axe(page, "Maya's page in a crisis")
    follow(page, 'a.govuk-notification-banner__link')
    page.wait_for_url("**/crisis-plan/")
    check_axe(page, "the crisis plan")
    expect(page.get_by_role("heading", name="Early warning signs, in my words")).to_be_visible()
    page.goto(f"{demo_live}/people/{maya.pk}/crisis-plan/edit/")
    check_axe(page, "change the crisis plan")
    context.close()
