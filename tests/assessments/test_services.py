"""Recording assessments through the services: scoring stored with its version, the safety
flag and its notification, who may see what (service, page and API), bad input leaving
nothing behind, replays, corrections, immutability, the latest score and the team view."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from careweave.access.gate import AccessDenied
from careweave.assessments import rules, selectors, services
from careweave.assessments.models import (
    Assessment,
    LatestScore,
    Notification,
    SafetyFlag,
)
from careweave.audit.models import AuditEvent
from careweave.core.errors import DuplicateRecord, StaleVersion, ValidationFailed
from careweave.people.models import TimelineEntry
from tests.support import assert_problem, sign_in

pytestmark = pytest.mark.django_db

FREQ = ["LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9"]


def phq9(values: list[int]) -> dict[str, str]:
    return {f"q{i}": FREQ[v] for i, v in enumerate(values, start=1)}


def counts() -> tuple[int, int, int, int]:
    return (Assessment.objects.count(), SafetyFlag.objects.count(),
            Notification.objects.count(), LatestScore.objects.count())


@pytest.fixture
def gp(actor_for):  # noqa: ANN001, ANN201
    return actor_for("gp.uk")


# -- recording and scoring ---------------------------------------------------------------------


def test_a_phq9_is_scored_and_stores_its_scoring_version(gp, maya) -> None:  # noqa: ANN001
    row, created = services.assessment_record(actor=gp, person_id=maya.pk, instrument="phq9",
                                              answers=phq9([2, 2, 1, 1, 1, 1, 1, 1, 0]))
    assert created and row.status == rules.SUBMITTED
    assert (row.total, row.band, row.scoring_version) == (10, "moderate", "sum/1 phq9@1.0.0")
    assert row.instrument_version.version == "1.0.0"
    assert SafetyFlag.objects.filter(assessment=row).count() == 0
    latest = LatestScore.objects.get(person=maya, instrument__code="phq9")
    # compared with the demo's last PHQ-9 of 5: up 5, not reliable
    assert (latest.total, latest.change, latest.assessment_id) == (10, "no_reliable_change",
                                                                   row.pk)
    event = AuditEvent.objects.filter(object_type="Assessment", object_id=str(row.pk)).last()
    assert event is not None and event.detail["scoring_version"] == "sum/1 phq9@1.0.0"
    assert TimelineEntry.objects.filter(person_id=maya.pk,
                                        kind="assessments.recorded_professional").exists()


def test_item_9_above_0_raises_a_flag_the_team_sees_and_notifies_the_mental_health_lead(
        actor_for, maya, client) -> None:  # noqa: ANN001
    gp = actor_for("gp.uk")
    row, _c = services.assessment_record(actor=gp, person_id=maya.pk, instrument="phq9",
                                         answers=phq9([1] * 8 + [2]))
    flag = SafetyFlag.objects.get(assessment=row)
    assert (flag.code, flag.status) == ("self_harm", rules.OPEN)
    note = Notification.objects.get(flag=flag)
    mh = actor_for("mh.uk")
    assert note.recipient == mh.membership and note.why == "mental_health_lead"
    assert AuditEvent.objects.filter(object_type="SafetyFlag", object_id=str(flag.pk)).exists()
    assert AuditEvent.objects.filter(object_type="Notification", object_id=str(note.pk)).exists()
    # the mental-health lead sees it in their notifications, the banner and the caseload
    assert note.pk in [n.pk for n in selectors.notifications(actor=mh).items]
    sign_in(client, "mh.uk")
    page = client.get(f"/people/{maya.pk}/").content.decode()
    assert 'data-banner="assessments.safety"' in page
    caseload = client.get("/caseload/?q=okafor").content.decode()
    assert 'data-flag="assessments.safety"' in caseload
    # ... and so does the GP (on the team); the social worker Maya objected to, nothing
    sign_in(client, "gp.uk")
    assert 'data-banner="assessments.safety"' in client.get(f"/people/{maya.pk}/").content.decode()
    sw = actor_for("sw.uk")
    with pytest.raises(AccessDenied):
        selectors.flag_for(actor=sw, person_id=maya.pk, flag_id=flag.pk)
    sign_in(client, "sw.uk")
    assert client.get(f"/people/{maya.pk}/assessments/{row.pk}/").status_code == 404
    assert client.get(f"/people/{maya.pk}/safety-flags/{flag.pk}/review/").status_code == 404
    # a user outside the team sees nothing
    sign_in(client, "outsider.uk")
    assert client.get(f"/people/{maya.pk}/assessments/").status_code == 404
    assert client.get(f"/people/{maya.pk}/assessments/trend/phq9/").status_code == 404
    assert selectors.notifications(actor=actor_for("outsider.uk")).items == []


def test_the_flag_stays_until_a_clinician_records_a_review(actor_for, maya, client) -> None:  # noqa: ANN001
    gp = actor_for("gp.uk")
    row, _c = services.assessment_record(actor=gp, person_id=maya.pk, instrument="phq9",
                                         answers=phq9([0] * 8 + [1]))
    flag = SafetyFlag.objects.get(assessment=row)
    with pytest.raises(ValidationFailed):
        services.flag_review(actor=gp, person_id=maya.pk, flag_id=flag.pk, note="ok")
    with pytest.raises(StaleVersion):
        services.flag_review(actor=gp, person_id=maya.pk, flag_id=flag.pk,
                             note="Seen today, no plan or intent.", expected_version=7)
    sign_in(client, "mh.uk")
    response = client.post(f"/people/{maya.pk}/safety-flags/{flag.pk}/review/",
                           {"note": "Seen today with her coordinator: no plan or intent.",
                            "version": "1"})
    assert response.status_code == 302
    flag.refresh_from_db()
    assert flag.status == rules.REVIEWED and flag.reviewed_by == actor_for("mh.uk").membership
    assert Notification.objects.get(flag=flag).read_at is not None
    assert 'data-banner="assessments.safety"' not in client.get(
        f"/people/{maya.pk}/").content.decode()
    assert TimelineEntry.objects.filter(kind="assessments.flag_reviewed").exists()


def test_a_care_worker_may_not_review_a_flag(actor_for, arthur) -> None:  # noqa: ANN001
    gp = actor_for("gp.uk")
    row, _c = services.assessment_record(actor=gp, person_id=arthur.pk, instrument="phq9",
                                         answers=phq9([0] * 8 + [1]))
    flag = SafetyFlag.objects.get(assessment=row)
    with pytest.raises(AccessDenied):
        services.flag_review(actor=actor_for("home.uk"), person_id=arthur.pk, flag_id=flag.pk,
                             note="Looked fine to me.")
    with pytest.raises(AccessDenied):
        services.flag_review(actor=actor_for("sw.uk"), person_id=arthur.pk, flag_id=flag.pk,
                             note="A social worker is not a clinician.")


def test_without_a_mental_health_team_the_registering_organisation_is_told(actor_for, arthur
                                                                            ) -> None:  # noqa: ANN001
    row, _c = services.assessment_record(actor=actor_for("gp.uk"), person_id=arthur.pk,
                                         instrument="phq9", answers=phq9([0] * 8 + [3]))
    note = Notification.objects.get(flag__assessment=row)
    assert note.recipient is None and note.organisation == arthur.registered_by
    assert note.why == "registering_organisation"
    # every professional of that organisation sees it; the care home's care worker does not
    assert note.pk in [n.pk for n in selectors.notifications(actor=actor_for("gp.uk")).items]
    assert selectors.notifications(actor=actor_for("home.uk")).items == []


@pytest.mark.django_db(transaction=True)
def test_the_notification_email_goes_out_through_the_task_worker(actor_for, maya, mailoutbox  # noqa: ANN001
                                                                  ) -> None:
    from careweave.demo.loader import load_demo

    load_demo(reset=True, log=lambda _m: None)
    services.ensure_shipped()
    from careweave.people.models import Person

    maya = Person.objects.get(given_name="Maya")
    services.assessment_record(actor=actor_for("gp.uk"), person_id=maya.pk, instrument="phq9",
                               answers=phq9([0] * 8 + [1]))
    note = Notification.objects.filter(flag__isnull=False).exclude(recipient=None).latest(
        "created_at")
    call_command("db_worker", "--batch", "--no-startup-delay")
    note.refresh_from_db()
    assert note.emailed_at is not None
    sent = [m for m in mailoutbox if "risk answer" in m.subject]
    assert sent and sent[-1].to == [note.recipient.user.email]
    assert "Okafor" not in sent[-1].body and "Maya" not in sent[-1].body


# -- who may see what -------------------------------------------------------------------------

# (actor, sees Arthur's PHQ-9, sees Arthur's holistic needs assessment)
VISIBILITY = [
    ("gp.uk", True, True),  # registering organisation, clinician
    ("sw.uk", True, True),  # care team (coordination consent), a professional
    ("home.uk", False, True),  # care team, a care worker: not the clinical instruments
    ("outsider.uk", False, False),  # not on the team
    ("privacy.uk", False, False),  # no record access
    ("records.uk", False, False),  # reads records for duplicates, never assessments
]


@pytest.fixture
def arthur_rows(actor_for, arthur):  # noqa: ANN001, ANN201
    gp = actor_for("gp.uk")
    phq, _c = services.assessment_record(actor=gp, person_id=arthur.pk, instrument="phq9",
                                         answers=phq9([1] * 9))
    hna, _c = services.assessment_record(actor=gp, person_id=arthur.pk,
                                         instrument="careweave_hna",
                                         answers={"what_matters": "Cricket on the radio"})
    return phq, hna


@pytest.mark.parametrize("username,sees_phq,sees_hna", VISIBILITY)
def test_visibility_through_the_service(username, sees_phq, sees_hna, actor_for, arthur,  # noqa: ANN001
                                        arthur_rows) -> None:
    phq, hna = arthur_rows
    actor = actor_for(username)
    for row, sees in ((phq, sees_phq), (hna, sees_hna)):
        if sees:
            assert selectors.assessment_detail(actor=actor, person_id=arthur.pk,
                                               assessment_id=row.pk).assessment.pk == row.pk
        else:
            with pytest.raises(AccessDenied):
                selectors.assessment_detail(actor=actor, person_id=arthur.pk,
                                            assessment_id=row.pk)


@pytest.mark.parametrize("username,sees_phq,sees_hna", VISIBILITY)
def test_visibility_through_the_pages(username, sees_phq, sees_hna, client, arthur,  # noqa: ANN001
                                      arthur_rows) -> None:
    phq, hna = arthur_rows
    sign_in(client, username, org="Riverside Surgery" if username == "privacy.uk" else None)
    for row, sees in ((phq, sees_phq), (hna, sees_hna)):
        response = client.get(f"/people/{arthur.pk}/assessments/{row.pk}/")
        assert response.status_code == (200 if sees else 404), (username, row.instrument_id)
    listing = client.get(f"/people/{arthur.pk}/assessments/")
    if sees_hna:
        page = listing.content.decode()
        assert (f"/assessments/{phq.pk}/" in page) == sees_phq
        assert f"/assessments/{hna.pk}/" in page
    else:
        assert listing.status_code == 404


@pytest.mark.parametrize("username,sees_phq,sees_hna", VISIBILITY)
def test_visibility_through_the_api(username, sees_phq, sees_hna, api_as, arthur,  # noqa: ANN001
                                    arthur_rows) -> None:
    phq, hna = arthur_rows
    api = api_as(username, org="Riverside Surgery" if username == "privacy.uk" else None)
    for row, sees in ((phq, sees_phq), (hna, sees_hna)):
        response = api.get(f"/people/{arthur.pk}/assessments/{row.pk}")
        assert response.status_code == (200 if sees else 404)
    listing = api.get(f"/people/{arthur.pk}/assessments")
    if sees_hna:
        ids = {item["id"] for item in listing.json()["items"]}
        assert (str(phq.pk) in ids) == sees_phq and str(hna.pk) in ids
    else:
        assert_problem(listing, 404)


def test_a_care_worker_may_not_record_a_clinical_instrument(actor_for, arthur) -> None:  # noqa: ANN001
    home = actor_for("home.uk")
    before = counts()
    with pytest.raises(AccessDenied):
        services.assessment_record(actor=home, person_id=arthur.pk, instrument="phq9",
                                   answers=phq9([0] * 9))
    row, _c = services.assessment_record(actor=home, person_id=arthur.pk,
                                         instrument="loneliness3", answers={
                                             "companionship": "often", "left_out": "often",
                                             "isolated": "hardly_ever"})
    assert row.total == 7 and counts()[0] == before[0] + 1


def test_break_glass_reads_and_never_records(actor_for, arthur, arthur_rows) -> None:  # noqa: ANN001
    from careweave.access.services import break_glass_start

    outsider = actor_for("outsider.uk")
    break_glass_start(actor=outsider, person_id=arthur.pk,
                      reason="Seen in A&E after a fall, needs history.")
    phq, _hna = arthur_rows
    assert selectors.assessment_detail(actor=outsider, person_id=arthur.pk,
                                       assessment_id=phq.pk).assessment.pk == phq.pk
    with pytest.raises(AccessDenied):
        services.assessment_record(actor=outsider, person_id=arthur.pk, instrument="phq9",
                                   answers=phq9([0] * 9))


# -- bad input: clear errors, nothing stored ----------------------------------------------------

BAD = [
    ("an answer not in the options", {"answers": {**phq9([0] * 9), "q3": "LA0000-0"}}, "q3"),
    ("a missing required item", {"answers": phq9([0] * 8)}, "q9"),
    ("a question that does not exist", {"answers": {**phq9([0] * 9), "q99": FREQ[0]}},
     "q99"),
    ("an unknown instrument version", {"answers": phq9([0] * 9), "version": "9.9"}, "version"),
    ("an unknown instrument", {"answers": phq9([0] * 9), "instrument": "beck"}, "instrument"),
    ("a date in the future", {"answers": phq9([0] * 9),
                              "taken_on": dt.date.today() + dt.timedelta(days=3)}, "taken_on"),
    ("a date before 1900", {"answers": phq9([0] * 9), "taken_on": "1850-01-01"}, "taken_on"),
    ("an impossible date", {"answers": phq9([0] * 9), "taken_on": "2026-02-30"}, "taken_on"),
    ("a language the instrument lacks", {"answers": phq9([0] * 9), "language": "fi"},
     "language"),
    ("a huge text", {"instrument": "careweave_hna", "answers": {"what_matters": "ö" * 100_000}},
     "what_matters"),
    ("a NUL in text", {"instrument": "careweave_hna", "answers": {"what_matters": "a\x00b"}},
     "what_matters"),
    ("answers that are not an object", {"answers": ["q1"]}, "answers"),
]


@pytest.mark.parametrize("what,kwargs,field", BAD, ids=[c[0] for c in BAD])
def test_bad_input_is_refused_and_nothing_is_stored(what, kwargs, field, gp, maya) -> None:  # noqa: ANN001
    before = counts()
    audit_before = AuditEvent.objects.count()
    with pytest.raises(ValidationFailed) as refused:
        services.assessment_record(actor=gp, person_id=maya.pk,
                                   **{"instrument": "phq9", **kwargs})
    assert field in refused.value.errors
    assert counts() == before
    assert AuditEvent.objects.count() == audit_before


def test_swedish_free_text_is_kept_as_written(actor_for, person_named) -> None:  # noqa: ANN001
    karim = person_named("Karim", "Haddad")
    row, _c = services.assessment_record(
        actor=actor_for("gp.se"), person_id=karim.pk, instrument="careweave_hna",
        language="sv", answers={"what_matters": "  Att förstå läkarna, och min fru Åsa.  ",
                                "money": "a_lot"})
    assert row.answers["what_matters"] == "Att förstå läkarna, och min fru Åsa."
    assert row.result["concerns"] == ["money"] and row.language == "sv"


def test_a_replay_with_the_same_key_stores_nothing_twice(gp, maya) -> None:  # noqa: ANN001
    answers = phq9([1] * 8 + [1])
    first, created = services.assessment_record(actor=gp, person_id=maya.pk, instrument="phq9",
                                                answers=answers, idempotency_key="k-1")
    before = counts()
    again, created_again = services.assessment_record(
        actor=gp, person_id=maya.pk, instrument="phq9", answers=answers,
        idempotency_key="k-1")
    assert created and not created_again and again.pk == first.pk
    assert counts() == before  # one assessment, one flag, its notifications
    with pytest.raises(DuplicateRecord):
        services.assessment_record(actor=gp, person_id=maya.pk, instrument="phq9",
                                   answers=phq9([0] * 9), idempotency_key="k-1")
    assert counts() == before


def test_an_incomplete_phq9_is_prorated_or_stored_unscored_with_the_reason(gp, maya) -> None:  # noqa: ANN001
    one_missing = phq9([2] * 9)
    del one_missing["q1"]
    row, _c = services.assessment_record(actor=gp, person_id=maya.pk, instrument="phq9",
                                         answers=one_missing)
    assert (row.total, row.prorated, row.result["missing"]) == (18, True, ["q1"])
    two_missing = dict(one_missing)
    del two_missing["q2"]
    row, _c = services.assessment_record(actor=gp, person_id=maya.pk, instrument="phq9",
                                         answers=two_missing)
    assert row.total is None and row.unscored_reason == "too_many_missing"
    assert row.scoring_version == "sum/1 phq9@1.0.0"
    # the unscored one does not replace the latest score
    assert LatestScore.objects.get(person=maya, instrument__code="phq9").total == 18


# -- drafts, corrections, immutability -----------------------------------------------------------


def test_a_draft_is_saved_resumed_and_submitted(gp, maya) -> None:  # noqa: ANN001
    draft, created = services.assessment_start(actor=gp, person_id=maya.pk, instrument="gad7",
                                               idempotency_key="start-1")
    again, created_again = services.assessment_start(actor=gp, person_id=maya.pk,
                                                     instrument="gad7",
                                                     idempotency_key="start-1")
    assert created and not created_again and again.pk == draft.pk
    services.assessment_save(actor=gp, person_id=maya.pk, assessment_id=draft.pk,
                             answers={"q1": FREQ[3], "q2": FREQ[3]}, page=1)
    with pytest.raises(ValidationFailed):
        services.assessment_save(actor=gp, person_id=maya.pk, assessment_id=draft.pk,
                                 answers={"q3": "nonsense"})
    draft.refresh_from_db()
    assert draft.answers == {"q1": FREQ[3], "q2": FREQ[3]} and draft.status == rules.DRAFT
    # another organisation cannot see or change the draft
    with pytest.raises(AccessDenied):
        services.assessment_save(actor=pytest.importorskip("tests.conftest") and
                                 _actor("mh.uk"), person_id=maya.pk, assessment_id=draft.pk,
                                 answers={"q3": FREQ[0]})
    services.assessment_save(actor=gp, person_id=maya.pk, assessment_id=draft.pk,
                             answers={f"q{i}": FREQ[1] for i in range(3, 8)}, page=2)
    row, submitted = services.assessment_submit(actor=gp, person_id=maya.pk,
                                                assessment_id=draft.pk)
    assert submitted and (row.total, row.band) == (11, "moderate")
    # a second submit (a double click) changes nothing
    again_row, again_submitted = services.assessment_submit(actor=gp, person_id=maya.pk,
                                                            assessment_id=draft.pk)
    assert not again_submitted and again_row.total == 11


def _actor(username: str):  # noqa: ANN202
    from django.contrib.auth import get_user_model

    from careweave.core.context import Actor
    from careweave.orgs.models import Membership

    user = get_user_model().objects.get(username=username)
    return Actor(user=user, membership=Membership.objects.filter(user=user).first())


def test_a_correction_is_a_new_version_and_both_are_kept(gp, maya) -> None:  # noqa: ANN001
    first, _c = services.assessment_record(actor=gp, person_id=maya.pk, instrument="phq9",
                                           answers=phq9([3] * 8 + [0]))
    assert first.total == 24
    with pytest.raises(ValidationFailed):
        services.assessment_correct(actor=gp, person_id=maya.pk, assessment_id=first.pk,
                                    answers=phq9([1] * 8 + [0]), reason="", expected_version=1)
    fixed = services.assessment_correct(actor=gp, person_id=maya.pk, assessment_id=first.pk,
                                        answers=phq9([1] * 8 + [0]),
                                        reason="Entered the wrong column on paper.",
                                        expected_version=1)
    first.refresh_from_db()
    assert (first.total, fixed.total, fixed.version, fixed.corrects_id) == (24, 8, 2, first.pk)
    assert fixed.correction_reason == "Entered the wrong column on paper."
    with pytest.raises(StaleVersion):
        services.assessment_correct(actor=gp, person_id=maya.pk, assessment_id=first.pk,
                                    answers=phq9([2] * 8 + [0]), reason="Again, stale.",
                                    expected_version=1)
    detail = selectors.assessment_detail(actor=gp, person_id=maya.pk, assessment_id=first.pk)
    assert [h.version for h in detail.history] == [1, 2] and detail.current.pk == fixed.pk
    latest = LatestScore.objects.get(person=maya, instrument__code="phq9")
    assert latest.assessment_id == fixed.pk and latest.total == 8
    page = selectors.assessments_page(actor=gp, person=maya, decision=None, size=100)
    ids = [r.pk for r in page.items]
    assert fixed.pk in ids and first.pk not in ids
    # another organisation on the team may not correct it
    from careweave.core.errors import NotPermitted

    with pytest.raises(NotPermitted):
        services.assessment_correct(actor=_actor("mh.uk"), person_id=maya.pk,
                                    assessment_id=fixed.pk, answers=phq9([0] * 9),
                                    reason="Not ours to correct.", expected_version=2)


def test_a_submitted_assessment_is_never_changed_in_place(gp, maya) -> None:  # noqa: ANN001
    row, _c = services.assessment_record(actor=gp, person_id=maya.pk, instrument="phq9",
                                         answers=phq9([1] * 9))
    row.total = 0
    with pytest.raises(TypeError):
        row.save()
    if connection.vendor == "postgresql":
        from django.db import DatabaseError, transaction

        with pytest.raises(DatabaseError, match="never changed in place"), \
                transaction.atomic():
            Assessment.objects.filter(pk=row.pk).update(total=0)
        # moving it to another record (a merge) is the one change allowed
        with transaction.atomic():
            Assessment.objects.filter(pk=row.pk).update(person_id=maya.pk)
    row.refresh_from_db()
    assert row.total == 9


# -- the latest score and the team view ---------------------------------------------------------


@pytest.fixture
def fresh(demo):  # noqa: ANN001, ANN201
    """Someone on Riverside's caseload with no assessments yet."""
    from careweave.people.models import Person

    return (Person.objects.filter(registered_by__name="Riverside Surgery", country="GB")
            .exclude(pk__in=Assessment.objects.values("person_id"))
            .order_by("sort_name").first())


