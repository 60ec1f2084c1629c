"""The plan's services: what they write, what they refuse, and that a refusal leaves nothing
half-written."""

from __future__ import annotations

import datetime as dt
import unicodedata

import pytest
from django.utils import timezone

from careweave.access.gate import AccessDenied
from careweave.audit.models import AuditEvent
from careweave.core.errors import DuplicateRecord, NotPermitted, StaleVersion, ValidationFailed
from careweave.people.models import TimelineEntry
from careweave.plans import selectors, services
from careweave.plans.models import (
    CrisisPlan,
    Goal,
    GoalRating,
    OrganisationAgreement,
    Plan,
    PlanAction,
    PlanChange,
    PlanVersion,
    Review,
)
from tests.plans.helpers import add_action, add_goal, agree, fresh, goal_data, new_plan, plan_of

pytestmark = pytest.mark.django_db


def counts(plan: Plan) -> tuple[int, ...]:
    return (Goal.objects.filter(plan=plan).count(), PlanAction.objects.filter(plan=plan).count(),
            PlanVersion.objects.filter(plan=plan).count(), Review.objects.filter(plan=plan).count(),
            PlanChange.objects.filter(plan=plan).count(), fresh(plan).version)


@pytest.fixture
def asa_plan(asa, actor_for, org):  # noqa: ANN001, ANN201
    """A new SIP for Åsa Öberg: her consent to coordination covers the whole care team."""
    return new_plan(actor_for("gp.se"), asa, plan_type="sip",
                    coordinating=org("Vårdcentralen Nordstan"))


# -- a plan's life ----------------------------------------------------------------------------


def test_agreeing_freezes_a_version_and_a_later_change_makes_a_draft(asa_plan, actor_for,
                                                                     org) -> None:  # noqa: ANN001
    gp = actor_for("gp.se")
    goal = add_goal(gp, asa_plan)
    add_action(gp, asa_plan, org("Hemtjänst Centrum"), goal_id=goal.pk)
    assert fresh(asa_plan).status == Plan.Status.DRAFT and asa_plan.agreed_version == 0
    first = agree(gp, asa_plan)
    assert (first.number, fresh(asa_plan).status) == (1, Plan.Status.AGREED)
    assert first.snapshot["goals"][0]["own_words"] == goal.own_words

    services.goal_update(actor=gp, person_id=asa_plan.person_id, plan_id=asa_plan.pk,
                         goal_id=goal.pk, expected_version=fresh(asa_plan).version,
                         changes={"own_words": "Jag vill gå till affären och till kyrkan."},
                         reason="Åsa lade till kyrkan")
    assert fresh(asa_plan).status == Plan.Status.DRAFT
    second = agree(gp, asa_plan, given_by="representative", representative_name="Lena Öberg",
                   method="written")
    assert second.number == 2 and fresh(asa_plan).agreed_version == 2
    kept = {v.number: v.snapshot["goals"][0]["own_words"] for v in asa_plan.versions.all()}
    assert kept == {1: "Jag vill gå till affären själv.",
                    2: "Jag vill gå till affären och till kyrkan."}
    assert TimelineEntry.objects.filter(person_id=asa_plan.person_id,
                                        kind="plans.agreed").count() == 2


def test_a_status_change_or_a_follow_up_does_not_make_a_draft(actor_for, person_named) -> None:  # noqa: ANN001, E501
    astrid = person_named("Astrid", "Lindqvist")
    plan = plan_of(astrid)
    assert plan.status == Plan.Status.AGREED
    action = PlanAction.objects.filter(plan=plan, status="planned").first()
    owner = "gp.se" if action.organisation.name.startswith("Vård") else "sw.se"
    services.action_transition(actor=actor_for(owner), person_id=astrid.pk, plan_id=plan.pk,
                               action_id=action.pk, expected_version=plan.version,
                               status="in_progress")
    goals = list(Goal.objects.filter(plan=plan))
    services.review_record(actor=actor_for("gp.se"), person_id=astrid.pk, plan_id=plan.pk,
                           expected_version=fresh(plan).version, held_on=timezone.localdate(),
                           ratings=[{"goal_id": goals[0].pk, "professional_score": 1}],
                           next_follow_up=timezone.localdate() + dt.timedelta(days=30))
    plan = fresh(plan)
    assert plan.status == Plan.Status.AGREED
    assert plan.follow_up_date == timezone.localdate() + dt.timedelta(days=30)


