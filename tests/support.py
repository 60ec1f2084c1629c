"""Helpers the tests of every app share: a JSON API client with a bearer token, the
problem+json check, and page helpers (signing in as a demo user, messages, date inputs)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.test import Client

BASE = "/api/v1"


class ApiClient:
    """JSON requests to /api/v1 as one token (or none)."""

    def __init__(self, token: str | None = None) -> None:
        self.client = Client()
        self.headers: dict[str, str] = {}
        if token is not None:
            self.headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"

    def _url(self, path: str) -> str:
        return path if path.startswith(BASE) else BASE + path

    def get(self, path: str, **extra: Any) -> Any:
        return self.client.get(self._url(path), **self.headers, **extra)

    def post(self, path: str, data: Any = None, **extra: Any) -> Any:
        return self.client.post(self._url(path), json.dumps(data if data is not None else {}),
                                content_type="application/json", **self.headers, **extra)

    def patch(self, path: str, data: Any, **extra: Any) -> Any:
        return self.client.patch(self._url(path), json.dumps(data),
                                 content_type="application/json", **self.headers, **extra)


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status
    assert body["type"].startswith("https://")
    assert body["title"] and body["detail"]
    return body


def sign_in(client: Client, username: str, org: str | None = None) -> Client:
    """Log in as a demo user (2FA exempt), acting in ``org`` (needed for privacy.uk)."""
    from careweave.orgs.middleware import SESSION_MEMBERSHIP
    from careweave.orgs.models import Membership

    user = get_user_model().objects.get(username=username)
    client.force_login(user)
    if org:
        membership = Membership.objects.get(user=user, organisation__name=org)
        session = client.session
        session[SESSION_MEMBERSHIP] = str(membership.pk)
        session.save()
    return client


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def text(response: Any) -> str:
    return response.content.decode()


def date_parts(name: str, day: dt.date | None) -> dict[str, str]:
    if day is None:
        return {f"{name}_day": "", f"{name}_month": "", f"{name}_year": ""}
    return {f"{name}_day": str(day.day), f"{name}_month": str(day.month),
            f"{name}_year": str(day.year)}
