"""The notes part of the demo (through the services, so audit and timeline are written as
in real use) and of the seeded population (rows written in the batch, fast)."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from careweave.notes import rules, services
from careweave.notes.models import CaseNote, OutOfHours, PersonWarning, TeamContact
from careweave.people.models import Person, TimelineEntry

ARTHUR_VISITS = [
    ("Morning visit: settled night, breakfast eaten",
     "Arthur slept well and was up and dressed by 9. Ate porridge and a cup of tea. Skin "
     "checked on heels and sacrum: intact. Listening to the cricket on the radio.",
     ""),
    ("Morning visit: a little confused on waking",
     "Arthur thought it was Sunday and asked for Jean. Reassured; settled after breakfast. "
     "Drank well. No pain.", "Watch for signs of infection; tell the GP if it continues."),
    ("Morning visit: medicines taken, walked to the lounge",
     "Took his morning tablets with water. Walked to the lounge with his frame and one "
     "carer.", ""),
    ("Morning visit: sore right heel",
     "Redness on the right heel, not broken. Repositioned and heel protector on.",
     "District nurse asked to look at the heel this week."),
    ("Morning visit: good day",
     "Chatty and bright. Went to the Sunday service in the home's lounge.", ""),
    ("Morning visit: heel improving",
     "District nurse visited yesterday. Heel less red. Eating and drinking well.", ""),
    ("Morning visit: Jean visited",
     "Daughter Jean visited at 10. Arthur was pleased. Jean asked about the review "
     "meeting next month.", "Send Jean the date of the review meeting."),
]


def run(cast: Any) -> None:
    gp, home, mh, sw, gp_se = (cast.actor(u) for u in ("gp.uk", "home.uk", "mh.uk", "sw.uk",
                                                          "gp.se"))
    arthur = cast.person("Arthur", "Penrose")
    maya = cast.person("Maya", "Okafor")
    karim = cast.person("Karim", "Haddad")
    asa = cast.person("Åsa", "Öberg")
    today = cast.today

    services.warning_raise(actor=gp, person_id=arthur.pk, data={
        "kind": "dnacpr", "title": "DNACPR form in place",
        "details": "Signed with Arthur and his daughter Jean. The original form is in the red "
                   "folder in his room at Oakwood; a copy is in the GP record.",
        "review_date": today + dt.timedelta(days=180)})
    services.warning_raise(actor=gp, person_id=arthur.pk, data={
        "kind": "allergy", "title": "Penicillin: rash and facial swelling (2019)",
        "details": "Do not give penicillins. Clarithromycin has been tolerated."})
    services.warning_raise(actor=home, person_id=arthur.pk, data={
        "kind": "access", "title": "Key safe by the garden door of the annexe",
        "details": "The code is held by Oakwood's office: phone 01632 960 210 before an "
                   "out-of-hours visit. Never write the code in a note.",
        "review_date": today + dt.timedelta(days=90)})
    start = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=7),
                                                    dt.time(9, 30)))
    for day, (summary, body, follow) in enumerate(ARTHUR_VISITS):
        services.note_create(actor=home, person_id=arthur.pk, data={
            "kind": "visit", "occurred_at": start + dt.timedelta(days=day, minutes=day * 7),
            "with_whom": ["person"] + (["relative"] if "Jean" in summary else []),
            "with_whom_detail": "Jean (daughter)" if "Jean" in summary else "",
            "summary": summary, "body": body, "follow_up": follow})

    services.warning_raise(actor=mh, person_id=maya.pk, data={
        "kind": "risk_to_self", "title": "Risk to self when unwell",
        "details": "History of overdose during relapse (2023). Early signs: stops going to "
                   "work and stops answering the phone. Crisis plan held by the CMHT.",
        "review_date": today + dt.timedelta(days=60), "sensitivity": rules.RESTRICTED,
        "organisation_kinds": ["mental_health", "gp_practice"]})
    services.note_create(actor=mh, person_id=maya.pk, data={
        "kind": "phone", "occurred_at": timezone.now() - dt.timedelta(days=2, hours=3),
        "with_whom": ["person"], "summary": "Weekly check-in call",
        "body": "Maya is sleeping better on the higher clozapine dose. Back at work three "
                "days a week.", "follow_up": "Blood test (FBC) due Friday.",
        "sensitivity": rules.RESTRICTED, "roles": ["clinician", "nurse"]})

    services.warning_raise(actor=gp_se, person_id=karim.pk, data={
        "kind": "communication", "title": "Behöver tolk på arabiska",
        "details": "Föredrar manlig tolk. Boka tolk i förväg; använd inte familjen som tolk.",
        "review_date": today + dt.timedelta(days=365)})
    services.warning_raise(actor=gp_se, person_id=asa.pk, data={
        "kind": "access", "title": "Nyckel finns hos hemtjänsten",
        "details": "Ring på två gånger. Åsa hör dåligt på vänster öra."})

    # Contacts: each organisation its own (Oakwood has no professional on the demo staff).
    _contacts(cast, arthur, {
        "riverside": (gp, {"phone": "01632 960 100", "email": "riverside.gp@example.org",
                           "hours": "Monday to Friday, 8:00 to 18:30"}),
        "council": (sw, {"phone": "01632 960 300", "email": "asc.duty@example.org",
                         "hours": "Monday to Friday, 9:00 to 17:00", "key_worker": True,
                         "lead_coordinator": True}),
    })
    _contacts(cast, maya, {
        "cmht": (mh, {"phone": "01632 960 400", "hours": "Monday to Friday, 9:00 to 17:00",
                      "key_worker": True, "lead_coordinator": True}),
    })
    oakwood = cast.orgs["oakwood"]
    member = arthur.care_team.filter(organisation=oakwood).first()
    if member is not None:
        TeamContact.objects.create(member=member, person=arthur, organisation=oakwood,
                                   phone="01632 960 210", hours="Staffed day and night",
                                   key_worker=True)
    services.out_of_hours_set(actor=gp, phone="111", details="NHS 111, evenings and weekends")
    services.out_of_hours_set(actor=sw, phone="01632 960 999",
                              details="Emergency duty team, evenings, weekends, bank holidays")
    services.out_of_hours_set(actor=mh, phone="0800 000 0999",
                              details="Crisis line, 24 hours")
    OutOfHours.objects.create(organisation=oakwood, phone="01632 960 210",
                              details="Staffed day and night")

    # One review that is overdue, on the raising organisation's list.
    someone = (Person.objects.filter(registered_by=cast.orgs["riverside"], country="GB")
               .exclude(pk__in=[arthur.pk, maya.pk]).order_by("sort_name", "birth_date").first())
    if someone is not None:
        w = services.warning_raise(actor=gp, person_id=someone.pk, data={
            "kind": "lone_worker", "title": "Large dog at the house: ask for it to be shut away",
            "review_date": today})
        PersonWarning.objects.filter(pk=w.pk).update(
            review_date=today - dt.timedelta(days=14),
            raised_at=timezone.now() - dt.timedelta(days=200))


def _contacts(cast: Any, person: Any, by_org: dict[str, tuple[Any, dict[str, Any]]]) -> None:
    for key, (actor, data) in by_org.items():
        member = person.care_team.filter(organisation=cast.orgs[key]).first()
        if member is not None:
            services.team_contact_update(actor=actor, person_id=person.pk, member_id=member.pk,
                                         data=data, expected_version=None)


# -- seed ----------------------------------------------------------------------------------------

SEED_WARNINGS = [
    ("allergy", "Penicillin allergy"), ("allergy", "Allergic to latex"),
    ("dnacpr", "DNACPR form in place"), ("access", "Key safe at the front door"),
    ("lone_worker", "Visit in pairs"), ("infection", "MRSA: follow the care plan"),
    ("communication", "Hard of hearing: face the person and speak clearly"),
    ("safeguarding", "Safeguarding enquiry open"), ("risk_to_self", "Risk to self"),
]
SEED_NOTES = [
    ("visit", "Home visit", "Seen at home. Well in themselves. No new concerns."),
    ("phone", "Phone call", "Spoke on the phone. Medicines going well."),
    ("meeting", "Review meeting", "Care plan reviewed with the person and their family."),
    ("message", "Message", "Message sent about the next appointment."),
    ("letter", "Letter", "Clinic letter received and filed."),
    ("video", "Video call", "Video call: mood stable, sleeping well."),
]


def _names(memberships: dict[Any, Any]) -> dict[Any, str]:
    users = {u.pk: (u.get_full_name() or u.get_username())
             for u in get_user_model().objects.filter(
                 pk__in={m.user_id for m in memberships.values()})}
    return {pk: users.get(m.user_id, "") for pk, m in memberships.items()}


def seed(batch: Any) -> dict[str, int]:
    """A few warnings and notes for about half of the batch's people, by staff of their
    care-team organisations, with the timeline entries the services would write."""
    if not batch.people:
        return {}
    rng = random.Random(f"careweave-notes:{batch.people[0].pk}")
    names = _names(batch.ctx.memberships)

    def uid() -> uuid.UUID:
        return uuid.UUID(int=rng.getrandbits(128), version=4)

    teams: dict[Any, list[Any]] = {}
    for member in batch.team:
        teams.setdefault(member.person_id, []).append(member.organisation)
    warnings: list[PersonWarning] = []
    notes: list[CaseNote] = []
    timeline: list[TimelineEntry] = []
    for person in batch.people:
        orgs = [o for o in teams.get(person.pk, []) if o.pk in batch.ctx.staff]
        if not orgs:
            continue
        for _ in range(rng.choice((0, 0, 0, 1, 1, 2))):
            org = rng.choice(orgs)
            staff = batch.ctx.staff[org.pk]
            kind, title = rng.choice(SEED_WARNINGS)
            at = person.created_at + (batch.now - person.created_at) * rng.random()
            restricted = kind in ("risk_to_self", "safeguarding")
            warnings.append(batch.row(PersonWarning,
                id=uid(), person_id=person.pk, kind=kind, title=title, details="",
                organisation_id=org.pk, raised_by_id=staff.membership_id,
                raised_by_name=names.get(staff.membership_id, staff.username), raised_at=at,
                review_date=batch.today + dt.timedelta(days=rng.randrange(-30, 365)),
                status=rules.ACTIVE, version=1, updated_at=at,
                sensitivity=rules.RESTRICTED if restricted else rules.CARE_TEAM,
                audience_roles="", audience_kinds=rules.pack(
                    ["mental_health", "gp_practice", "social_care"]) if restricted else ""))
            if not restricted:
                timeline.append(batch.row(TimelineEntry,
                    id=uid(), person_id=person.pk, at=at, kind="notes.warning_raised",
                    organisation_id=org.pk, actor_role=staff.role, object_type="Warning",
                    object_id=str(warnings[-1].pk), recorded_at=at,
                    data={"kind": kind, "title": title, "organisation": org.name}))
        for _ in range(rng.choice((0, 0, 1, 2, 3, 5))):
            org = rng.choice(orgs)
            staff = batch.ctx.staff[org.pk]
            kind, summary, body = rng.choice(SEED_NOTES)
            at = person.created_at + (batch.now - person.created_at) * rng.random()
            author = names.get(staff.membership_id, staff.username)
            level = rules.CARE_TEAM if rng.random() < 0.85 else rules.ORGANISATION
            notes.append(batch.row(CaseNote,
                id=uid(), person_id=person.pk, kind=kind, occurred_at=at,
                organisation_id=org.pk, author_id=staff.membership_id, author_name=author,
                author_role=staff.role, author_title="", with_whom=["person"],
                with_whom_detail="", summary=summary, body=body, follow_up="",
                sensitivity=level, audience_roles="", audience_kinds="",
                amendment_reason="", recorded_at=at, idempotency_key="", request_hash=""))
            if level == rules.CARE_TEAM:
                timeline.append(batch.row(TimelineEntry,
                    id=uid(), person_id=person.pk, at=at, kind="notes.note_recorded",
                    organisation_id=org.pk, actor_role=staff.role, object_type="CaseNote",
                    object_id=str(notes[-1].pk), recorded_at=at,
                    data={"kind": kind, "summary": summary, "author": author,
                          "organisation": org.name}))
    batch.insert(PersonWarning, warnings)
    batch.insert(CaseNote, notes)
    batch.insert(TimelineEntry, timeline)
    return {"warnings": len(warnings), "case_notes": len(notes),
            "timeline_notes": len(timeline)}