# -- bad input: a clear error and nothing half-written ---------------------------------------


def test_one_open_plan_per_type(astrid, actor_for, org) -> None:  # noqa: ANN001
    before = Plan.objects.count()
    with pytest.raises(DuplicateRecord) as caught:
        new_plan(actor_for("gp.se"), astrid, plan_type="sip",
                 coordinating=org("Vårdcentralen Nordstan"))
    assert "plan_type" in caught.value.errors
    assert Plan.objects.count() == before
    # another type is fine
    new_plan(actor_for("gp.se"), astrid, plan_type="care_support",
             coordinating=org("Göteborgs Stad socialtjänst"))


@pytest.mark.parametrize("plan_type", ["", "SIP ", "plan", "<b>sip</b>", None])
def test_an_unknown_plan_type(asa, actor_for, org, plan_type) -> None:  # noqa: ANN001
    before = Plan.objects.count()
    with pytest.raises(ValidationFailed) as caught:
        new_plan(actor_for("gp.se"), asa, plan_type=plan_type,
                 coordinating=org("Vårdcentralen Nordstan"))
    assert "plan_type" in caught.value.errors and Plan.objects.count() == before


@pytest.mark.parametrize("field,value", [
    ("own_words", "x" * 1001), ("own_words", "   "), ("own_words", "\u200b\u200b\u200b"),
    ("own_words", "a" * 100_000), ("measurable", ""), ("level_0", "y" * 301),
    ("own_words", "Bad \ufffd bytes"), ("own_words", "nul\x00"),
    ("target_date", dt.date(1899, 12, 31)), ("target_date", dt.date(2999, 1, 1)),
    ("target_date", "31/12/2026"), ("kind", "most important"),
])
def test_bad_goals_are_refused_and_nothing_is_saved(asa_plan, actor_for, field,
                                                    value) -> None:  # noqa: ANN001
    before = counts(asa_plan)
    with pytest.raises(ValidationFailed) as caught:
        add_goal(actor_for("gp.se"), asa_plan, **{field: value})
    assert field in caught.value.errors
    assert counts(asa_plan) == before


def test_text_is_kept_as_written_in_nfc_with_html_as_text(asa_plan, actor_for) -> None:  # noqa: ANN001
    words = unicodedata.normalize("NFD", "Åsa vill <b>gå</b> till affären & kyrkan")
    goal = add_goal(actor_for("gp.se"), asa_plan, own_words=words + "\n\n\n\nMed Lena.")
    assert goal.own_words == "Åsa vill <b>gå</b> till affären & kyrkan\n\nMed Lena."
    assert unicodedata.is_normalized("NFC", goal.own_words)


def test_only_one_overall_goal(asa_plan, actor_for) -> None:  # noqa: ANN001
    gp = actor_for("gp.se")
    add_goal(gp, asa_plan, kind="overall")
    with pytest.raises(ValidationFailed) as caught:
        add_goal(gp, asa_plan, kind="overall")
    assert "kind" in caught.value.errors


def test_a_stale_version_is_refused_and_nothing_is_saved(asa_plan, actor_for) -> None:  # noqa: ANN001
    gp, sw = actor_for("gp.se"), actor_for("gp.se")
    read_by_both = fresh(asa_plan).version
    services.plan_update(actor=gp, person_id=asa_plan.person_id, plan_id=asa_plan.pk,
                         expected_version=read_by_both, changes={"contingency": "Ring Lena."})
    before = counts(asa_plan)
    with pytest.raises(StaleVersion) as caught:
        services.goal_add(actor=sw, person_id=asa_plan.person_id, plan_id=asa_plan.pk,
                          expected_version=read_by_both, data=goal_data())
    assert caught.value.extra["current_version"] == read_by_both + 1
    with pytest.raises(StaleVersion):
        services.plan_update(actor=sw, person_id=asa_plan.person_id, plan_id=asa_plan.pk,
                             expected_version=read_by_both, changes={"contingency": "Ring Per."})
    assert counts(asa_plan) == before and fresh(asa_plan).contingency == "Ring Lena."