def test_a_reliable_deterioration_reaches_the_team_view(gp, fresh) -> None:  # noqa: ANN001
    maya = fresh
    today = timezone.localdate()
    services.assessment_record(actor=gp, person_id=maya.pk, instrument="phq9",
                               taken_on=today - dt.timedelta(days=30), answers=phq9([0] * 9))
    assert not any(r.person_id == maya.pk and r.instrument.code == "phq9"
                   for r in selectors.team_view(actor=gp, size=100).items)
    services.assessment_record(actor=gp, person_id=maya.pk, instrument="phq9",
                               taken_on=today, answers=phq9([1] * 6 + [0] * 3))
    rows = [r for r in selectors.team_view(actor=gp, size=100).items
            if r.person_id == maya.pk and r.instrument.code == "phq9"]
    assert len(rows) == 1 and rows[0].deteriorated and rows[0].previous_total == 0
    # overdue: the GAD-7 from two months ago
    services.assessment_record(actor=gp, person_id=maya.pk, instrument="gad7",
                               taken_on=today - dt.timedelta(days=60),
                               answers={f"q{i}": FREQ[0] for i in range(1, 8)})
    rows = [r for r in selectors.team_view(actor=gp, size=100).items
            if r.person_id == maya.pk and r.instrument.code == "gad7"]
    assert len(rows) == 1 and not rows[0].deteriorated
    # nobody outside Maya's team finds her there
    assert not any(r.person_id == maya.pk for r in selectors.team_view(
        actor=_actor("outsider.uk"), size=100).items)


