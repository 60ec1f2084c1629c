"""/people: the caseload, creating and reading and changing a person's record.

Every read goes through :func:`careweave.people.selectors.caseload` or
:func:`~careweave.people.selectors.person_detail` (the gate, audited); every write through
:mod:`careweave.people.services`. An unknown person and one the caller may not see get
the same 404.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Header, Query, Router
from ninja.errors import HttpError
from ninja.responses import Status
from pydantic import Field

from careweave.access.gate import Basis, decide, open_person
from careweave.core.api import ERRORS, JsonAnswer, ProblemOut, QueryIn, actor_of
from careweave.core.errors import DuplicateRecord, ValidationFailed
from careweave.core.registry import registry
from careweave.people import selectors, services
from careweave.people.duplicates import reason_texts
from careweave.people.models import DuplicateCandidate, PersonMerge
from careweave.people.schemas import (
    CountryIn,
    DuplicatePage,
    MergeIn,
    MergeOut,
    PersonCreateIn,
    PersonOut,
    PersonPage,
    PersonPatchIn,
    TimelinePage,
)
from careweave.people.selectors import (
    MergedRecord,
    caseload,
    person_detail,
    visible_by_identifier,
)
from careweave.people.serializers import (
    identifier_out,
    person_out,
    person_summary,
    person_url,
    timeline_entry_out,
)
from careweave.people.services import person_change_country, person_create, person_update
from careweave.people.timeline import timeline_page

router = Router(tags=["people"])

class CaseloadQuery(QueryIn):
    q: str = Field("", max_length=100, description="A name, or an NHS number, personnummer "
                   "or samordningsnummer. Up to five words, all of which must match, case- "
                   "and accent-blind: a word of three letters or more anywhere in the name, "
                   "a shorter one at the start of a word of it; a comma separates words "
                   "(\"Smith, John\"). A name search lists first the people whose family "
                   "name starts with the first word, then every other match, each in "
                   "alphabetical order.")
    cursor: str | None = Field(None, max_length=500, description="next_cursor of the last page.")
    size: int = Field(25, ge=1, le=100)


@router.get("/people", response={200: PersonPage, **ERRORS}, url_name="person_list",
            summary="Your caseload, optionally searched")
def list_people(request: HttpRequest, filters: Query[CaseloadQuery]) -> JsonAnswer:
    page = caseload(actor=actor_of(request), q=filters.q, cursor=filters.cursor,
                    size=filters.size)
    return JsonAnswer({"items": [person_summary(p) for p in page.items],
                       "next_cursor": page.next_cursor})


def _identifier_pairs(payload: PersonCreateIn | PersonPatchIn) -> list[tuple[str, str]]:
    return [(i.system, i.value) for i in payload.identifiers or []]


def _visible_duplicate(request: HttpRequest, exc: DuplicateRecord) -> None:
    """Link to the record that already has the identifier, only if the caller may see it."""
    system, value = exc.extra.get("system"), exc.extra.get("value")
    extra: dict[str, Any] = {}
    if system and value:
        existing = visible_by_identifier(actor=actor_of(request), system=system, value=value)
        if existing is not None:
            extra["existing"] = request.build_absolute_uri(person_url(existing.pk))
    if exc.extra.get("join_request"):
        extra["join_request"] = request.build_absolute_uri(reverse("api:join_request_create"))
    if exc.extra.get("similar"):
        # similar_people() already looked only at the caller's own caseload.
        extra["similar"] = [request.build_absolute_uri(person_url(pk))
                            for pk in exc.extra["similar"]]
        extra["matches"] = [
            {"url": request.build_absolute_uri(person_url(person.pk)), "score": match.score,
             "likely": match.likely, "reasons": _reasons(match.reasons)}
            for person, match in exc.extra.get("matches", [])]
    exc.api_extra = extra  # type: ignore[attr-defined]


def _reasons(codes: Any) -> list[dict[str, str]]:
    codes = [str(c) for c in codes]
    return [{"code": code, "text": text}
            for code, text in zip(codes, reason_texts(codes), strict=True)]


# 429: too many identifiers tried that belong to records the caller may not see.
@router.post("/people", response={201: PersonOut, 403: ProblemOut, 409: ProblemOut,
                                  429: ProblemOut, **ERRORS},
             url_name="person_create", summary="Register a person")
def create_person(request: HttpRequest, payload: PersonCreateIn,
                  response: HttpResponse) -> Status[dict[str, Any]]:
    actor = actor_of(request)
    data = payload.model_dump(exclude_unset=True, exclude={"identifiers", "confirm_similar"})
    try:
        person = person_create(actor=actor, data=data, identifiers=_identifier_pairs(payload),
                               confirm_similar=payload.confirm_similar)
    except DuplicateRecord as exc:
        _visible_duplicate(request, exc)
        raise
    response["Location"] = person_url(person.pk)
    response["ETag"] = person.etag
    # The creator's organisation registered the record: that is its basis.
    body = person_out(person, identifiers=person.identifiers.order_by("system"), network=[],
                      basis=Basis.OWN_ORGANISATION.value)
    return Status(201, body)


@router.get("/people/{person_id}", response={200: PersonOut, 307: None, **ERRORS},
            url_name="person_get", summary="One person's record",
            description="A record merged into another redirects (307) to the record kept, "
            "if you may see it; otherwise it is a 404 like any record you may not see.")
def get_person(request: HttpRequest, person_id: uuid.UUID,
               response: HttpResponse) -> HttpResponse:
    try:
        detail = person_detail(actor=actor_of(request), person_id=person_id)
    except MergedRecord as merged:
        return HttpResponseRedirect(person_url(merged.into), status=307)
    person = detail["person"]
    answer = JsonAnswer(person_out(person, identifiers=detail["identifiers"],
                                   network=detail["network"],
                                   basis=str(detail["decision"].basis)))
    answer["ETag"] = person.etag
    return answer


# One entity-tag (RFC 9110, section 8.8.3): optionally weak, then a quoted opaque tag.
_ENTITY_TAG = re.compile(r'^(?:W/)?"([\x21\x23-\x7e\x80-\xff]*)"$')
_VERSION = re.compile(r"^(?:0|[1-9][0-9]{0,17})$")


def expected_version(if_match: str | None) -> int:
    """The version If-Match names. Required, and it must name a version:

    - missing, empty or ``*`` (which names none, so cannot protect against a lost update):
      428 Precondition Required (RFC 6585);
    - anything that is not one of our ETags (``W/"3"``, or ``"3"``; compared weakly) is a
      condition that cannot hold: 412 Precondition Failed, as RFC 9110 section 13.1.1 says
      for a field value that is not an entity-tag. A list of several tags is refused the
      same way (send the one you read), and so is a version that is not the current one
      (the service's 412, with ``current_version``).
    """
    value = (if_match or "").strip()
    if not value or value == "*":
        raise PreconditionRequired()
    match = _ENTITY_TAG.match(value)
    if match is None:
        raise HttpError(412, _("If-Match must be the ETag you read, like W/\"3\"."))
    if _VERSION.match(match.group(1)) is None:
        raise HttpError(412, _("If-Match does not name a version of this record: send the "
                               "ETag you read, like W/\"3\"."))
    return int(match.group(1))


class PreconditionRequired(HttpError):
    def __init__(self) -> None:
        super().__init__(428, _("Send If-Match with the ETag from your last read of this "
                                "record, so that you do not overwrite someone else's change."))


@router.patch(
    "/people/{person_id}",
    response={200: PersonOut, 409: ProblemOut, 412: ProblemOut, 428: ProblemOut,
              429: ProblemOut, **ERRORS},
    url_name="person_update", summary="Change a person's record (If-Match required)",
)
def update_person(
    request: HttpRequest,
    person_id: uuid.UUID,
    payload: PersonPatchIn,
    response: HttpResponse,
    if_match: str | None = Header(  # noqa: B008
        None, alias="If-Match",
        description='Required: the ETag of your last read, W/"3" (or "3"). Without it, or '
                    "with *, the answer is 428; with any other value that is not the current "
                    "version, 412."),
) -> dict[str, Any]:
    actor = actor_of(request)
    version = expected_version(if_match)
    changes = payload.model_dump(exclude_unset=True, exclude={"identifiers"})
    identifiers = _identifier_pairs(payload) if payload.identifiers is not None else None
    person = person_update(actor=actor, person_id=person_id, changes=changes,
                           expected_version=version, identifiers=identifiers)
    response["ETag"] = person.etag
    return person_out(person, identifiers=person.identifiers.order_by("system"),
                      network=person.network.all(), basis=str(decide(actor, person).basis))



@router.post(
    "/people/{person_id}/country",
    response={200: PersonOut, 412: ProblemOut, 428: ProblemOut, **ERRORS},
    url_name="person_country", summary="Move the record to another country's consent rules "
    "(registering organisation, with a reason; If-Match required)",
)
def change_country(
    request: HttpRequest,
    person_id: uuid.UUID,
    payload: CountryIn,
    response: HttpResponse,
    if_match: str | None = Header(None, alias="If-Match"),  # noqa: B008
) -> dict[str, Any]:
    actor = actor_of(request)
    person = person_change_country(actor=actor, person_id=person_id, country=payload.country,
                                   reason=payload.reason,
                                   expected_version=expected_version(if_match))
    response["ETag"] = person.etag
    return person_out(person, identifiers=person.identifiers.order_by("system"),
                      network=person.network.all(), basis=str(decide(actor, person).basis))


class TimelineQuery(QueryIn):
    kind: list[str] = Field(default_factory=list, max_length=20,
                            description="Only these kinds (repeat the parameter for several).")
    organisation: uuid.UUID | None = Field(None, description="Only changes made by this "
                                           "organisation.")
    cursor: str | None = Field(None, max_length=500)
    size: int = Field(25, ge=1, le=100)


@router.get("/people/{person_id}/timeline", response={200: TimelinePage, **ERRORS},
            url_name="timeline", summary="What happened in the person's care, newest first")
def timeline(request: HttpRequest, person_id: uuid.UUID,
             filters: Query[TimelineQuery]) -> dict[str, Any]:
    actor = actor_of(request)
    person, decision = open_person(actor, person_id, object_type="Timeline")
    unknown = [k for k in filters.kind if registry.timeline_kind_of(k) is None]
    if unknown:
        raise ValidationFailed(_("Unknown kind of timeline entry."),
                               errors={"kind": [_("Not a kind of timeline entry: %(kinds)s")
                                                % {"kinds": ", ".join(unknown)}]})
    page = timeline_page(actor=actor, person_id=person.pk, decision=decision,
                         kinds=filters.kind, organisation_id=filters.organisation,
                         cursor=filters.cursor, size=filters.size)
    return {"items": [timeline_entry_out(e) for e in page.items],
            "next_cursor": page.next_cursor}


# -- possible duplicates and merges (data-quality roles) ----------------------------------------


class DuplicateQuery(QueryIn):
    cursor: str | None = Field(None, max_length=500, description="next_cursor of the last page.")
    size: int = Field(25, ge=1, le=100)


def _duplicate_person(person: Any) -> dict[str, Any]:
    return {"id": person.pk, "given_name": person.given_name,
            "family_name": person.family_name, "birth_date": person.birth_date,
            "postcode": person.postcode,
            "identifiers": [identifier_out(i) for i in person.identifiers.all()],
            "registered_by": {"id": person.registered_by.pk, "name": person.registered_by.name},
            "url": person_url(person.pk)}


def _pair_out(pair: DuplicateCandidate) -> dict[str, Any]:
    return {"id": pair.pk, "score": pair.score, "likely": pair.likely,  # type: ignore[attr-defined]
            "reasons": _reasons(pair.reasons), "a": _duplicate_person(pair.person_a),
            "b": _duplicate_person(pair.person_b),
            "mergeable": pair.mergeable, "found_at": pair.found_at}  # type: ignore[attr-defined]


def _merge_out(merge: PersonMerge) -> dict[str, Any]:
    return {"id": merge.pk, "survivor": merge.survivor_id, "merged": merge.merged_id,
            "organisation": {"id": merge.organisation.pk, "name": merge.organisation.name},
            "merged_at": merge.merged_at, "score": merge.score,
            "reasons": _reasons(merge.reasons),
            "moved": {key: len(rows) for key, rows in merge.moved.items()},
            "unmerged_at": merge.unmerged_at,
            "url": reverse("api:merge_get", kwargs={"merge_id": merge.pk})}


@router.get("/duplicates", response={200: DuplicatePage, **ERRORS}, url_name="duplicate_list",
            summary="Possible duplicates among the records you may see (data quality)",
            description="Pairs of records that may be the same person, most likely first. "
            "For data quality officers and care coordinators; 404 for any other role.")
def list_duplicates(request: HttpRequest, filters: Query[DuplicateQuery]) -> dict[str, Any]:
    page = selectors.duplicate_pairs(actor=actor_of(request), cursor=filters.cursor,
                                     size=filters.size)
    return {"items": [_pair_out(p) for p in page.items], "next_cursor": page.next_cursor}


@router.post("/duplicates/{pair_id}/dismiss", response={204: None, **ERRORS},
             url_name="duplicate_dismiss", summary="Mark a pair as two different people")
def dismiss_duplicate(request: HttpRequest, pair_id: uuid.UUID) -> Status[None]:
    services.duplicate_dismiss(actor=actor_of(request), pair_id=pair_id)
    return Status(204, None)


@router.post("/merges", response={201: MergeOut, 409: ProblemOut, **ERRORS},
             url_name="merge_create", summary="Merge one record into another (data quality)",
             description="Only for a data-quality role of the organisation that registered "
             "both records (404 otherwise). The merged record's identifiers, care team, "
             "consents, family and carers and timeline move to the record kept; undo with "
             "POST /merges/{id}/unmerge.")
def create_merge(request: HttpRequest, payload: MergeIn,
                 response: HttpResponse) -> Status[dict[str, Any]]:
    merge = services.person_merge(actor=actor_of(request), survivor_id=payload.survivor,
                                  merged_id=payload.merged)
    body = _merge_out(merge)
    response["Location"] = body["url"]
    return Status(201, body)


@router.get("/merges/{merge_id}", response={200: MergeOut, **ERRORS}, url_name="merge_get",
            summary="A merge and what moved")
def get_merge(request: HttpRequest, merge_id: uuid.UUID) -> dict[str, Any]:
    return _merge_out(selectors.merge_detail(actor=actor_of(request), merge_id=merge_id)["merge"])


@router.post("/merges/{merge_id}/unmerge", response={200: MergeOut, 409: ProblemOut, **ERRORS},
             url_name="merge_undo", summary="Undo a merge")
def undo_merge(request: HttpRequest, merge_id: uuid.UUID) -> dict[str, Any]:
    return _merge_out(services.person_unmerge(actor=actor_of(request), merge_id=merge_id))