def test_an_action_for_an_organisation_the_gate_refuses(astrid, maya, actor_for, org) -> None:  # noqa: ANN001, E501
    plan = plan_of(astrid)
    before = counts(plan)
    for name in ("Lindgårdens äldreboende",  # not on Astrid's care team
                 "Hillside Medical Practice"):  # another country's, and nobody's
        with pytest.raises(ValidationFailed) as caught:
            add_action(actor_for("gp.se"), plan, org(name))
        assert "cannot see this person's record" in caught.value.errors["organisation_id"][0]
    assert counts(plan) == before
    # on Maya's care team, but she objected to sharing with the council
    maya_plan = plan_of(maya)
    before = counts(maya_plan)
    with pytest.raises(ValidationFailed) as caught:
        add_action(actor_for("mh.uk"), maya_plan, org("Northshire Council Adult Social Care"))
    assert "organisation_id" in caught.value.errors
    with pytest.raises(ValidationFailed):
        services.plan_update(actor=actor_for("mh.uk"), person_id=maya.pk, plan_id=maya_plan.pk,
                             expected_version=fresh(maya_plan).version,
                             changes={"coordinating_organisation_id":
                                      org("Northshire Council Adult Social Care").pk})
    assert counts(maya_plan) == before


def test_a_named_staff_member_must_work_for_the_organisation(astrid, actor_for, org) -> None:  # noqa: ANN001, E501
    plan = plan_of(astrid)
    before = counts(plan)
    with pytest.raises(ValidationFailed) as caught:
        add_action(actor_for("gp.se"), plan, org("Vårdcentralen Nordstan"),
                   staff_id=actor_for("sw.se").membership.pk)
    assert "staff_id" in caught.value.errors and counts(plan) == before


def test_a_due_date_before_the_start_date(astrid, actor_for, org) -> None:  # noqa: ANN001
    plan = plan_of(astrid)
    before = counts(plan)
    today = timezone.localdate()
    with pytest.raises(ValidationFailed) as caught:
        add_action(actor_for("gp.se"), plan, org("Vårdcentralen Nordstan"),
                   start_date=today, due_date=today - dt.timedelta(days=1))
    assert "due_date" in caught.value.errors and counts(plan) == before
    # a change of the due date alone is checked against the start date it has
    action = PlanAction.objects.filter(plan=plan, start_date__isnull=False).first()
    with pytest.raises(ValidationFailed) as caught:
        services.action_update(actor=actor_for("gp.se"), person_id=astrid.pk, plan_id=plan.pk,
                               action_id=action.pk, expected_version=fresh(plan).version,
                               changes={"due_date": action.start_date - dt.timedelta(days=1)})
    assert "due_date" in caught.value.errors and counts(plan) == before


def test_a_review_of_a_goal_from_another_plan(astrid, arthur, actor_for) -> None:  # noqa: ANN001
    plan, other = plan_of(astrid), plan_of(arthur)
    foreign = Goal.objects.filter(plan=other).first()
    own = Goal.objects.filter(plan=plan).first()
    before = counts(plan), GoalRating.objects.count()
    for ratings, where in (
        ([{"goal_id": own.pk, "professional_score": 1},
          {"goal_id": foreign.pk, "professional_score": 1}], "ratings.1.goal_id"),
        ([{"goal_id": "not-a-goal", "professional_score": 1}], "ratings.0.goal_id"),
        ([{"goal_id": own.pk, "professional_score": 3}], "ratings.0.professional_score"),
        ([{"goal_id": own.pk, "professional_score": 0, "person_score": -5}],
         "ratings.0.person_score"),
        ([{"goal_id": own.pk, "professional_score": 0},
          {"goal_id": own.pk, "professional_score": 1}], "ratings.1.goal_id"),
        ([], "ratings"),
    ):
        with pytest.raises(ValidationFailed) as caught:
            services.review_record(actor=actor_for("gp.se"), person_id=astrid.pk,
                                   plan_id=plan.pk, expected_version=fresh(plan).version,
                                   held_on=timezone.localdate(), ratings=ratings)
        assert where in caught.value.errors, (where, caught.value.errors)
    with pytest.raises(ValidationFailed) as caught:
        services.review_record(actor=actor_for("gp.se"), person_id=astrid.pk, plan_id=plan.pk,
                               expected_version=fresh(plan).version,
                               held_on=timezone.localdate() + dt.timedelta(days=1),
                               ratings=[{"goal_id": own.pk, "professional_score": 0}])
    assert "held_on" in caught.value.errors
    assert (counts(plan), GoalRating.objects.count()) == before


