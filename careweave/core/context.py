"""Who is acting, and the request they act in. Set by middleware, the API and the CLI."""

from __future__ import annotations

import contextvars
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from careweave.orgs.models import Membership


@dataclass(frozen=True)
class Actor:
    """A user acting through one membership (organisation and role)."""

    user: AbstractBaseUser
    membership: Membership | None

    @property
    def organisation_id(self) -> uuid.UUID | None:
        return self.membership.organisation_id if self.membership else None

    @property
    def role(self) -> str:
        return self.membership.role if self.membership else ""

    @property
    def is_staff_member(self) -> bool:
        return self.membership is not None


@dataclass(frozen=True)
class RequestContext:
    request_id: str
    channel: str  # web, api, fhir, cli
    # People whose record this request has already been audited as reading: one "viewed"
    # event per request, however many queries the page makes.
    read_people: set[uuid.UUID] = field(default_factory=set)


_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar(
    "careweave_request", default=None
)


def set_request_context(ctx: RequestContext) -> contextvars.Token[RequestContext | None]:
    return _current.set(ctx)


def reset_request_context(token: contextvars.Token[RequestContext | None]) -> None:
    _current.reset(token)


def current_request() -> RequestContext:
    return _current.get() or RequestContext(request_id="", channel="cli")


def new_request_id() -> str:
    return uuid.uuid4().hex
