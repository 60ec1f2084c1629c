"""The plans' part of ``careweave demo`` and ``careweave seed``.

The demo goes through the services, as the named staff would, so that audit, timeline,
versions and agreements are written exactly as in real use:

- Astrid Lindqvist: an agreed SIP in Swedish between Vårdcentralen Nordstan and Göteborgs
  Stad socialtjänst (two goals, four actions, both organisations agreed, one follow-up done
  with her ratings beside the professional's);
- Arthur Penrose: a care and support plan with Oakwood Care Home and the council (its
  follow-up is overdue, so it is flagged on the caseload);
- Maya Okafor: a mental-health care plan (with a sensitive section) and a relapse-prevention
  and crisis plan, with a crisis recorded, so it shows first on her pages;
- one of the people Riverside, the mental-health team and St Mary's share: a plan with a
  sensitive section St Mary's is not shown (its consent does not cover it).

The seed adds plans, agreed versions and follow-ups for a third of the seeded people, with
bulk inserts in the batch's transaction.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from careweave.access.models import CareTeamMember
from careweave.plans import services, versions
from careweave.plans.models import (
    Goal,
    GoalRating,
    Plan,
    PlanAction,
    PlanChange,
    PlanType,
    PlanVersion,
    Review,
)

# -- the demo --------------------------------------------------------------------------------


def _goal(own: str, measurable: str, target: dt.date, levels: tuple[str, str, str, str, str],
          kind: str = Goal.Kind.SUB) -> dict[str, Any]:
    return {"kind": kind, "own_words": own, "measurable": measurable, "target_date": target,
            "level_m2": levels[0], "level_m1": levels[1], "level_0": levels[2],
            "level_p1": levels[3], "level_p2": levels[4]}


def _add_goals(actor: Any, plan: Plan, goals: list[dict[str, Any]]) -> list[Goal]:
    out = []
    for data in goals:
        plan.refresh_from_db()
        out.append(services.goal_add(actor=actor, person_id=plan.person_id, plan_id=plan.pk,
                                     expected_version=plan.version, data=data))
    return out


def _add_actions(actor: Any, plan: Plan, actions: list[dict[str, Any]]) -> list[PlanAction]:
    out = []
    for data in actions:
        plan.refresh_from_db()
        out.append(services.action_add(actor=actor, person_id=plan.person_id, plan_id=plan.pk,
                                       expected_version=plan.version, data=data))
    return out


def _people(actor: Any, plan: Plan, people: list[dict[str, Any]]) -> None:
    for data in people:
        plan.refresh_from_db()
        services.participant_add(actor=actor, person_id=plan.person_id, plan_id=plan.pk,
                                 expected_version=plan.version, data=data)


def _agree(actor: Any, plan: Plan, *, on: dt.date, method: str = "meeting") -> None:
    plan.refresh_from_db()
    services.plan_agree(actor=actor, person_id=plan.person_id, plan_id=plan.pk,
                        expected_version=plan.version, given_by="person", method=method,
                        agreed_on=on)


def _org_agrees(actor: Any, plan: Plan) -> None:
    plan.refresh_from_db()
    services.actions_agree(actor=actor, person_id=plan.person_id, plan_id=plan.pk,
                           expected_version=plan.version)


def _astrid(cast: Any) -> None:
    today = cast.today
    gp, sw = cast.actor("gp.se"), cast.actor("sw.se")
    astrid = cast.person("Astrid", "Lindqvist")
    nordstan, soc = cast.orgs["nordstan"], cast.orgs["gbgsoc"]
    plan = services.plan_create(actor=gp, person_id=astrid.pk, data={
        "plan_type": PlanType.SIP, "language": "sv",
        "coordinating_organisation_id": nordstan.pk, "coordinator_id": cast.staff["gp.se"].pk,
        "situation": "Jag bor ensam i lägenheten på Kungsgatan sedan Gunnar dog. Benen har "
                     "blivit sämre och jag är rädd att ramla när jag går ut. Per hjälper mig "
                     "med handlingen på lördagarna.",
        "what_matters": "Att klara mig själv hemma och fortsätta sjunga i kören.",
        "follow_up_date": today + dt.timedelta(days=80),
        "contingency": "Om hemtjänsten inte kan komma ringer de Per på 070-123 45 67. Om jag "
                       "faller och inte kommer upp trycker jag på trygghetslarmet.",
    })
    target = today + dt.timedelta(days=150)
    choir, falls = _add_goals(gp, plan, [
        _goal("Jag vill kunna gå till kören på onsdagar igen.",
              "Astrid går till körövningen (400 meter) minst tre onsdagar av fyra, med rollator.",
              target, ("Kommer inte till kören alls",
                       "Kommer till kören någon gång i månaden, med skjuts",
                       "Går till kören tre onsdagar av fyra med rollator",
                       "Går till kören varje onsdag med rollator",
                       "Går till kören varje onsdag och även till söndagsgudstjänsten")),
        _goal("Jag vill inte vara rädd för att ramla när jag är ensam hemma.",
              "Inga fall i hemmet, och Astrid skattar sin oro högst 3 av 10.",
              target, ("Mer än ett fall, eller oro 8–10 av 10", "Ett fall, eller oro 6–7 av 10",
                       "Inga fall och oro högst 3 av 10", "Inga fall och oro högst 2 av 10",
                       "Inga fall och ingen oro att tala om")),
    ])
    start = today - dt.timedelta(days=40)
    _add_actions(gp, plan, [
        {"description": "Fysioterapeut gör en balansbedömning och ger ett träningsprogram för "
                        "hemmet.", "organisation_id": nordstan.pk, "goal_id": choir.pk,
         "start_date": start, "due_date": today + dt.timedelta(days=30)},
        {"description": "Läkemedelsgenomgång: yrsel och blodtryck.",
         "organisation_id": nordstan.pk, "staff_id": cast.staff["gp.se"].pk,
         "goal_id": falls.pk, "start_date": start, "due_date": today + dt.timedelta(days=14)},
        {"description": "Beslut om trygghetslarm och hemtjänst för en promenad i veckan.",
         "organisation_id": soc.pk, "staff_id": cast.staff["sw.se"].pk, "goal_id": falls.pk,
         "start_date": start, "due_date": today + dt.timedelta(days=21)},
        {"description": "Ansöka om färdtjänst till kören under vintern.",
         "organisation_id": soc.pk, "goal_id": choir.pk, "start_date": start,
         "due_date": today + dt.timedelta(days=60)},
    ])
    _people(gp, plan, [
        {"kind": "person", "name": "Astrid Lindqvist"},
        {"kind": "relative", "name": "Per Lindqvist", "role": "Son"},
        {"kind": "staff", "name": "Erik Johansson", "role": "Distriktsläkare",
         "organisation_id": nordstan.pk},
        {"kind": "staff", "name": "Sara Nilsson", "role": "Biståndshandläggare",
         "organisation_id": soc.pk},
    ])
    _org_agrees(gp, plan)
    _org_agrees(sw, plan)
    _agree(gp, plan, on=today - dt.timedelta(days=40))
    plan.refresh_from_db()
    first = PlanAction.objects.filter(plan=plan, organisation=soc).order_by("position").first()
    assert first is not None
    services.action_transition(actor=sw, person_id=astrid.pk, plan_id=plan.pk,
                               action_id=first.pk, expected_version=plan.version,
                               status="done", note="Trygghetslarmet installerat.")
    plan.refresh_from_db()
    services.review_record(
        actor=gp, person_id=astrid.pk, plan_id=plan.pk, expected_version=plan.version,
        held_on=today - dt.timedelta(days=10), next_follow_up=today + dt.timedelta(days=80),
        account="Astrid har varit på kören tre onsdagar av fyra med rollator. Inga fall sedan "
                "trygghetslarmet kom. Själv tycker hon att det går trögt med kören.",
        ratings=[{"goal_id": choir.pk, "professional_score": 0, "person_score": -1,
                  "comment": "Vill komma oftare."},
                 {"goal_id": falls.pk, "professional_score": 1, "person_score": 0}])


def _arthur(cast: Any) -> None:
    today = cast.today
    sw, home = cast.actor("sw.uk"), cast.actor("home.uk")
    arthur = cast.person("Arthur", "Penrose")
    council, oakwood, riverside = cast.orgs["council"], cast.orgs["oakwood"], cast.orgs["riverside"]
    plan = services.plan_create(actor=sw, person_id=arthur.pk, data={
        "plan_type": PlanType.CARE_SUPPORT, "language": "en",
        "coordinating_organisation_id": council.pk, "coordinator_id": cast.staff["sw.uk"].pk,
        "situation": "I moved into Oakwood after my fall last winter. My legs are weak and my "
                     "memory is not what it was. I miss my garden and the cricket.",
        "what_matters": "Seeing my daughter Jean on Sundays and listening to the cricket.",
        "follow_up_date": today - dt.timedelta(days=7),
        "contingency": "If Jean cannot visit on a Sunday, the home rings her so that Arthur can "
                       "talk to her on the phone after lunch.",
    })
    target = today + dt.timedelta(days=120)
    garden, jean = _add_goals(sw, plan, [
        _goal("I want to sit in the garden when the weather is fine.",
              "Arthur spends time in the garden at least twice a week when it is dry.", target,
              ("Does not go into the garden", "Goes into the garden less than once a week",
               "Goes into the garden twice a week when dry", "Three or four times a week",
               "Most dry days, and helps with the tubs")),
        _goal("I want to see Jean every Sunday.",
              "Arthur sees Jean, at Oakwood or at her home, on at least three Sundays in four.",
              target, ("Sees Jean less than once a month", "One or two Sundays in four",
                       "Three Sundays in four", "Every Sunday",
                       "Every Sunday and one weekday visit")),
    ])
    _add_actions(sw, plan, [
        {"description": "Help Arthur into the garden after lunch on dry days, with his "
                        "walking frame.", "organisation_id": oakwood.pk, "goal_id": garden.pk,
         "start_date": today - dt.timedelta(days=30)},
        {"description": "Book Sunday transport to Jean's when she cannot visit.",
         "organisation_id": oakwood.pk, "goal_id": jean.pk,
         "start_date": today - dt.timedelta(days=30)},
        {"description": "Review Arthur's care and support needs and his funding.",
         "organisation_id": council.pk, "staff_id": cast.staff["sw.uk"].pk,
         "due_date": today + dt.timedelta(days=20)},
        {"description": "Medication review: dizziness when standing.",
         "organisation_id": riverside.pk, "staff_id": cast.staff["gp.uk"].pk,
         "due_date": today + dt.timedelta(days=14)},
    ])
    _people(sw, plan, [
        {"kind": "person", "name": "Arthur Penrose"},
        {"kind": "relative", "name": "Jean Penrose-Hill", "role": "Daughter"},
        {"kind": "staff", "name": "Daniel Brooks", "role": "Social worker",
         "organisation_id": council.pk},
        {"kind": "staff", "name": "Grace Mensah", "role": "Senior carer",
         "organisation_id": oakwood.pk},
    ])
    _org_agrees(sw, plan)
    _agree(sw, plan, on=today - dt.timedelta(days=35), method="verbal")
    plan.refresh_from_db()
    first = PlanAction.objects.filter(plan=plan, organisation=oakwood).order_by("position").first()
    assert first is not None
    services.action_transition(actor=home, person_id=arthur.pk, plan_id=plan.pk,
                               action_id=first.pk, expected_version=plan.version,
                               status="in_progress")


MAYA_HISTORY = ("Two admissions to hospital (2019 and 2022), both after stopping medication "
                "when she felt well. Diagnosis: bipolar affective disorder. No risk to others.")


def _maya(cast: Any) -> None:
    today = cast.today
    mh = cast.actor("mh.uk")
    maya = cast.person("Maya", "Okafor")
    cmht, riverside = cast.orgs["cmht"], cast.orgs["riverside"]
    plan = services.plan_create(actor=mh, person_id=maya.pk, data={
        "plan_type": PlanType.MENTAL_HEALTH, "language": "en",
        "coordinating_organisation_id": cmht.pk, "coordinator_id": cast.staff["mh.uk"].pk,
        "situation": "I live on my own and work at the library three days a week. When I get "
                     "unwell I stop sleeping and stop answering my phone.",
        "what_matters": "Keeping my job at the library and having one person to call when "
                        "things get bad.",
        "follow_up_date": today + dt.timedelta(days=42),
        "contingency": "If Priya is away, the duty worker at the team phones Maya on the day "
                       "of her usual appointment.",
    })
    target = today + dt.timedelta(days=180)
    job, call = _add_goals(mh, plan, [
        _goal("I want to keep my job at the library.",
              "Maya works her three days a week, with no more than two days off sick a month.",
              target, ("Off work, or has lost the job", "Off sick more than four days a month",
                       "No more than two days off sick a month", "No more than one day a month",
                       "No days off sick, and has asked for more hours")),
        _goal("I want one person to call when things get bad.",
              "In a difficult spell Maya calls her care coordinator or the crisis line first, "
              "rather than going to A&E.", target,
              ("Goes to A&E without calling anyone", "Calls only once she is in A&E",
               "Calls the care coordinator or crisis line first",
               "Calls early, at the first warning signs",
               "Calls early and uses her plan to stay well at home")),
    ])
    _add_actions(mh, plan, [
        {"description": "Appointments with her care coordinator every two weeks.",
         "organisation_id": cmht.pk, "staff_id": cast.staff["mh.uk"].pk, "goal_id": call.pk,
         "start_date": today - dt.timedelta(days=20)},
        {"description": "Support to talk to her manager about reasonable adjustments at work.",
         "organisation_id": cmht.pk, "goal_id": job.pk,
         "due_date": today + dt.timedelta(days=30)},
        {"description": "Monthly medication review and blood tests.",
         "organisation_id": riverside.pk, "staff_id": cast.staff["gp.uk"].pk,
         "goal_id": job.pk, "start_date": today - dt.timedelta(days=20)},
    ])
    plan.refresh_from_db()
    services.section_add(actor=mh, person_id=maya.pk, plan_id=plan.pk,
                         expected_version=plan.version,
                         data={"heading": "Mental health history", "body": MAYA_HISTORY,
                               "sensitive": True})
    _people(mh, plan, [{"kind": "person", "name": "Maya Okafor"},
                       {"kind": "staff", "name": "Priya Shah",
                        "role": "Community psychiatric nurse", "organisation_id": cmht.pk}])
    _org_agrees(mh, plan)
    _agree(mh, plan, on=today - dt.timedelta(days=20))
    services.crisis_plan_create(actor=mh, person_id=maya.pk, data={
        "plan_id": str(plan.pk),
        "early_warning_signs": "I sleep less than four hours a night, I talk fast and I stop "
                               "answering my phone. I start big projects I cannot finish.",
        "triggers": "Stopping my tablets when I feel well. Money worries. Night shifts.",
        "what_helps": "A quiet room, my sister-in-law's cooking, a walk by the river, "
                      "being told plainly what is happening.",
        "others_do": "Call Chidi. Keep calm and speak slowly. Remind me of this plan.",
        "others_avoid": "Do not call the police unless I am in danger. Do not crowd me.",
        "medication_notes": "Lithium carbonate 400 mg at night; level checked monthly at "
                            "Riverside Surgery. Olanzapine 5 mg as needed for sleep.",
        "advance_statements": "If I need to go to hospital I want to go to Northshire ward, "
                              "not out of area. Chidi feeds my cat.",
    }, contacts=[
        {"name": "Priya Shah", "relationship": "Care coordinator, community mental health team",
         "phone": "01632 960 123", "notes": "Weekdays 9 to 5"},
        {"name": "Crisis team", "relationship": "Northshire mental health crisis line",
         "phone": "01632 960 999", "notes": "Evenings, nights and weekends"},
        {"name": "Chidi Okafor", "relationship": "Brother", "phone": "07700 900456",
         "notes": "Any time"},
        {"name": "NHS 111", "relationship": "Option 2: mental health", "phone": "111",
         "notes": "If nobody else answers"},
    ])
    services.crisis_start(actor=mh, person_id=maya.pk,
                          note="Maya rang the duty line: not sleeping, stopped her medication "
                               "three days ago.")


def _shared_with_the_ward(cast: Any) -> None:
    """A plan St Mary's can read but not its sensitive section (no consent covers it)."""
    today = cast.today
    mh = cast.actor("mh.uk")
    cmht, stmarys = cast.orgs["cmht"], cast.orgs["stmarys"]
    someone = (CareTeamMember.objects.filter(organisation=stmarys, person__country="GB")
               .filter(person__care_team__organisation=cmht)
               .order_by("person__sort_name", "person__birth_date")
               .values_list("person_id", flat=True).first())
    if someone is None:
        return
    plan = services.plan_create(actor=mh, person_id=someone, data={
        "plan_type": PlanType.MENTAL_HEALTH, "language": "en",
        "coordinating_organisation_id": cmht.pk, "follow_up_date": today + dt.timedelta(days=28),
        "what_matters": "Getting home from the ward and back to my routine.",
    })
    _add_goals(mh, plan, [_goal("I want to be home before my birthday.",
                                "Discharged home with support in place by the target date.",
                                today + dt.timedelta(days=60),
                                ("Still on the ward", "Discharge date set, no support yet",
                                 "Home with support in place", "Home a week early",
                                 "Home early and back at the day centre"))])
    _add_actions(mh, plan, [{"description": "Plan discharge with the ward.",
                             "organisation_id": stmarys.pk,
                             "due_date": today + dt.timedelta(days=30)}])
    plan.refresh_from_db()
    services.section_add(actor=mh, person_id=someone, plan_id=plan.pk,
                         expected_version=plan.version,
                         data={"heading": "Mental health detail", "sensitive": True,
                               "body": "Admitted under section 2 after a relapse; now "
                                       "informal. Risk assessment held by the team."})


