"""Response shapes of the audit API: the person's access log and the privacy lead's log."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from ninja import Schema


class AccessLogEntryOut(Schema):
    at: dt.datetime
    organisation: str
    role: str
    what: str
    emergency: bool


class AccessLogPage(Schema):
    items: list[AccessLogEntryOut]
    next_cursor: str | None


class AuditEventOut(Schema):
    id: int
    at: dt.datetime
    username: str
    organisation_name: str
    role: str
    action: str
    outcome: str
    person_id: uuid.UUID | None
    object_type: str
    object_id: str
    purpose: str
    legal_basis: str
    channel: str
    request_id: str
    detail: dict[str, Any]


class AuditPage(Schema):
    items: list[AuditEventOut]
    next_cursor: str | None