def test_the_team_view_page_is_keyset_paged(client, gp, maya) -> None:  # noqa: ANN001
    sign_in(client, "gp.uk")
    response = client.get("/assessments/follow-up/")
    assert response.status_code == 200
    assert client.get("/assessments/follow-up/?cursor=garbage").status_code == 200
    sign_in(client, "privacy.uk", org="Riverside Surgery")
    assert "Nobody to follow up" in client.get("/assessments/follow-up/").content.decode()


def test_the_person_page_query_count_does_not_grow_with_assessments(
        client, gp, maya, django_assert_max_num_queries) -> None:  # noqa: ANN001
    sign_in(client, "gp.uk")
    services.assessment_record(actor=gp, person_id=maya.pk, instrument="phq9",
                               answers=phq9([0] * 8 + [1]))
    client.get(f"/people/{maya.pk}/")
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert client.get(f"/people/{maya.pk}/").status_code == 200
    for n in range(6):
        services.assessment_record(actor=gp, person_id=maya.pk, instrument="gad7",
                                   taken_on=timezone.localdate() - dt.timedelta(days=n),
                                   answers={f"q{i}": FREQ[n % 4] for i in range(1, 8)})
        services.assessment_record(actor=gp, person_id=maya.pk, instrument="phq9",
                                   answers=phq9([0] * 8 + [1]))
    with django_assert_max_num_queries(len(few)):
        assert client.get(f"/people/{maya.pk}/").status_code == 200


def test_a_merge_moves_assessments_and_recomputes_the_latest_scores(gp, maya, arthur) -> None:  # noqa: ANN001
    from careweave.assessments.merging import _refresh

    services.assessment_record(actor=gp, person_id=arthur.pk, instrument="phq9",
                               answers=phq9([1] * 9))
    from careweave.core.registry import registry

    handler = registry.merge_handler_of("assessments.assessments")
    assert handler is not None
    arthurs = Assessment.objects.filter(person=arthur).count()
    moved = handler.move(arthur.pk, maya.pk)
    assert len(moved) == arthurs
    assert LatestScore.objects.filter(person=maya, instrument__code="phq9").exists()
    assert not LatestScore.objects.filter(person=arthur).exists()
    assert handler.restore(maya.pk, arthur.pk, moved) == arthurs
    _refresh(arthur.pk, maya.pk)
    assert LatestScore.objects.get(person=arthur, instrument__code="phq9").total == 9