def demo_step(cast: Any) -> None:
    _astrid(cast)
    _arthur(cast)
    _maya(cast)
    _shared_with_the_ward(cast)


# -- the seed --------------------------------------------------------------------------------

SEED_GOALS = {
    "GB": [("I want to stay in my own home.", "Lives at home with the support agreed."),
           ("I want to get out of the house twice a week.", "Goes out at least twice a week."),
           ("I want to manage my tablets myself.", "Takes the right tablets with a dosette."),
           ("I want fewer trips to hospital.", "No unplanned admission in three months.")],
    "SE": [("Jag vill bo kvar hemma.", "Bor hemma med det stöd som beslutats."),
           ("Jag vill komma ut två gånger i veckan.", "Går ut minst två gånger i veckan."),
           ("Jag vill klara mina mediciner själv.", "Tar rätt medicin med dosett."),
           ("Jag vill slippa åka in till sjukhuset.", "Ingen oplanerad inläggning på tre "
                                                      "månader.")],
}
SEED_LEVELS = {
    "GB": ("Much worse than hoped", "A little worse than hoped", "As hoped",
           "A little better than hoped", "Much better than hoped"),
    "SE": ("Mycket sämre än väntat", "Något sämre än väntat", "Som väntat",
           "Något bättre än väntat", "Mycket bättre än väntat"),
}
SEED_ACTIONS = {
    "GB": ["Review the care and support needs.", "Medication review.",
           "Arrange a befriender visit each week.", "Falls assessment at home."],
    "SE": ["Vårdplanering med hemtjänsten.", "Läkemedelsgenomgång.",
           "Ansöka om trygghetslarm.", "Fallriskbedömning i hemmet."],
}


