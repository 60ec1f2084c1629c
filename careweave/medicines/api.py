"""The medicines list under /api/v1/: read it, add, change and stop a medicine, see the
list as each organisation knows it, and confirm it (reconciliation).

Changes need If-Match: a medicine's ETag (its version) to change or stop it, the list's
ETag (``list_version``) to confirm the list. 428 without it, 412 when stale.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Header, Router
from ninja.errors import HttpError
from ninja.responses import Status

from careweave.access.gate import open_person
from careweave.core.api import ERRORS, ProblemOut, actor_of
from careweave.medicines import selectors, services
from careweave.medicines.models import Medicine
from careweave.medicines.schemas import (
    MedicineDetailOut,
    MedicineIn,
    MedicineListOut,
    MedicineOut,
    MedicinePatchIn,
    ReconcileIn,
    ReconciliationOut,
    StopIn,
)
from careweave.medicines.serializers import change_out, medicine_out, review_out
from careweave.people.api import PreconditionRequired, expected_version

router = Router(tags=["medicines"])
CHANGE = {200: MedicineOut, 409: ProblemOut, 412: ProblemOut, 428: ProblemOut, **ERRORS}


def _reload(m: Medicine) -> Medicine:
    return Medicine.objects.select_related("prescriber", "organisation").get(pk=m.pk)


@router.get("/people/{person_id}/medicines", response={200: MedicineListOut, **ERRORS},
            url_name="medicine_list", summary="The person's medicines: one shared list")
def list_medicines(request: HttpRequest, person_id: uuid.UUID,
                   response: HttpResponse) -> dict[str, Any]:
    person, _decision = open_person(actor_of(request), person_id, object_type="Medicine")
    rows = selectors.medicines_for(person)
    version = selectors.list_version_of(rows)
    response["ETag"] = f'W/"{version}"'
    return {"items": [medicine_out(m) for m in rows], "list_version": version,
            "last_review": review_out(selectors.last_review(person))}


@router.post("/people/{person_id}/medicines", response={201: MedicineOut, **ERRORS},
             url_name="medicine_create", summary="Add a medicine to the list")
def create_medicine(request: HttpRequest, person_id: uuid.UUID, payload: MedicineIn,
                    response: HttpResponse) -> Status[dict[str, Any]]:
    data = payload.model_dump()
    if data.get("prescriber_id") is not None:
        data["prescriber_id"] = str(data["prescriber_id"])
    m = services.medicine_add(actor=actor_of(request), person_id=person_id, data=data)
    response["ETag"] = m.etag
    response["Location"] = f"/api/v1/people/{person_id}/medicines/{m.pk}"
    return Status(201, medicine_out(_reload(m)))


@router.get("/people/{person_id}/medicines/reconciliation",
            response={200: ReconciliationOut, **ERRORS}, url_name="medicine_reconciliation",
            summary="The list as each organisation knows it, and the last review")
def get_reconciliation(request: HttpRequest, person_id: uuid.UUID,
                       response: HttpResponse) -> dict[str, Any]:
    person, _decision = open_person(actor_of(request), person_id,
                                    object_type="Reconciliation")
    view = selectors.reconciliation_view(person)
    response["ETag"] = f'W/"{view["list_version"]}"'
    rows = []
    for row in view["rows"]:
        rows.append({
            "medicine": medicine_out(row["medicine"]),
            "changed_since_review": row["unreviewed"],
            "organisations": [
                {"organisation": {"id": col["organisation"].pk,
                                  "name": col["organisation"].name},
                 "standing": cell["standing"], "knows": cell["knows"]}
                for col, cell in zip(view["columns"], row["cells"], strict=True)]})
    return {"rows": rows, "list_version": view["list_version"],
            "last_review": review_out(view["last"]), "unreviewed": view["unreviewed"]}


_LIST_ETAG = re.compile(r'^(?:W/)?"?([0-9a-f]{20})"?$')


@router.post("/people/{person_id}/medicines/reconciliation",
             response={201: ReconciliationOut, 412: ProblemOut, 428: ProblemOut, **ERRORS},
             url_name="medicine_reconcile", summary="Confirm the list as reviewed (a clinician; "
             "If-Match: the list's ETag)")
def reconcile(request: HttpRequest, person_id: uuid.UUID, payload: ReconcileIn,
              response: HttpResponse,
              if_match: str | None = Header(None, alias="If-Match"),  # noqa: B008
              ) -> Status[dict[str, Any]]:
    if not if_match or not if_match.strip():
        raise PreconditionRequired()
    match = _LIST_ETAG.match(if_match.strip())
    if match is None:
        raise HttpError(412, _("If-Match must be the list's ETag you read, like W/\"%(tag)s\".")
                        % {"tag": "0123456789abcdef0123"})
    services.medicines_reconcile(actor=actor_of(request), person_id=person_id,
                                 expected_list_version=match.group(1), note=payload.note)
    return Status(201, get_reconciliation(request, person_id, response))


@router.get("/people/{person_id}/medicines/{medicine_id}",
            response={200: MedicineDetailOut, **ERRORS}, url_name="medicine_get",
            summary="One medicine with its history")
def get_medicine(request: HttpRequest, person_id: uuid.UUID, medicine_id: uuid.UUID,
                 response: HttpResponse) -> dict[str, Any]:
    _person, _decision, m = selectors.medicine_detail(actor=actor_of(request),
                                                      person_id=person_id,
                                                      medicine_id=medicine_id)
    response["ETag"] = m.etag
    return {**medicine_out(m), "history": [change_out(c) for c in selectors.history(m)]}


@router.patch("/people/{person_id}/medicines/{medicine_id}", response=CHANGE,
              url_name="medicine_update", summary="Change a medicine (If-Match required)")
def update_medicine(request: HttpRequest, person_id: uuid.UUID, medicine_id: uuid.UUID,
                    payload: MedicinePatchIn, response: HttpResponse,
                    if_match: str | None = Header(None, alias="If-Match"),  # noqa: B008
                    ) -> dict[str, Any]:
    version = expected_version(if_match)
    changes = payload.model_dump(exclude_unset=True, exclude={"reason"})
    if changes.get("prescriber_id") is not None:
        changes["prescriber_id"] = str(changes["prescriber_id"])
    m = services.medicine_change(actor=actor_of(request), person_id=person_id,
                                 medicine_id=medicine_id, changes=changes,
                                 reason=payload.reason, expected_version=version)
    response["ETag"] = m.etag
    return medicine_out(_reload(m))


@router.post("/people/{person_id}/medicines/{medicine_id}/stop", response=CHANGE,
             url_name="medicine_stop", summary="Stop a medicine, with a reason (If-Match "
             "required)")
def stop_medicine(request: HttpRequest, person_id: uuid.UUID, medicine_id: uuid.UUID,
                  payload: StopIn, response: HttpResponse,
                  if_match: str | None = Header(None, alias="If-Match"),  # noqa: B008
                  ) -> dict[str, Any]:
    version = expected_version(if_match)
    m = services.medicine_stop(actor=actor_of(request), person_id=person_id,
                               medicine_id=medicine_id, stopped=payload.stopped,
                               reason=payload.reason, expected_version=version)
    response["ETag"] = m.etag
    return medicine_out(_reload(m))
