"""Every API read and write of a person is audited exactly once, with the right person and
outcome; refusals are audited as denied; failed writes leave no trace of success."""

from __future__ import annotations

import pytest

from careweave.audit.models import AuditEvent
from careweave.orgs.models import Organisation

pytestmark = pytest.mark.django_db


def events_after(last_id: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(id__gt=last_id).order_by("id"))


def last_event_id() -> int:
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def test_n_calls_make_n_audit_rows(api_as, person_named) -> None:  # noqa: ANN001
    arthur = person_named("Arthur", "Penrose")
    api = api_as("gp.uk")
    hillside = Organisation.objects.get(name="Hillside Medical Practice")
    start = last_event_id()
    calls = [
        ("read", lambda: api.get(f"/people/{arthur.pk}")),
        ("read", lambda: api.get(f"/people/{arthur.pk}/care-team")),
        ("read", lambda: api.get(f"/people/{arthur.pk}/consents")),
        ("read", lambda: api.get(f"/people/{arthur.pk}/access-log")),
        ("update", lambda: api.patch(f"/people/{arthur.pk}", {"town": "Northshire"},
                                     HTTP_IF_MATCH=f'W/"{arthur.version}"')),
        ("update", lambda: api.post(f"/people/{arthur.pk}/care-team",
                                    {"organisation_id": str(hillside.pk), "role": "GP"})),
        ("update", lambda: api.post(f"/people/{arthur.pk}/consents",
                                    {"purpose": "direct_care", "decision": "permit"})),
    ]
    for _action, call in calls:
        response = call()
        assert response.status_code in (200, 201), response.content
    events = events_after(start)
    assert [e.action for e in events] == [action for action, _call in calls]
    assert {e.person_id for e in events} == {arthur.pk}
    assert {e.outcome for e in events} == {"allowed"}
    assert {(e.username, e.channel) for e in events} == {("gp.uk", "api")}
    assert len({e.request_id for e in events}) == len(calls)

    # A caseload search is one event too, about nobody in particular.
    start = last_event_id()
    api.get("/people?q=penrose")
    [search] = events_after(start)
    assert (search.action, search.person_id, search.outcome) == ("search", None, "allowed")


def test_a_refusal_is_one_denied_row(api_as, person_named) -> None:  # noqa: ANN001
    arthur = person_named("Arthur", "Penrose")
    api = api_as("outsider.uk")
    for call in (
        lambda: api.get(f"/people/{arthur.pk}"),
        lambda: api.get(f"/people/{arthur.pk}/consents"),
        lambda: api.patch(f"/people/{arthur.pk}", {"town": "X"}, HTTP_IF_MATCH='W/"1"'),
        lambda: api.post(f"/people/{arthur.pk}/care-team", {"role": "x"}),
    ):
        start = last_event_id()
        assert call().status_code == 404
        [event] = events_after(start)
        assert (event.person_id, event.outcome, event.username) == (
            arthur.pk, "denied", "outsider.uk")


def test_failed_writes_leave_no_allowed_rows(api_as, person_named) -> None:  # noqa: ANN001
    arthur = person_named("Arthur", "Penrose")
    api = api_as("gp.uk")
    start = last_event_id()
    assert api.patch(f"/people/{arthur.pk}", {"town": "X"},
                     HTTP_IF_MATCH='W/"99"').status_code == 412
    assert api.patch(f"/people/{arthur.pk}", {"birth_date": "2999-01-01"},
                     HTTP_IF_MATCH='W/"1"').status_code == 422
    assert api.patch(f"/people/{arthur.pk}", {"town": "X"}).status_code == 428
    assert api.post("/people", {"given_name": "A"}).status_code == 422
    assert events_after(start) == []
