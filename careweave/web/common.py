"""Helpers shared by the page views."""

from __future__ import annotations

from typing import Any

from django.forms import Form
from django.http import HttpRequest

from careweave.access.gate import open_person, require
from careweave.access.policy import Action
from careweave.core.context import Actor
from careweave.core.errors import ServiceError, ValidationFailed
from careweave.people.models import Person


def actor_of(request: HttpRequest) -> Actor:
    actor = getattr(request, "actor", None)
    assert actor is not None  # the route decorators guarantee a membership
    return actor


def apply_service_error(form: Form, exc: ServiceError) -> None:
    """A service's errors onto the form: on the field when the form has it (service names
    use "-" where form fields use "_"), else on top; the service's own message on top
    unless it is only "check the highlighted fields"."""
    placed = False
    for name, msgs in exc.errors.items():
        field = name.replace("-", "_")
        for msg in msgs:
            if field in form.fields:
                form.add_error(field, msg)
            else:
                form.add_error(None, msg)
            placed = True
    if not placed or not isinstance(exc, ValidationFailed):
        form.add_error(None, exc.message)


def read_person(actor: Actor, person_id: Any, *, object_type: str = "Person") -> Person:
    """The person, for showing a page about them: the gate decides, the read is audited."""
    person, _decision = open_person(actor, person_id, object_type=object_type)
    return person


def check_change(actor: Actor, person_id: Any, object_type: str) -> Person:
    """Before handling a change: may this actor change this person's record? (404 if not;
    the service that makes the change audits it)"""
    person, _decision = require(actor, person_id, Action.CHANGE, audit_action="update",
                                object_type=object_type)
    return person