def _consent_facts(batch: Any) -> dict[Any, tuple[Any, ...]]:
    """Each seeded person's consents as the gate's facts, worked out once per batch."""
    from careweave.access import policy

    covered: dict[Any, set[str]] = {}
    for consent_id, org_id in batch.consent_orgs:
        covered.setdefault(consent_id, set()).add(str(org_id))
    facts: dict[Any, list[Any]] = {}
    for c in batch.consents:
        facts.setdefault(c.person_id, []).append(policy.ConsentFact(
            decision=c.decision, purpose=c.purpose, covers_all=c.covers_all_organisations,
            organisation_ids=frozenset(covered.get(c.pk, set())), valid_from=c.valid_from,
            valid_to=c.valid_to, withdrawn_at=c.withdrawn_at))
    return {person_id: tuple(f) for person_id, f in facts.items()}


def _readers(batch: Any, person: Any, team: list[Any],
             consents: dict[Any, tuple[Any, ...]]) -> list[Any]:
    """The care-team organisations the gate would let read this seeded person's record
    (the same pure rule), so that only they own actions."""
    from careweave.access import policy

    facts = consents.get(person.pk, ())
    out = []
    for member in team:
        decision = policy.read_decision(policy.Facts(
            country=person.country, role="clinician", organisation_id=str(member.organisation_id),
            registered_by_id=str(person.registered_by_id), in_care_team=True, consents=facts),
            batch.now)
        if decision.allowed:
            out.append(member.organisation)
    return out


