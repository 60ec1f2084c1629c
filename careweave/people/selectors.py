"""Reads of people, always scoped by the access gate."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, QuerySet, prefetch_related_objects

from careweave.access.gate import decide, open_person, people_visible_to
from careweave.audit.models import AuditEvent
from careweave.audit.services import audit_record
from careweave.core.context import Actor
from careweave.core.db import atomic
from careweave.core.pagination import Page, keyset_page
from careweave.people import identifiers as ids
from careweave.people.models import Person, PersonIdentifier
from careweave.people.names import search_key

MAX_QUERY = 100


def _search_filter(qs: QuerySet[Person], q: str) -> QuerySet[Person]:
    q = (q or "").strip()[:MAX_QUERY]
    if not q:
        return qs
    ident = ids.guess(q)
    if ident is not None:
        return qs.filter(
            Exists(PersonIdentifier.objects.filter(person=OuterRef("pk"), system=ident.system,
                                                   value=ident.value))
        )
    for token in search_key(q).split()[:5]:
        qs = qs.filter(search_name__contains=token)
    return qs


def caseload(
    *, actor: Actor, q: str = "", cursor: str | None = None, size: int = 25,
    audit: bool = True,
) -> Page[Person]:
    """The actor's caseload (their organisation's care teams), optionally searched.

    A search is audited (what was searched, how many were shown); plain browsing of
    the caseload is too, as a search with no terms.
    """
    size = max(1, min(size, 100))
    with atomic():
        qs = _search_filter(people_visible_to(actor), q).prefetch_related(
            Prefetch("identifiers", queryset=PersonIdentifier.objects.order_by("system"))
        )
        page = keyset_page(qs, fields=("sort_name", "id"), cursor=cursor, size=size)
        if audit:
            audit_record(
                actor=actor, action=AuditEvent.Action.SEARCH, object_type="Person",
                purpose="direct_care",
                detail={"q_length": len(q or ""), "results": len(page.items),
                        "kind": "identifier" if ids.guess(q or "") else "name"},
            )
    return page


def person_detail(*, actor: Actor, person_id: uuid.UUID | str) -> dict[str, Any]:
    """The person with their identifiers and social network, audited as one read. What
    other apps show about the person comes from their registered panels."""
    person, decision = open_person(actor, person_id)
    # Cached on the person: the network panel reads the same rows.
    prefetch_related_objects([person], "identifiers", "network")
    return {
        "person": person,
        "decision": decision,
        "identifiers": list(person.identifiers.all()),
        "network": list(person.network.all()),
    }


def visible_by_identifier(*, actor: Actor, system: str, value: str) -> Person | None:
    """The record holding this (normalised) identifier, only if the gate lets the actor see
    it: a duplicate-identifier answer links to it, or says nothing more."""
    row = PersonIdentifier.objects.select_related("person").filter(system=system,
                                                                     value=value).first()
    if row is not None and decide(actor, row.person).allowed:
        return row.person
    return None
