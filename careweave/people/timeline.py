"""The person's timeline: one chronological list of what happened in their care, built from
domain events that each app's services write here (in their own transaction), and shown
on the person page, on its own filterable page and through the API.

- :func:`timeline_add` records an event. Services call it; nothing else writes entries.
- :func:`timeline_page` reads a keyset page, newest first, for an actor the gate already
  let see the person, filtered by kind and by organisation. Kinds whose audience excludes
  the actor are left out in the query itself, so pages stay full and cursors stay valid.
- :func:`describe` turns an entry into one sentence in the reader's language.

How each kind reads and who may see it is registered by its app
(:class:`careweave.core.registry.TimelineKind`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from careweave.core.context import Actor
from careweave.core.pagination import Page, keyset_page
from careweave.core.registry import registry
from careweave.people.models import TimelineEntry

MAX_PAGE = 100


def timeline_add(
    *,
    actor: Actor | None,
    person_id: uuid.UUID,
    kind: str,
    data: Mapping[str, Any] | None = None,
    at: dt.datetime | None = None,
    object_type: str = "",
    object_id: str = "",
) -> TimelineEntry:
    """Record one event on the person's timeline (call inside the service's transaction)."""
    if registry.timeline_kind_of(kind) is None:
        raise ValueError(f"timeline kind {kind!r} is not registered")
    membership = actor.membership if actor is not None else None
    return TimelineEntry.objects.create(
        person_id=person_id, kind=kind, at=at or timezone.now(),
        organisation_id=membership.organisation_id if membership is not None else None,
        actor_role=membership.role if membership is not None else "",
        data=dict(data or {}), object_type=object_type, object_id=str(object_id)[:64],
    )


def visible_kinds(actor: Actor, decision: Any) -> list[str]:
    """The kinds of entry this actor may see on a record the gate let them read."""
    return [k.key for k in registry.timeline_kinds() if k.audience(actor, decision)]


def timeline_page(
    *,
    actor: Actor,
    person_id: uuid.UUID,
    decision: Any,
    kinds: Iterable[str] = (),
    organisation_id: uuid.UUID | None = None,
    cursor: str | None = None,
    size: int = 25,
) -> Page[TimelineEntry]:
    """A page of the person's timeline, newest first (one query). The caller has opened
    the person through the gate (and so audited the read)."""
    allowed = visible_kinds(actor, decision)
    wanted = [k for k in kinds if k in allowed] if kinds else allowed
    qs = (TimelineEntry.objects.filter(person_id=person_id, kind__in=wanted)
          .select_related("organisation"))
    if organisation_id is not None:
        qs = qs.filter(organisation_id=organisation_id)
    page = keyset_page(qs, fields=("at", "id"), cursor=cursor,
                       size=max(1, min(size, MAX_PAGE)), descending=True)
    for entry in page.items:
        entry.text = describe(entry)  # type: ignore[attr-defined]
    return page


def timeline_organisations(*, person_id: uuid.UUID) -> list[tuple[uuid.UUID, str]]:
    """The organisations that appear on the person's timeline (for the filter)."""
    rows = (TimelineEntry.objects.filter(person_id=person_id, organisation__isnull=False)
            .values_list("organisation_id", "organisation__name").distinct())
    return sorted(rows, key=lambda row: row[1])


def describe(entry: TimelineEntry) -> str:
    kind = registry.timeline_kind_of(entry.kind)
    if kind is None:
        return _("Something happened that this version of Careweave cannot show.")
    try:
        return kind.describe(entry)
    except (KeyError, TypeError, ValueError):
        # An entry written by an older version with other fields: still say what it was.
        return str(kind.label)