def _staff_names(batch: Any) -> dict[Any, str]:
    """Names of the staff the batch may name as coordinators (one query per batch)."""
    from careweave.orgs.models import Membership

    ids = [s.membership_id for s in batch.ctx.staff.values()]
    return {m.pk: m.user.get_full_name() or m.user.get_username()
            for m in Membership.objects.filter(pk__in=ids).select_related("user")}


def seed_step(batch: Any) -> dict[str, int]:
    rng, now, today = batch.rng, batch.now, batch.today
    names = _staff_names(batch)
    plans, goals, actions, plan_versions, reviews, ratings, changes = [], [], [], [], [], [], []
    team: dict[uuid.UUID, list[Any]] = {}
    for member in batch.team:
        team.setdefault(member.person_id, []).append(member)
    consents = _consent_facts(batch)

    def uid() -> uuid.UUID:
        return uuid.UUID(int=rng.getrandbits(128), version=4)

    for person in batch.people:
        if rng.random() >= 1 / 3:
            continue
        country = person.country
        org = person.registered_by
        staff = batch.ctx.staff.get(org.pk)
        created = now - dt.timedelta(days=rng.randrange(30, 300))
        plan_type = PlanType.SIP if country == "SE" else (
            PlanType.MENTAL_HEALTH if org.kind == "mental_health" else PlanType.CARE_SUPPORT)
        follow_up = today + dt.timedelta(days=rng.randrange(-30, 120))
        plan = Plan(id=uid(), person_id=person.pk, plan_type=plan_type,
                    language="sv" if country == "SE" else "en",
                    coordinating_organisation_id=org.pk,
                    coordinator_id=staff.membership_id if staff and staff.role != "care_worker"
                    else None, what_matters=person.what_matters,
                    follow_up_date=follow_up,
                    status=Plan.Status.AGREED, agreed_version=1, version=1,
                    created_by_id=staff.membership_id if staff else None,
                    created_at=created, updated_at=created)
        owners = [org] + [o for o in _readers(batch, person, team.get(person.pk, []), consents)
                          if o.pk != org.pk]
        picked = rng.sample(range(len(SEED_GOALS[country])), 2)
        snap_goals, snap_actions = [], []
        plan_goals = []
        for position, index in enumerate(picked, start=1):
            own, measurable = SEED_GOALS[country][index]
            levels = SEED_LEVELS[country]
            goal = Goal(id=uid(), plan_id=plan.pk, person_id=person.pk, kind=Goal.Kind.SUB,
                        position=position, own_words=own, measurable=measurable,
                        target_date=today + dt.timedelta(days=rng.randrange(30, 300)),
                        level_m2=levels[0], level_m1=levels[1], level_0=levels[2],
                        level_p1=levels[3], level_p2=levels[4], created_at=created)
            goals.append(goal)
            plan_goals.append(goal)
            snap_goals.append({"id": str(goal.pk), "kind": goal.kind, "own_words": own,
                               "measurable": measurable,
                               "target_date": goal.target_date.isoformat(),
                               **{f: getattr(goal, f) for f in ("level_m2", "level_m1",
                                                                  "level_0", "level_p1",
                                                                  "level_p2")}})
        for position in range(1, rng.randint(2, 3) + 1):
            owner = owners[(position - 1) % len(owners)]
            goal = rng.choice(plan_goals)
            start, due = timezone_day(created), today + dt.timedelta(days=rng.randrange(7, 200))
            action = PlanAction(id=uid(), plan_id=plan.pk, person_id=person.pk, goal_id=goal.pk,
                                description=rng.choice(SEED_ACTIONS[country]),
                                organisation_id=owner.pk, position=position,
                                start_date=start, due_date=due,
                                status=rng.choice(["planned", "in_progress", "done"]),
                                created_at=created)
            actions.append(action)
            snap_actions.append({"id": str(action.pk), "goal": {"id": str(goal.pk),
                                                               "name": goal.own_words},
                                 "description": action.description,
                                 "organisation": {"id": str(owner.pk), "name": owner.name},
                                 "staff": None, "start_date": start.isoformat(),
                                 "due_date": due.isoformat(),
                                 "status": action.status})
        snapshot = {"v": versions.VERSION, "plan_id": str(plan.pk), "plan_type": plan_type,
                    "language": plan.language, "situation": "", "what_matters": plan.what_matters,
                    "coordinating_organisation": {"id": str(org.pk), "name": org.name},
                    "coordinator": {"id": str(plan.coordinator_id),
                                    "name": names.get(plan.coordinator_id, "")}
                    if plan.coordinator_id else None, "contingency": "",
                    "follow_up_date": follow_up.isoformat(), "goals": snap_goals,
                    "actions": snap_actions, "sections": [], "participants": []}
        agreed = created + dt.timedelta(days=rng.randrange(1, 20))
        plan_versions.append(PlanVersion(
            id=uid(), plan_id=plan.pk, person_id=person.pk, number=1, revision=1,
            snapshot=snapshot, given_by="person", method=rng.choice(["meeting", "verbal"]),
            agreed_on=timezone_day(agreed), recorded_by_id=plan.created_by_id,
            organisation_name=org.name, recorded_at=agreed))
        changes.append(PlanChange(id=uid(), plan_id=plan.pk, person_id=person.pk, revision=1,
                                  at=agreed, kind="agreed", membership_id=plan.created_by_id,
                                  organisation_id=org.pk, organisation_name=org.name,
                                  staff_name=staff.username if staff else ""))
        held = agreed
        for _ in range(rng.randint(1, 2)):
            held = held + (now - held) * rng.uniform(0.3, 0.7)
            review = Review(id=uid(), plan_id=plan.pk, person_id=person.pk,
                            held_on=timezone_day(held), account="",
                            next_follow_up=plan.follow_up_date,
                            recorded_by_id=plan.created_by_id, organisation_id=org.pk,
                            created_at=held)
            reviews.append(review)
            for goal in plan_goals:
                ratings.append(GoalRating(
                    id=uid(), review_id=review.pk, goal_id=goal.pk, person_id=person.pk,
                    professional_score=rng.choice([-2, -1, -1, 0, 0, 0, 1, 1, 2]),
                    person_score=rng.choice([None, -1, 0, 0, 1, 2])))
        plans.append(plan)
    for model, rows in ((Plan, plans), (Goal, goals), (PlanAction, actions),
                        (PlanVersion, plan_versions), (PlanChange, changes), (Review, reviews),
                        (GoalRating, ratings)):
        batch.insert(model, rows)
    return {"plans": len(plans), "plan_goals": len(goals), "plan_actions": len(actions),
            "plan_versions": len(plan_versions), "plan_reviews": len(reviews),
            "plan_goal_ratings": len(ratings)}


def timezone_day(moment: dt.datetime) -> dt.date:
    from django.utils import timezone

    return timezone.localdate(moment)
