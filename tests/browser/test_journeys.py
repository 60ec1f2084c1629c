"""Keyboard-and-mouse journeys in Debian's chromium (Playwright), with axe-core on every page.

Marked ``browser``: `make test` runs them on SQLite (a live server thread); they need
/usr/bin/chromium (installed by scripts/install-system-deps.sh) and the npm axe-core
bundle (scripts/build-assets.sh). In CI (CI=true) a missing browser is a failure.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).resolve().parents[2] / "careweave" / "static" / "vendor" / "axe-core" / \
    "axe.min.js"
PASSWORD = "careweave-demo"

# Playwright's sync API runs an event loop in this thread; the live server runs Django in
# another thread, and the test itself only touches the database before the browser starts.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    missing = [str(p) for p in (CHROMIUM, AXE) if not p.exists()]
    if missing:
        message = f"browser tests need {', '.join(missing)} (run make install / system deps)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True,
            args=["--headless", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"],
        )
        yield chromium
        chromium.close()


@pytest.fixture(autouse=True)
def record_csp_violations(browser) -> None:  # noqa: ANN001
    """Every new page records Content-Security-Policy violations in window.__cwErrors."""
    original = browser.new_context

    def new_context(**kwargs):  # noqa: ANN003, ANN202
        context = original(**kwargs)
        context.add_init_script(
            "window.__cwErrors = []; document.addEventListener('securitypolicyviolation',"
            " e => window.__cwErrors.push(e.violatedDirective + ' ' + e.blockedURI));")
        return context

    browser.new_context = new_context
    yield
    browser.new_context = original


def check_axe(page, label: str) -> None:  # noqa: ANN001
    errors = page.evaluate("() => window.__cwErrors || []")
    assert errors == [], f"browser errors on {label}: {errors}"
    assert page.evaluate("() => document.body.classList.contains('govuk-frontend-supported')"), \
        f"GOV.UK Frontend did not start on {label}"
    # Served by the app itself (a script from a file would be inline, which the CSP blocks).
    origin = "/".join(page.url.split("/")[:3])
    page.add_script_tag(url=f"{origin}/static/vendor/axe-core/axe.min.js")
    # GOV.UK's skip link is 1px until focused (then full size): axe's target-size rule
    # measures it unfocused, a known false positive; every other target is checked.
    page.evaluate("() => axe.configure({rules: [{id: 'target-size',"
                  " selector: '*:not(.govuk-skip-link)'}]})")
    result = page.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations'],"
        " runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa',"
        " 'wcag22aa', 'best-practice']}})"
    )
    violations = [
        {"id": v["id"], "impact": v["impact"], "help": v["help"],
         "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
    ]
    assert violations == [], f"axe violations on {label}:\n{json.dumps(violations, indent=1)}"


def sign_in(page, base: str, username: str) -> None:  # noqa: ANN001
    page.set_default_timeout(10_000)
    page.goto(f"{base}/login/")
    check_axe(page, "login")
    page.locator("#id_username").fill(username)  # by id: the labels may be in Swedish
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#id_password").press("Enter")  # keyboard only
    page.wait_for_url("**/caseload/")


@pytest.fixture
def demo_live(live_server):  # noqa: ANN001, ANN201
    from careweave.demo.loader import load_demo

    load_demo(reset=True, log=lambda _m: None)
    return live_server.url


def test_find_arthur_change_his_team_and_withdraw_consent(browser, demo_live) -> None:  # noqa: ANN001, E501
    base = demo_live
    gp = browser.new_context(locale="en-GB")
    page = gp.new_page()
    sign_in(page, base, "gp.uk")
    check_axe(page, "caseload")
    assert page.get_by_role("link", name="Penrose, Arthur").is_visible()

    # search (htmx updates the results; the form also works without JavaScript)
    page.get_by_label("Search by name, NHS number or personnummer").fill("arthur")
    page.get_by_label("Search by name, NHS number or personnummer").press("Enter")
    page.wait_for_url("**q=arthur**")
    # htmx may update the address before it swaps the results in: wait for the swap
    expect(page.get_by_role("link", name="Okafor, Maya")).to_have_count(0)
    check_axe(page, "caseload search")
    page.get_by_role("link", name="Penrose, Arthur").click()
    page.wait_for_url("**/people/**")
    arthur_url = page.url
    assert page.get_by_role("heading", level=1).inner_text().startswith("Arthur Penrose")
    check_axe(page, "person page")

    # the care home sees Arthur before the consent is withdrawn
    home = browser.new_context(locale="en-GB")
    home_page = home.new_page()
    sign_in(home_page, base, "home.uk")
    assert home_page.goto(arthur_url).status == 200

    # add a care-team member
    page.get_by_role("link", name="Add to the care team").click()
    page.wait_for_url("**/care-team/add/")
    check_axe(page, "add care-team member")
    page.get_by_label("Organisation").select_option(label="St Mary's Hospital")
    page.get_by_label("Role in the care team").fill("Discharge coordinator")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(arthur_url)
    assert page.get_by_role("cell", name="Discharge coordinator", exact=True).is_visible()

    # withdraw his coordination (SIP) consent: purposes are separate decisions, so the care
    # home still sees him for direct care...
    page.get_by_role("link", name="Withdraw").first.click()
    page.wait_for_url("**/withdraw/")
    check_axe(page, "withdraw consent")
    page.get_by_label("Reason for withdrawal").fill("Arthur asked us to stop sharing with the home")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(arthur_url)
    assert home_page.goto(arthur_url).status == 200
    # ... until he objects to sharing with the home for direct care: then it loses access
    page.get_by_role("link", name="Record consent or an objection").click()
    page.wait_for_url("**/consents/add/")
    page.get_by_label("Direct care").check()
    page.get_by_label("Objects to sharing (opt-out)").check()
    page.get_by_label("Oakwood Care Home").check()
    page.get_by_label("In writing").check()
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(arthur_url)
    response = home_page.goto(arthur_url)
    assert response.status == 404
    assert "Penrose" not in home_page.content()
    check_axe(home_page, "404 page")

    # the access log shows the reads, in plain language
    page.get_by_role("link", name="See the access log").click()
    page.wait_for_url("**/access-log/")
    check_axe(page, "access log")
    assert "Oakwood Care Home" in page.content()

    # add a person, with a form error first (future date of birth)
    page.goto(f"{base}/people/new/")
    check_axe(page, "add a person")
    page.locator("main form button[type=submit]").click()
    assert page.get_by_role("heading", name="There is a problem").is_visible()
    check_axe(page, "add a person with errors")
    gp.close()
    home.close()


def test_outsider_breaks_the_glass_and_privacy_lead_sees_it(browser, demo_live) -> None:  # noqa: ANN001, E501
    base = demo_live
    ctx = browser.new_context(locale="en-GB")
    page = ctx.new_page()
    sign_in(page, base, "outsider.uk")
    assert page.get_by_role("link", name="Penrose, Arthur").count() == 0
    page.get_by_role("link", name="Emergency access").first.click()
    page.wait_for_url("**/break-glass/")
    check_axe(page, "break-glass")
    page.get_by_label("NHS number, personnummer or samordningsnummer").fill("943 476 5919")
    page.get_by_label("Why do you need emergency access?").fill(
        "Unconscious in A&E, need his medication list")
    page.locator("main form input[type=checkbox]").check()
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/people/**")
    assert "emergency access" in page.content()
    check_axe(page, "person page under break-glass")
    ctx.close()

    ctx = browser.new_context(locale="en-GB")
    page = ctx.new_page()
    sign_in_privacy = page
    sign_in_privacy.goto(f"{base}/login/")
    page.get_by_label("Username").fill("privacy.uk")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    page.wait_for_url("**/acting-as/**")
    check_axe(page, "choose membership")
    page.get_by_label("Hillside", exact=False).first.check()
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/audit/**")
    page.goto(f"{base}/break-glass/report/")
    check_axe(page, "break-glass report")
    assert "Unconscious in A&amp;E" in page.content() or "Unconscious in A&E" in page.content()
    page.goto(f"{base}/audit/")
    check_axe(page, "audit viewer")
    ctx.close()


def test_pages_in_swedish(browser, demo_live) -> None:  # noqa: ANN001
    base = demo_live
    ctx = browser.new_context(locale="sv-SE")  # the browser asks for Swedish
    page = ctx.new_page()
    page.goto(f"{base}/login/")
    assert page.locator("html").get_attribute("lang") == "sv"
    check_axe(page, "login (sv)")
    ctx.close()
    ctx = browser.new_context(locale="en-GB")  # or the person chooses it
    page = ctx.new_page()
    page.goto(f"{base}/login/")
    assert page.locator("html").get_attribute("lang") == "en"
    page.get_by_role("button", name="Svenska").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "sv"
    sign_in(page, base, "gp.se")
    check_axe(page, "caseload (sv)")
    page.get_by_role("link", name="Lindqvist, Astrid").click()
    page.wait_for_url("**/people/**")
    check_axe(page, "person page (sv)")
    ctx.close()


def tab_to(page, predicate: str, limit: int = 40) -> None:  # noqa: ANN001
    """Press Tab until the focused element satisfies ``predicate`` (a JS expression on el)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"() => {{ const el = document.activeElement; return !!({predicate}); }}"):
            return
    raise AssertionError(f"could not reach {predicate} with the keyboard")


