"""The privacy lead's audit log and the person's own access log."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router
from pydantic import Field

from careweave.access.gate import Basis, deny, open_person
from careweave.audit.models import AuditEvent
from careweave.audit.schemas import AccessLogPage, AuditPage
from careweave.audit.selectors import audit_events, person_access_log
from careweave.audit.services import audit_record
from careweave.core.api import ERRORS, QueryIn, actor_of
from careweave.core.db import atomic
from careweave.core.errors import NotPermitted
from careweave.core.pagination import keyset_page

router = Router(tags=["audit"])

# -- audit ---------------------------------------------------------------------------------


class AuditQuery(QueryIn):
    person: uuid.UUID | None = None
    user: str = Field("", max_length=150, description="Username")
    organisation: uuid.UUID | None = Field(
        None, description="Only events made through this organisation (yours).")
    date_from: dt.date | None = Field(None, alias="from")
    date_to: dt.date | None = Field(None, alias="to")
    action: AuditEvent.Action | None = None
    outcome: AuditEvent.Outcome | None = None
    cursor: str | None = Field(None, max_length=500)
    size: int = Field(50, ge=1, le=200)


AUDIT_FIELDS = (
    "id", "at", "username", "organisation_name", "role", "action", "outcome", "person_id",
    "object_type", "object_id", "purpose", "legal_basis", "channel", "request_id", "detail",
)


@router.get("/audit", response={200: AuditPage, **ERRORS}, url_name="audit", tags=["audit"],
            summary="The audit log of your organisation's staff (privacy leads only)")
def audit(request: HttpRequest, filters: Query[AuditQuery]) -> dict[str, Any]:
    actor = actor_of(request)
    with atomic():
        try:
            qs = audit_events(
                actor=actor, person_id=filters.person, username=filters.user,
                date_from=filters.date_from, date_to=filters.date_to,
                action=filters.action or "", outcome=filters.outcome or "",
            )
        except NotPermitted:
            # Deny by default: to anyone else the audit log is not there at all (audited).
            deny(actor, None, "read", Basis.ROLE_HAS_NO_RECORD_ACCESS, "AuditEvent", "")
        if filters.organisation is not None:
            qs = qs.filter(organisation_id=filters.organisation)
        page = keyset_page(qs.only(*AUDIT_FIELDS), fields=("at", "id"), cursor=filters.cursor,
                           size=filters.size, descending=True)
        # Reading the audit log is itself audited, as on the pages.
        audit_record(actor=actor, action=AuditEvent.Action.SEARCH, object_type="AuditEvent",
                     purpose="audit", legal_basis="privacy-review",
                     detail={"results": len(page.items), "channel": "api",
                             "filters": filters.model_dump(mode="json", exclude_none=True,
                                                           exclude={"cursor"})})
    return {
        "items": [{name: getattr(e, name) for name in AUDIT_FIELDS} for e in page.items],
        "next_cursor": page.next_cursor,
    }


# -- the person's access log ---------------------------------------------------------------


class PageQuery(QueryIn):
    cursor: str | None = Field(None, max_length=500)
    size: int = Field(50, ge=1, le=200)


@router.get("/people/{person_id}/access-log", response={200: AccessLogPage, **ERRORS},
            url_name="access_log", tags=["audit"],
            summary="Who looked at or changed the person's record, in plain language")
def access_log(request: HttpRequest, person_id: uuid.UUID,
               paging: Query[PageQuery]) -> dict[str, Any]:
    person, _decision = open_person(actor_of(request), person_id, object_type="AccessLog")
    page = person_access_log(person_id=person.pk, cursor=paging.cursor, size=paging.size)
    return {
        "items": [
            {"at": e.at, "organisation": e.organisation, "role": e.role, "what": e.what,
             "emergency": e.emergency}
            for e in page.items
        ],
        "next_cursor": page.next_cursor,
    }