def test_an_agreement_recorded_twice(asa_plan, actor_for) -> None:  # noqa: ANN001
    gp = actor_for("gp.se")
    add_goal(gp, asa_plan)
    first = agree(gp, asa_plan, idempotency_key="meeting-2026-11-23")
    before = counts(asa_plan)
    with pytest.raises(DuplicateRecord):
        agree(gp, asa_plan)
    assert counts(asa_plan) == before
    # the same request again (a retried POST) gets what it made the first time
    assert agree(gp, asa_plan, idempotency_key="meeting-2026-11-23").pk == first.pk
    assert counts(asa_plan) == before


def test_an_agreement_needs_goals_and_says_who(asa_plan, actor_for) -> None:  # noqa: ANN001
    gp = actor_for("gp.se")
    with pytest.raises(ValidationFailed):
        agree(gp, asa_plan)  # no goals yet
    with pytest.raises(ValidationFailed):  # no actions of its own to agree to
        services.actions_agree(actor=gp, person_id=asa_plan.person_id, plan_id=asa_plan.pk,
                               expected_version=fresh(asa_plan).version)
    add_goal(gp, asa_plan)
    for bad in ({"given_by": "neighbour"}, {"method": "telepathy"},
                {"given_by": "representative"}, {"agreed_on": dt.date(2999, 1, 1)}):
        with pytest.raises(ValidationFailed):
            agree(gp, asa_plan, **bad)
    assert PlanVersion.objects.filter(plan=asa_plan).count() == 0


def test_replays_of_creates_make_one_row(asa_plan, actor_for) -> None:  # noqa: ANN001
    gp = actor_for("gp.se")
    version = fresh(asa_plan).version
    first = services.goal_add(actor=gp, person_id=asa_plan.person_id, plan_id=asa_plan.pk,
                              expected_version=version, data=goal_data(), idempotency_key="k1")
    again = services.goal_add(actor=gp, person_id=asa_plan.person_id, plan_id=asa_plan.pk,
                              expected_version=version, data=goal_data(), idempotency_key="k1")
    assert first.pk == again.pk and Goal.objects.filter(plan=asa_plan).count() == 1


def test_an_organisation_agrees_to_its_actions_as_they_read(arthur, actor_for, org) -> None:  # noqa: ANN001, E501
    plan = plan_of(arthur)
    council, oakwood = org("Northshire Council Adult Social Care"), org("Oakwood Care Home")
    agreed = selectors.agreed_organisations(plan, selectors.snapshot(plan, selectors.content(plan)))
    assert agreed[str(council.pk)]["agreed"] is not None  # in the demo
    assert agreed[str(oakwood.pk)]["agreed"] is None
    with pytest.raises(DuplicateRecord):
        services.actions_agree(actor=actor_for("sw.uk"), person_id=arthur.pk, plan_id=plan.pk,
                               expected_version=fresh(plan).version)
    with pytest.raises(AccessDenied):  # care workers deliver actions; professionals agree
        services.actions_agree(actor=actor_for("home.uk"), person_id=arthur.pk,
                               plan_id=plan.pk, expected_version=fresh(plan).version)
    # changing the council's action: its agreement no longer covers it
    action = PlanAction.objects.filter(plan=plan, organisation=council).first()
    services.action_update(actor=actor_for("gp.uk"), person_id=arthur.pk, plan_id=plan.pk,
                           action_id=action.pk, expected_version=fresh(plan).version,
                           changes={"description": "Review needs, funding and respite."})
    agreed = selectors.agreed_organisations(plan, selectors.snapshot(plan, selectors.content(plan)))
    assert agreed[str(council.pk)]["agreed"] is None
    services.actions_agree(actor=actor_for("sw.uk"), person_id=arthur.pk, plan_id=plan.pk,
                           expected_version=fresh(plan).version)
    assert OrganisationAgreement.objects.filter(plan=plan, organisation=council).count() == 2


# -- the action state table through the service -------------------------------------------------


