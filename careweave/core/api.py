"""What every app's API router shares: the base for input schemas, the problem+json shape,
the usual error responses and the actor of an API request.

The NinjaAPI itself, token auth and the error handlers are the shell in ``careweave.api``;
domain routers import only this module, so that their dependencies point inward.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import types
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypeVar, Union, get_args, get_origin

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from ninja import Schema
from pydantic import ConfigDict, Field, ValidationInfo, field_validator

from careweave.core.context import Actor

# -- inputs: JSON as the description says, no lax coercion --------------------------------

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")


def _json_check(annotation: Any) -> Callable[[Any], bool] | None:
    """A check that a parsed-JSON value has the JSON type the annotation is described with
    in the OpenAPI description, or None to leave the value to pydantic."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _json_check(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        checks = [_json_check(arg) for arg in get_args(annotation)]
        if any(check is None for check in checks):
            return None
        return lambda value: any(check(value) for check in checks if check is not None)
    if origin is Literal:
        options = get_args(annotation)
        return lambda value: any(type(value) is type(o) and value == o for o in options)
    if origin in (list, tuple, set, frozenset):
        item = _json_check(get_args(annotation)[0]) if get_args(annotation) else None
        return lambda value: type(value) is list and (item is None or all(map(item, value)))
    if annotation is type(None):
        return lambda value: value is None
    if annotation is bool:
        return lambda value: type(value) is bool
    if annotation is int:
        return lambda value: type(value) is int
    if annotation is float:
        return lambda value: type(value) in (int, float)
    if annotation is dt.datetime:
        return lambda value: type(value) is str and bool(_ISO_DATETIME.match(value))
    if annotation is dt.date:
        return lambda value: type(value) is str and bool(_ISO_DATE.match(value))
    if annotation in (str, uuid.UUID):
        return lambda value: type(value) is str
    return None


class Input(Schema):
    """Inputs forbid unknown fields: a typo is a 422, not a silent no-op. And each value
    must have the JSON type the OpenAPI description gives it: no lax coercion of 0 into a
    date (1970), of "yes" into true, or of "5" into 5, which the description does not allow
    and so no client should rely on."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _as_described(cls, value: Any, info: ValidationInfo) -> Any:
        field = cls.model_fields.get(info.field_name or "")
        check = _json_check(field.annotation) if field is not None else None
        if check is not None and not check(value):
            raise ValueError(_type_message(field.annotation if field else None))
        return value


def _is_date(annotation: Any) -> bool:
    if get_origin(annotation) in (Union, types.UnionType):
        return any(_is_date(arg) for arg in get_args(annotation))
    return annotation in (dt.date, dt.datetime)


class QueryIn(Schema):
    """Query parameters: dates must be written as dates (``2026-12-01``), not as numbers
    that pydantic would take for seconds since 1970 (``?to=0``)."""

    @field_validator("*", mode="before")
    @classmethod
    def _dates_as_described(cls, value: Any, info: ValidationInfo) -> Any:
        field = cls.model_fields.get(info.field_name or "")
        if field is None or value is None or not _is_date(field.annotation):
            return value
        check = _json_check(field.annotation)
        if check is not None and not check(value):
            raise ValueError(_type_message(field.annotation))
        return value


def _kinds(annotation: Any) -> set[Any]:
    """The plain types an annotation allows (unions and Annotated unwrapped)."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _kinds(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        return set().union(*(_kinds(arg) for arg in get_args(annotation)))
    return {origin or annotation}


def _type_message(annotation: Any) -> str:
    from django.utils.translation import gettext as _

    kinds = _kinds(annotation)
    if dt.datetime in kinds:
        return _("Enter a date and time like 2026-12-01T09:30:00Z.")
    if dt.date in kinds:
        return _("Enter a date like 2026-12-01.")
    if bool in kinds:
        return _("Enter true or false.")
    if kinds & {int, float}:
        return _("Enter a number.")
    if kinds & {list, tuple, set, frozenset}:
        return _("Enter a list.")
    return _("Enter a value of the right type.")


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


class JsonAnswer(HttpResponse):
    """A 200 whose body the serializer already shaped exactly as the operation's documented
    schema: written out directly, without django-ninja validating it again. For the hot
    reads only; the schemathesis tests check these answers against the schema."""

    def __init__(self, data: Any, *, status: int = 200) -> None:
        super().__init__(json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False,
                                    separators=(",", ":")),
                         content_type="application/json; charset=utf-8", status=status)