def test_keyboard_only_journey(browser, demo_live) -> None:  # noqa: ANN001
    base = demo_live
    ctx = browser.new_context(locale="en-GB")
    page = ctx.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{base}/login/")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.classList.contains('govuk-skip-link')")
    tab_to(page, "el.id === 'id_username'")
    page.keyboard.type("gp.uk")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/caseload/")
    tab_to(page, "el.id === 'id_q'")
    page.keyboard.type("penrose")
    page.keyboard.press("Enter")
    page.wait_for_url("**q=penrose**")
    expect(page.get_by_role("link", name="Okafor, Maya")).to_have_count(0)
    tab_to(page, "el.textContent.trim() === 'Penrose, Arthur'")
    page.keyboard.press("Enter")
    page.wait_for_url("**/people/**")
    tab_to(page, "el.textContent.trim().startsWith('Add to the care team')")
    page.keyboard.press("Enter")
    page.wait_for_url("**/care-team/add/")
    tab_to(page, "el.id === 'id_organisation_id'")
    page.keyboard.type("St Mary")  # a select jumps to the option typed
    tab_to(page, "el.id === 'id_role'")
    page.keyboard.type("Physiotherapist")
    page.keyboard.press("Enter")
    page.wait_for_url("**/people/*/")
    assert page.get_by_role("cell", name="Physiotherapist", exact=True).is_visible()
    ctx.close()


