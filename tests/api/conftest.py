"""API test helpers: a client that talks JSON with a bearer token for a demo user."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from careweave.access.services import token_create

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


@pytest.fixture
def api_as(actor_for) -> Callable[..., ApiClient]:  # noqa: ANN001
    """api_as("gp.uk") -> an ApiClient with a fresh token for the user's membership."""

    def make(username: str, org: str | None = None) -> ApiClient:
        actor = actor_for(username, org=org)
        _token, raw = token_create(membership=actor.membership, name="test")
        return ApiClient(raw)

    return make


@pytest.fixture
def anonymous(demo) -> ApiClient:  # noqa: ANN001
    return ApiClient()


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status
    assert body["type"].startswith("https://")
    assert body["title"] and body["detail"]
    return body
