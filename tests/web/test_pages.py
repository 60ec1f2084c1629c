"""Signing in (password, lockout, TOTP), choosing a membership, security headers: the
shell's pages."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from careweave.audit.models import AuditEvent
from careweave.core.models import LoginFailure
from careweave.orgs.middleware import SESSION_MEMBERSHIP

PASSWORD = "careweave-demo"
pytestmark = pytest.mark.django_db


def sign_in(client: Client, username: str, password: str = PASSWORD):  # noqa: ANN201
    return client.post("/login/", {"username": username, "password": password})


def test_login_page_renders_in_english_and_swedish(client: Client) -> None:
    response = client.get("/login/")
    assert response.status_code == 200
    assert "Sign in to Careweave" in response.content.decode()
    client.post("/language/", {"language": "sv", "next": "/login/"})
    response = client.get("/login/")
    assert '<html lang="sv"' in response.content.decode()


def test_sign_in_shows_the_caseload(demo, client: Client) -> None:  # noqa: ANN001
    response = sign_in(client, "gp.uk")
    assert response.status_code == 302
    assert response["Location"] == "/caseload/"
    page = client.get("/caseload/").content.decode()
    assert "Penrose" in page and "Okafor" in page
    assert AuditEvent.objects.filter(action="login", username="gp.uk").exists() or \
        AuditEvent.objects.filter(action="login").exists()


def test_wrong_password_is_refused_and_audited(demo, client: Client) -> None:  # noqa: ANN001
    response = sign_in(client, "gp.uk", "wrong")
    assert response.status_code == 400
    assert "username or password is not right" in response.content.decode()
    assert AuditEvent.objects.filter(action="login_failed", outcome="denied").count() == 1
    assert client.get("/caseload/").status_code == 302


def test_lockout_after_repeated_failures(demo, client: Client) -> None:  # noqa: ANN001
    for _ in range(5):
        assert sign_in(client, "gp.uk", "wrong").status_code == 400
    response = sign_in(client, "GP.uk")  # right password, but locked (case-insensitive)
    assert response.status_code == 429
    assert "Too many failed attempts" in response.content.decode()
    LoginFailure.objects.all().delete()
    assert sign_in(client, "gp.uk").status_code == 302


def test_csrf_less_login_post_is_refused(demo) -> None:  # noqa: ANN001
    client = Client(enforce_csrf_checks=True)
    response = client.post("/login/", {"username": "gp.uk", "password": PASSWORD})
    assert response.status_code == 403
    assert "could not be sent" in response.content.decode()


def test_two_memberships_choose_one(demo, client: Client) -> None:  # noqa: ANN001
    response = sign_in(client, "privacy.uk")
    assert response["Location"] == "/acting-as/"
    page = client.get("/acting-as/")
    assert page.status_code == 200
    assert client.get("/caseload/")["Location"].startswith("/acting-as/")
    assert client.post("/acting-as/", {"membership": "not-mine"}).status_code == 400
    from careweave.orgs.models import Membership

    other = Membership.objects.exclude(user__username="privacy.uk").first()
    assert client.post("/acting-as/", {"membership": str(other.pk)}).status_code == 400
    mine = Membership.objects.filter(user__username="privacy.uk").first()
    response = client.post("/acting-as/", {"membership": str(mine.pk)})
    assert response.status_code == 302 and response["Location"] == "/"
    # A privacy lead lands on the audit log; they have no caseload.
    assert client.get("/")["Location"] == "/audit/"
    assert client.get("/audit/").status_code == 200
    assert client.get("/caseload/").status_code == 404


def test_staff_without_exemption_must_set_up_and_use_totp(demo, client: Client) -> None:  # noqa: ANN001
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = get_user_model().objects.get(username="gp.uk")
    user.staff_profile.two_factor_exempt = False
    user.staff_profile.save()
    assert sign_in(client, "gp.uk")["Location"] == "/two-factor/"
    assert client.get("/caseload/")["Location"] == "/two-factor/"
    assert client.get("/two-factor/")["Location"] == "/two-factor/set-up/"
    page = client.get("/two-factor/set-up/")
    assert page.status_code == 200 and "<svg" in page.content.decode()
    device = TOTPDevice.objects.get(user=user)
    assert client.post("/two-factor/set-up/", {"token": "12345"}).status_code == 400
    wrong = f"{(totp(device.bin_key) + 1) % 1000000:06d}"
    assert client.post("/two-factor/set-up/", {"token": wrong}).status_code == 400
    device.refresh_from_db()
    device.throttle_reset()  # django-otp slows down guessing after a failure
    good = f"{totp(device.bin_key):06d}"
    assert client.post("/two-factor/set-up/", {"token": good}).status_code == 302
    assert client.get("/caseload/").status_code == 200
    # next time: a code is asked for again
    client.post("/logout/")
    assert sign_in(client, "gp.uk")["Location"] == "/two-factor/"
    assert client.get("/people/new/")["Location"] == "/two-factor/"


def test_session_membership_must_be_the_users_own(demo, client, person_named) -> None:  # noqa: ANN001
    from careweave.orgs.models import Membership

    client.force_login(get_user_model().objects.get(username="outsider.uk"))
    session = client.session
    session[SESSION_MEMBERSHIP] = str(Membership.objects.get(user__username="gp.uk").pk)
    session.save()
    arthur = person_named("Arthur", "Penrose")
    assert client.get(f"/people/{arthur.pk}/").status_code == 404


def test_security_headers(client: Client) -> None:
    response = client.get("/login/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self';" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


def test_templates_have_no_inline_script_or_style() -> None:
    """The Content-Security-Policy allows no inline code: keep templates free of it."""
    import re
    from pathlib import Path

    import careweave

    root = Path(careweave.__file__).parent
    offenders = []
    for template in root.rglob("templates/**/*.html"):
        text = template.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", text):
            if "src=" not in tag and "application/json" not in tag:
                offenders.append(f"{template.relative_to(root)}: {tag}")
        if re.search(r"<style\b|\sstyle=\"|\son[a-z]+=\"", text):
            offenders.append(f"{template.relative_to(root)}: inline style or handler")
    assert offenders == [], offenders
