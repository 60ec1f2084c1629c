"""The login lockout holds under concurrency: 40 wrong passwords for one username, sent
at once to a live server, get at most 5 real password checks (the limit), every attempt
is refused and audited, and the username is then locked even for the right password.

It counts the checks where they happen, in Django's Argon2 hasher (a pass-through counter
around the real one), and runs on PostgreSQL, where each request has its own connection;
on the in-memory SQLite test database the live server shares one connection between its
threads, so there is no concurrency to test (SQLite's own serialisation is BEGIN
IMMEDIATE; see careweave.core.lockout)."""

from __future__ import annotations

import http.client
import re
import threading
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import Argon2PasswordHasher

from careweave.audit.models import AuditEvent
from careweave.core.models import LoginFailure

ATTEMPTS = 40
PASSWORD = "the-right-password-42"

pytestmark = [
    pytest.mark.postgresql,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
                       reason="needs PostgreSQL: the live server's threads share one "
                              "connection on the in-memory SQLite test database"),
]


class CountingHasher:
    """Counts Argon2 password checks and passes each on to the real hasher."""

    def __init__(self) -> None:
        self.calls = 0
        self._lock = threading.Lock()
        real = Argon2PasswordHasher.verify

        def verify(hasher: Argon2PasswordHasher, password: str, encoded: str) -> bool:
            with self._lock:
                self.calls += 1
            return real(hasher, password, encoded)

        self.verify = verify


def _csrf(base: str) -> tuple[str, str]:
    """A CSRF cookie and the form's token, from the login page."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/login/", timeout=60).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token is not None
    cookie = next(c.value for c in jar if c.name == settings.CSRF_COOKIE_NAME)
    return cookie, token.group(1)


def _connect(base: str) -> http.client.HTTPConnection:
    url = urllib.parse.urlsplit(base)
    connection = http.client.HTTPConnection(url.hostname or "localhost", url.port, timeout=120)
    connection.connect()
    return connection


def _post_login(connection: http.client.HTTPConnection, cookie: str, token: str,
                password: str) -> int:
    body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "username": "lock.test",
                                   "password": password})
    connection.request("POST", "/login/", body=body, headers={
        "Cookie": f"{settings.CSRF_COOKIE_NAME}={cookie}",
        "Content-Type": "application/x-www-form-urlencoded",
    })
    response = connection.getresponse()
    response.read()
    connection.close()
    return int(response.status)


def test_parallel_wrong_passwords_get_at_most_the_limit_of_checks(
        live_server: Any, settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # Real Argon2 (the test settings put fast MD5 first), so each check takes a while.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    get_user_model().objects.create_user("lock.test", password=PASSWORD)
    counter = CountingHasher()
    monkeypatch.setattr(Argon2PasswordHasher, "verify", counter.verify)
    limit = settings.CAREWEAVE["LOGIN_MAX_FAILURES"]

    base = live_server.url
    cookie, token = _csrf(base)
    start = threading.Barrier(ATTEMPTS)
    statuses: list[int] = []
    lock = threading.Lock()

    errors: list[BaseException] = []

    # Every connection is open (accepted, its handler waiting) before any request is sent,
    # so that all of them arrive at once and none waits in the listen queue.
    connections = [_connect(base) for _n in range(ATTEMPTS)]

    def attempt(n: int) -> None:
        start.wait()
        try:
            status = _post_login(connections[n], cookie, token, f"wrong-{n}")
        except BaseException as exc:  # noqa: BLE001 - reported below
            with lock:
                errors.append(exc)
            return
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(ATTEMPTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors, errors[:3]
    assert len(statuses) == ATTEMPTS
    assert set(statuses) <= {400, 429}, statuses
    assert counter.calls <= limit
    assert counter.calls == limit  # the first five reserved their checks; nobody else did
    assert statuses.count(400) == counter.calls  # each check was a wrong password
    assert statuses.count(429) == ATTEMPTS - counter.calls
    assert LoginFailure.objects.filter(username="lock.test").count() == counter.calls
    # Every attempt is in the audit log: the checked ones and the locked-out ones.
    failed = AuditEvent.objects.filter(action="login_failed", username="lock.test")
    assert failed.count() == ATTEMPTS
    assert failed.filter(detail__locked=True).count() == ATTEMPTS - counter.calls

    # The right password now waits too, and is not even checked while locked.
    assert _post_login(_connect(base), cookie, token, PASSWORD) == 429
    assert counter.calls == limit
