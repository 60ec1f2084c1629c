"""The gate, as page views use it: open a person for showing a page (audited read), check
that the actor may change the record before handling a form, and where to go after a
change that may have taken the actor's own access away."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from careweave.access.gate import decide, open_person, require
from careweave.access.policy import Action
from careweave.core.context import Actor
from careweave.people.models import Person


def read_person(actor: Actor, person_id: Any, *, object_type: str = "Person",
                action: Action = Action.READ) -> Person:
    """The person, for showing a page about them (with a form for ``action``, if it is a
    change): the gate decides, the read is audited."""
    person, _decision = open_person(actor, person_id, object_type=object_type, action=action)
    return person


def check_change(actor: Actor, person_id: Any, object_type: str,
                 action: Action = Action.CHANGE) -> Person:
    """Before handling a change: may this actor take this action on this person's record?
    (404 if not; the service that makes the change audits it)"""
    person, _decision = require(actor, person_id, action, audit_action="update",
                                object_type=object_type)
    return person


def person_url(person_id: Any) -> str:
    return reverse("people:person_detail", kwargs={"person_id": person_id})


def after_change(request: HttpRequest, actor: Actor, person: Person) -> HttpResponseRedirect:
    """Back to the person page, or to the caseload if the change took away our access
    (for example after withdrawing the consent that covered our own organisation)."""
    if decide(actor, person).allowed:
        return redirect(person_url(person.pk))
    messages.info(request, _("You can no longer see this person's record."))
    return redirect("people:caseload")