def test_who_moves_an_action(arthur, actor_for, org) -> None:  # noqa: ANN001
    plan = plan_of(arthur)
    oakwood = PlanAction.objects.filter(plan=plan, organisation__name="Oakwood Care Home",
                                        status="planned").first()
    council = PlanAction.objects.filter(plan=plan,
                                        organisation__name__startswith="Northshire Council").first()

    def move(username: str, action: PlanAction, status: str) -> PlanAction:
        return services.action_transition(actor=actor_for(username), person_id=arthur.pk,
                                          plan_id=plan.pk, action_id=action.pk,
                                          expected_version=fresh(plan).version, status=status)

    before = counts(plan)
    with pytest.raises(NotPermitted):  # the care home does not own the council's action
        move("home.uk", council, "in_progress")
    with pytest.raises(NotPermitted):  # the GP practice neither owns nor coordinates it
        move("gp.uk", oakwood, "done")
    with pytest.raises(ValidationFailed):  # the coordinator may cancel, not complete
        move("sw.uk", oakwood, "done")
    with pytest.raises(ValidationFailed):
        move("home.uk", oakwood, "flying")
    assert counts(plan) == before
    assert move("home.uk", oakwood, "done").status == "done"  # a care worker of the owner
    assert move("sw.uk", oakwood, "in_progress").status == "in_progress"  # reopened
    assert move("sw.uk", oakwood, "cancelled").status == "cancelled"
    with pytest.raises(ValidationFailed):  # only the coordinator reinstates
        move("home.uk", oakwood, "planned")
    assert move("sw.uk", oakwood, "planned").status == "planned"
    assert TimelineEntry.objects.filter(person=arthur, kind="plans.action_status").count() >= 2


# -- goals once rated, removing, closing ------------------------------------------------------


def test_what_the_scores_mean_is_fixed_once_a_goal_is_rated(astrid, actor_for) -> None:  # noqa: ANN001, E501
    plan = plan_of(astrid)
    goal = Goal.objects.filter(plan=plan, ratings__isnull=False).first()
    with pytest.raises(ValidationFailed) as caught:
        services.goal_update(actor=actor_for("gp.se"), person_id=astrid.pk, plan_id=plan.pk,
                             goal_id=goal.pk, expected_version=fresh(plan).version,
                             changes={"level_0": "Något annat"})
    assert "level_0" in caught.value.errors
    services.goal_update(actor=actor_for("gp.se"), person_id=astrid.pk, plan_id=plan.pk,
                         goal_id=goal.pk, expected_version=fresh(plan).version,
                         changes={"measurable": "Går till kören tre onsdagar av fyra."})


def test_a_goal_with_actions_stays_until_they_go(astrid, actor_for) -> None:  # noqa: ANN001
    plan = plan_of(astrid)
    goal = Goal.objects.filter(plan=plan, actions__isnull=False).first()
    with pytest.raises(ValidationFailed):
        services.goal_remove(actor=actor_for("gp.se"), person_id=astrid.pk, plan_id=plan.pk,
                             goal_id=goal.pk, expected_version=fresh(plan).version,
                             reason="Not needed any more")
    with pytest.raises(ValidationFailed) as caught:
        services.goal_remove(actor=actor_for("gp.se"), person_id=astrid.pk, plan_id=plan.pk,
                             goal_id=goal.pk, expected_version=fresh(plan).version, reason="")
    assert "reason" in caught.value.errors


def test_a_closed_plan_does_not_change(asa_plan, actor_for) -> None:  # noqa: ANN001
    gp = actor_for("gp.se")
    services.plan_close(actor=gp, person_id=asa_plan.person_id, plan_id=asa_plan.pk,
                        expected_version=fresh(asa_plan).version, reason="Åsa flyttade")
    with pytest.raises(ValidationFailed):
        add_goal(gp, asa_plan)
    # and a new plan of the same type may start
    new_plan(gp, asa_plan.person, plan_type="sip", coordinating=asa_plan.coordinating_organisation)


def test_a_goal_of_another_plan_cannot_be_changed_through_this_one(astrid, arthur,
                                                                   actor_for) -> None:  # noqa: ANN001
    plan = plan_of(astrid)
    foreign = Goal.objects.filter(plan=plan_of(arthur)).first()
    before = AuditEvent.objects.filter(outcome="denied").count()
    with pytest.raises(AccessDenied):
        services.goal_update(actor=actor_for("gp.se"), person_id=astrid.pk, plan_id=plan.pk,
                             goal_id=foreign.pk, expected_version=fresh(plan).version,
                             changes={"own_words": "Hijacked"})
    assert fresh(foreign).own_words != "Hijacked"
    assert AuditEvent.objects.filter(outcome="denied").count() == before + 1


# -- audit -----------------------------------------------------------------------------------------


