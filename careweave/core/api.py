"""What every app's API router shares: the base for input schemas, the problem+json shape,
the usual error responses and the actor of an API request.

The NinjaAPI itself, token auth and the error handlers are the shell in ``careweave.api``;
domain routers import only this module, so that their dependencies point inward.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Schema
from pydantic import ConfigDict, Field

from careweave.core.context import Actor


class Input(Schema):
    """Inputs forbid unknown fields: a typo is a 422, not a silent no-op."""

    model_config = ConfigDict(extra="forbid")


class ProblemOut(Schema):
    """RFC 9457 problem details (served as application/problem+json)."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    request_id: str
    errors: dict[str, list[str]] | None = None
    confirmable: bool | None = None
    current_version: int | None = None
    existing: str | None = Field(
        None, description="On a duplicate identifier: the existing record, if you may see it.")
    similar: list[str] | None = Field(
        None, description="On a possible duplicate: records on your caseload to check.")
    matches: list[dict[str, Any]] | None = Field(
        None, description="On a possible duplicate: each record's url, score (0-100), "
        "likely, and reasons [{code, text}], most likely first.")
    join_request: str | None = Field(
        None, description="On an identifier held by a record you may not see: where to ask "
        "to join the person's care team.")


# The answers every authenticated operation may give besides its own.
ERRORS: dict[int, Any] = {401: ProblemOut, 404: ProblemOut, 422: ProblemOut}


def actor_of(request: HttpRequest) -> Actor:
    """The actor the API's authentication established (a token's membership, or the
    session's chosen membership)."""
    actor = request.auth  # type: ignore[attr-defined]
    assert isinstance(actor, Actor)
    return actor