def test_axe_on_the_other_pages(browser, demo_live) -> None:  # noqa: ANN001
    """Every remaining page, as the role that uses it (the journeys above cover the rest)."""
    from django.contrib.auth import get_user_model

    from careweave.access.models import BreakGlass, CareTeamMember, Consent
    from careweave.people.models import Person

    base = demo_live
    arthur = Person.objects.get(family_name="Penrose")
    member = CareTeamMember.objects.filter(person=arthur).first()
    consent = Consent.objects.filter(person=arthur).first()
    ctx = browser.new_context(locale="en-GB")
    page = ctx.new_page()
    sign_in(page, base, "gp.uk")
    for path, label in [
        (f"/people/{arthur.pk}/edit/", "change person"),
        (f"/people/{arthur.pk}/consents/add/", "record consent"),
        (f"/people/{arthur.pk}/network/add/", "add to network"),
        (f"/people/{arthur.pk}/care-team/{member.pk}/end/", "end care-team membership"),
        (f"/people/{arthur.pk}/consents/{consent.pk}/withdraw/", "withdraw consent"),
        (f"/people/{arthur.pk}/access-log/?print=1", "access log for printing"),
    ]:
        assert page.goto(f"{base}{path}").status == 200, path
        check_axe(page, label)
    page.goto(f"{base}/people/{arthur.pk}/consents/add/")
    page.locator("main form button[type=submit]").click()
    assert page.get_by_role("heading", name="There is a problem").is_visible()
    check_axe(page, "record consent with errors")
    ctx.close()

    # a privacy lead reviewing an emergency access
    bg = BreakGlass.objects.first()
    ctx = browser.new_context(locale="en-GB")
    page = ctx.new_page()
    page.goto(f"{base}/login/")
    page.locator("#id_username").fill("privacy.uk")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#id_password").press("Enter")
    page.wait_for_url("**/acting-as/**")
    page.get_by_label("Hillside", exact=False).first.check()
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/audit/**")
    assert page.goto(f"{base}/break-glass/{bg.pk}/review/").status == 200
    check_axe(page, "break-glass review")
    ctx.close()

    # a staff member without the demo exemption sets up two-factor authentication
    user = get_user_model().objects.get(username="sw.uk")
    user.staff_profile.two_factor_exempt = False
    user.staff_profile.save()
    ctx = browser.new_context(locale="en-GB")
    page = ctx.new_page()
    page.goto(f"{base}/login/")
    page.locator("#id_username").fill("sw.uk")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#id_password").press("Enter")
    page.wait_for_url("**/two-factor/set-up/")
    check_axe(page, "two-factor set-up")
    ctx.close()