def test_every_write_is_audited_once_and_a_refusal_leaves_only_its_denial(asa_plan, actor_for) -> None:  # noqa: ANN001, E501
    gp = actor_for("gp.se")
    before = AuditEvent.objects.count()
    goal = add_goal(gp, asa_plan)
    events = list(AuditEvent.objects.order_by("id")[before:])
    assert [(e.action, e.outcome, e.object_type, e.object_id) for e in events] == [
        ("update", "allowed", "Goal", str(goal.pk))]
    assert events[0].person_id == asa_plan.person_id
    before = AuditEvent.objects.count()
    with pytest.raises(AccessDenied):
        add_goal(actor_for("home.se"), asa_plan)
    events = list(AuditEvent.objects.order_by("id")[before:])
    assert [(e.action, e.outcome) for e in events] == [("update", "denied")]
    assert Goal.objects.filter(plan=asa_plan).count() == 1


# -- the crisis plan --------------------------------------------------------------------------------


def test_the_crisis_plan(arthur, actor_for) -> None:  # noqa: ANN001
    gp, home = actor_for("gp.uk"), actor_for("home.uk")
    with pytest.raises(ValidationFailed):  # nothing to record a crisis in yet
        services.crisis_start(actor=home, person_id=arthur.pk, note="Very distressed")
    with pytest.raises(ValidationFailed) as caught:
        services.crisis_plan_create(actor=gp, person_id=arthur.pk,
                                    data={"early_warning_signs": "Wanders at night"},
                                    contacts=[{"name": "Jean", "phone": "call me maybe"}])
    assert "contacts.0.phone" in caught.value.errors
    assert not CrisisPlan.objects.filter(person=arthur).exists()
    crisis = services.crisis_plan_create(
        actor=gp, person_id=arthur.pk, data={"early_warning_signs": "Wanders at night"},
        contacts=[{"name": "Jean Penrose-Hill", "phone": "07700 900123"},
                  {"name": "Oakwood night staff", "phone": "01632 960 321"}])
    with pytest.raises(DuplicateRecord):
        services.crisis_plan_create(actor=gp, person_id=arthur.pk,
                                    data={"early_warning_signs": "again"})
    with pytest.raises(AccessDenied):  # a care worker records a crisis but does not write plans
        services.crisis_plan_update(actor=home, person_id=arthur.pk, expected_version=1,
                                    data={"triggers": "Noise"})
    services.crisis_plan_update(actor=gp, person_id=arthur.pk, expected_version=crisis.version,
                                data={"triggers": "Noise"},
                                contacts=[{"name": "Oakwood night staff",
                                           "phone": "01632 960 321"},
                                          {"name": "Jean Penrose-Hill", "phone": "07700 900123"}])
    with pytest.raises(StaleVersion):
        services.crisis_plan_update(actor=gp, person_id=arthur.pk,
                                    expected_version=crisis.version, data={"triggers": "Lost"})
    crisis.refresh_from_db()
    assert crisis.triggers == "Noise"
    assert [c.name for c in crisis.contacts.all()] == ["Oakwood night staff", "Jean Penrose-Hill"]
    services.crisis_start(actor=home, person_id=arthur.pk, note="Very distressed tonight")
    with pytest.raises(DuplicateRecord):
        services.crisis_start(actor=home, person_id=arthur.pk, note="Again distressed")
    services.crisis_end(actor=home, person_id=arthur.pk, note="Settled")
    with pytest.raises(ValidationFailed):
        services.crisis_end(actor=home, person_id=arthur.pk)
    kinds = set(TimelineEntry.objects.filter(person=arthur).values_list("kind", flat=True))
    assert {"plans.crisis_started", "plans.crisis_ended"} <= kinds


@pytest.mark.django_db(transaction=True)
def test_two_coordinators_at_the_same_moment_one_wins(person_named, actor_for, org) -> None:  # noqa: ANN001, E501
    """On PostgreSQL the plan row is locked for the change: of two saves made at once on the
    same version, one is written and the other is refused as stale, never both."""
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers itself (BEGIN IMMEDIATE)")
    from careweave.demo.loader import load_demo

    load_demo(reset=True, log=lambda _m: None)
    astrid = person_named("Astrid", "Lindqvist")
    plan = plan_of(astrid)
    version = plan.version
    actors = [actor_for("gp.se"), actor_for("sw.se")]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def save(actor, words: str) -> None:  # noqa: ANN001
        try:
            barrier.wait()
            services.plan_update(actor=actor, person_id=astrid.pk, plan_id=plan.pk,
                                 expected_version=version, changes={"contingency": words})
            outcomes.append("saved")
        except StaleVersion:
            outcomes.append("stale")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=save, args=(a, w))
               for a, w in zip(actors, ("Ring Per.", "Ring hemtjänsten."), strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["saved", "stale"]
    assert fresh(plan).version == version + 1
