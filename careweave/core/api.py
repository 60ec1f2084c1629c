"""What every app's API router shares: the base for input schemas, the problem+json shape,
the usual error responses and the actor of an API request.

The NinjaAPI itself, token auth and the error handlers are the shell in ``careweave.api``;
domain routers import only this module, so that their dependencies point inward.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

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


F = TypeVar("F", bound=Callable[..., Any])
RESTRICTION_ATTR = "careweave_restriction"


@dataclass(frozen=True)
class Restriction:
    """Who may call an operation at all, and what a refusal is recorded as."""

    allows: Callable[[Actor], bool]
    object_type: str
    basis: str


def only_for(allows: Callable[[Actor], bool], *, object_type: str,
             basis: str) -> Callable[[F], F]:
    """An operation for some actors only (administrators). Put it under ``@router.<method>``.

    The shell checks it as part of authentication (``careweave.api.api``), before the
    request's input is even parsed: anyone else gets the same audited 404 as for a path
    that does not exist, whatever they send, so nobody learns that the operation does
    anything. The services check again (the pages and the CLI call them too)."""

    def mark(view: F) -> F:
        setattr(view, RESTRICTION_ATTR, Restriction(allows, object_type, basis))
        return view

    return mark


def restriction_of(view: Callable[..., Any]) -> Restriction | None:
    return getattr(view, RESTRICTION_ATTR, None)
