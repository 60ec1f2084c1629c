"""Reads of plans, always through the gate: a page or endpoint opens the person first
(:func:`careweave.access.gate.open_person`, audited once per request), then reads the
plan's rows by ``person_id`` and plan id.

Sections marked sensitive are left out *in the query* for readers the person's consent
does not cover (:func:`careweave.plans.rules.sees_sensitive`), and every list here runs a
fixed number of queries whatever the plan's size.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from careweave.access import policy
from careweave.access.gate import Basis, active_team_q, consent_facts, deny, open_person
from careweave.access.models import CareTeamMember
from careweave.core.context import Actor
from careweave.orgs.models import Membership, Organisation
from careweave.people.models import Person
from careweave.plans import rules, versions
from careweave.plans.models import (
    CrisisPlan,
    Goal,
    GoalRating,
    OrganisationAgreement,
    Participant,
    Plan,
    PlanAction,
    PlanChange,
    PlanSection,
    PlanVersion,
    Review,
)

# -- who may see the person ------------------------------------------------------------------


def organisations_that_may_see(person: Person, *, now: dt.datetime | None = None
                               ) -> dict[uuid.UUID, Organisation]:
    """The organisations on the person's active care team whose care staff the gate lets
    read the record now (the same pure rule; emergency access does not count): the only
    ones that may own an action or coordinate the plan. Two queries."""
    now = now or timezone.now()
    team = (CareTeamMember.objects.filter(active_team_q(now), person=person,
                                          organisation__is_active=True)
            .select_related("organisation").order_by("organisation__name"))
    consents = consent_facts(person.pk)
    out: dict[uuid.UUID, Organisation] = {}
    for member in team:
        facts = policy.Facts(country=person.country, role="clinician",
                             organisation_id=str(member.organisation_id),
                             registered_by_id=str(person.registered_by_id), in_care_team=True,
                             consents=consents)
        if policy.read_decision(facts, now).allowed:
            out[member.organisation_id] = member.organisation
    return out


def staff_of(organisation_ids: Iterable[uuid.UUID], *, professionals: bool = False
             ) -> QuerySet[Membership]:
    """Active staff in a care role (or a professional role) of these organisations."""
    roles = policy.PROFESSIONAL_ROLES if professionals else policy.CARE_ROLES
    return (Membership.objects.filter(organisation_id__in=list(organisation_ids), is_active=True,
                                      user__is_active=True, role__in=roles)
            .select_related("user", "organisation")
            .order_by("organisation__name", "user__last_name", "user__first_name", "id"))


# -- the reader of a plan ------------------------------------------------------------------------


def viewer_for(actor: Actor, person: Person, decision: Any, plan: Plan | None = None,
               *, coordinating_id: str = "") -> rules.Viewer:
    """The actor as :mod:`careweave.plans.rules` sees them. Reads the consents (one
    query) only when they decide."""
    org = str(actor.organisation_id or "")
    coordinating = coordinating_id or (str(plan.coordinating_organisation_id) if plan else "")
    relation = str(getattr(decision, "relation", policy.Relation.NONE))
    consents: tuple[policy.ConsentFact, ...] = ()
    if relation == policy.Relation.CARE_TEAM and org not in (str(person.registered_by_id),
                                                             coordinating):
        consents = consent_facts(person.pk)
    return rules.Viewer(organisation_id=org, relation=relation,
                        registering_id=str(person.registered_by_id),
                        coordinating_id=coordinating, consents=consents)


def visible_sections(plan: Plan, viewer: rules.Viewer, sees_all: bool) -> QuerySet[PlanSection]:
    """The plan's sections the viewer may read, the rule applied in the query."""
    qs = PlanSection.objects.filter(plan=plan, person_id=plan.person_id, removed_at__isnull=True)
    if not sees_all:
        own = (Q(organisation_id=viewer.organisation_id)
               if viewer.relation in (policy.Relation.REGISTERING, policy.Relation.CARE_TEAM)
               and viewer.organisation_id else Q(pk__in=[]))
        qs = qs.filter(Q(sensitive=False) | own)
    return qs.order_by("position", "created_at", "id")


def withheld_count(plan: Plan, viewer: rules.Viewer, sees_all: bool) -> int:
    """How many sections are withheld from the viewer (the page says so, not what)."""
    if sees_all:
        return 0
    qs = PlanSection.objects.filter(plan=plan, removed_at__isnull=True, sensitive=True)
    if viewer.organisation_id and viewer.relation in (policy.Relation.REGISTERING,
                                                      policy.Relation.CARE_TEAM):
        qs = qs.exclude(organisation_id=viewer.organisation_id)
    return qs.count()


def keep_for(viewer: rules.Viewer, sees_all: bool):  # noqa: ANN201
    """``keep(kind, item)`` for snapshots and comparisons: sections the viewer may not read
    are left out (neither shown nor counted as changes)."""
    def keep(kind: str, item: Mapping[str, Any]) -> bool:
        if kind != "sections":
            return True
        author = item.get("organisation") or {}
        return rules.section_visible(viewer, sensitive=bool(item.get("sensitive")),
                                     author_id=str(author.get("id") or ""), sees_all=sees_all)
    return keep


def filtered(snap: Mapping[str, Any], viewer: rules.Viewer, sees_all: bool
             ) -> tuple[dict[str, Any], int]:
    """A snapshot as the viewer may read it, and how many sections were withheld."""
    keep = keep_for(viewer, sees_all)
    sections = [s for s in snap.get("sections", []) if keep("sections", s)]
    out = dict(snap)
    out["sections"] = sections
    return out, len(snap.get("sections", [])) - len(sections)


# -- the plan's content --------------------------------------------------------------------------


def _ref(obj: Any, name: str) -> dict[str, str] | None:
    return {"id": str(obj.pk), "name": name} if obj is not None else None


def _staff_name(m: Membership | None) -> str:
    return (m.user.get_full_name() or m.user.get_username()) if m is not None else ""


def _day(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


@dataclass
class Content:
    goals: list[Goal]
    actions: list[PlanAction]
    sections: list[PlanSection] = field(default_factory=list)
    participants: list[Participant] = field(default_factory=list)


def content(plan: Plan, *, sections: QuerySet[PlanSection] | None = None) -> Content:
    """The plan's live goals, actions, sections and participants: four queries."""
    goals = list(Goal.objects.filter(plan=plan, person_id=plan.person_id, removed_at__isnull=True)
                 .order_by("kind", "position", "created_at", "id"))
    actions = list(PlanAction.objects.filter(plan=plan, person_id=plan.person_id,
                                             removed_at__isnull=True)
                   .select_related("organisation", "staff__user", "goal")
                   .order_by("position", "created_at", "id"))
    if sections is None:
        sections = PlanSection.objects.filter(plan=plan, removed_at__isnull=True).order_by(
            "position", "created_at", "id")
    sections = sections.select_related("organisation")
    participants = list(Participant.objects.filter(plan=plan, removed_at__isnull=True)
                        .select_related("organisation").order_by("created_at", "id"))
    return Content(goals, actions, list(sections), participants)


def snapshot(plan: Plan, live: Content) -> dict[str, Any]:
    """The plan as plain data (the layout of :mod:`careweave.plans.versions`)."""
    goal_names = {g.pk: g.own_words[:120] for g in live.goals}
    return {
        "v": versions.VERSION,
        "plan_id": str(plan.pk),
        "plan_type": plan.plan_type,
        "language": plan.language,
        "situation": plan.situation,
        "what_matters": plan.what_matters,
        "coordinating_organisation": _ref(plan.coordinating_organisation,
                                          plan.coordinating_organisation.name),
        "coordinator": _ref(plan.coordinator, _staff_name(plan.coordinator)),
        "contingency": plan.contingency,
        "follow_up_date": _day(plan.follow_up_date),
        "goals": [{
            "id": str(g.pk), "kind": g.kind, "own_words": g.own_words,
            "measurable": g.measurable, "target_date": _day(g.target_date),
            "level_m2": g.level_m2, "level_m1": g.level_m1, "level_0": g.level_0,
            "level_p1": g.level_p1, "level_p2": g.level_p2,
        } for g in live.goals],
        "actions": [{
            "id": str(a.pk), "goal": _ref(a.goal, goal_names.get(a.goal_id, "")) if a.goal_id
            else None, "description": a.description,
            "organisation": _ref(a.organisation, a.organisation.name),
            "staff": _ref(a.staff, _staff_name(a.staff)),
            "start_date": _day(a.start_date), "due_date": _day(a.due_date), "status": a.status,
        } for a in live.actions],
        "sections": [{
            "id": str(s.pk), "heading": s.heading, "body": s.body, "sensitive": s.sensitive,
            "organisation": _ref(s.organisation, s.organisation.name) if s.organisation
            else None,
        } for s in live.sections],
        "participants": [{
            "id": str(p.pk), "kind": p.kind, "name": p.name, "role": p.role,
            "organisation": _ref(p.organisation, p.organisation.name) if p.organisation
            else None,
        } for p in live.participants],
    }


def agreed_organisations(plan: Plan, snap: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Per organisation owning actions in ``snap``: whether it agreed to them as they read
    there (its agreement's digest matches), when and by whom. One query."""
    owners: dict[str, str] = {}
    for action in snap.get("actions", []):
        org = action.get("organisation") or {}
        if org.get("id"):
            owners[str(org["id"])] = str(org.get("name", ""))
    rows = (OrganisationAgreement.objects.filter(plan=plan, organisation_id__in=list(owners))
            .select_related("agreed_by__user").order_by("-agreed_at"))
    digests = {org: versions.actions_digest(snap.get("actions", []), org) for org in owners}
    out: dict[str, dict[str, Any]] = {org: {"name": name, "agreed": None}
                                      for org, name in owners.items()}
    for row in rows:
        org = str(row.organisation_id)
        if out[org]["agreed"] is None and row.digest == digests[org]:
            out[org]["agreed"] = {"at": row.agreed_at, "by": _staff_name(row.agreed_by)}
    return dict(sorted(out.items(), key=lambda kv: str(kv[1]["name"])))


# -- pages and endpoints -------------------------------------------------------------------------


def plans_of(*, actor: Actor, person_id: uuid.UUID | str) -> tuple[Person, Any, list[Plan]]:
    """The person's plans, open first (audited as one read)."""
    person, decision = open_person(actor, person_id, object_type="Plan")
    plans = list(Plan.objects.filter(person=person)
                 .select_related("coordinating_organisation", "coordinator__user")
                 .order_by("closed_at", "-created_at", "id"))
    return person, decision, plans


def plan_of(actor: Actor, person: Person, plan_id: uuid.UUID | str) -> Plan:
    """The person's plan with this id, or the same audited 404 as anything else."""
    try:
        pid = plan_id if isinstance(plan_id, uuid.UUID) else uuid.UUID(str(plan_id))
    except ValueError:
        deny(actor, person.pk, "read", Basis.NOT_FOUND, "Plan", str(plan_id)[:64])
    plan = (Plan.objects.select_related("coordinating_organisation", "coordinator__user",
                                        "person")
            .filter(pk=pid, person=person).first())
    if plan is None:
        deny(actor, person.pk, "read", Basis.NOT_FOUND, "Plan", str(pid))
    assert plan is not None
    return plan


def open_plan(*, actor: Actor, person_id: uuid.UUID | str, plan_id: uuid.UUID | str,
              action: policy.Action = policy.Action.READ, object_type: str = "Plan"
              ) -> tuple[Person, Any, Plan]:
    person, decision = open_person(actor, person_id, object_type=object_type,
                                   object_id=str(plan_id)[:64], action=action)
    return person, decision, plan_of(actor, person, plan_id)


@dataclass
class PlanView:
    """Everything a plan page, the API and an export show, as the reader may see it."""

    person: Person
    decision: Any
    plan: Plan
    viewer: rules.Viewer
    sees_sensitive: bool
    live: Content
    withheld: int
    versions: list[PlanVersion]
    reviews: list[Review]
    agreements: dict[str, dict[str, Any]]
    snapshot: dict[str, Any]


def plan_view(*, actor: Actor, person_id: uuid.UUID | str, plan_id: uuid.UUID | str,
              action: policy.Action = policy.Action.READ) -> PlanView:
    """The live plan for its page or the API: a fixed number of queries."""
    person, decision, plan = open_plan(actor=actor, person_id=person_id, plan_id=plan_id,
                                       action=action)
    viewer = viewer_for(actor, person, decision, plan)
    sees = rules.sees_sensitive(viewer, timezone.now())
    live = content(plan, sections=visible_sections(plan, viewer, sees))
    withheld = withheld_count(plan, viewer, sees)
    found = list(PlanVersion.objects.filter(plan=plan).select_related("recorded_by__user")
                 .defer("snapshot").order_by("-number"))
    reviews = list(Review.objects.filter(plan=plan).select_related("organisation")
                   .prefetch_related(Prefetch("ratings", queryset=GoalRating.objects.order_by(
                       "goal__kind", "goal__position", "id")))
                   .order_by("held_on", "created_at", "id"))
    snap = snapshot(plan, live)
    return PlanView(person, decision, plan, viewer, sees, live, withheld, found, reviews,
                    agreed_organisations(plan, snap), snap)


def version_of(plan: Plan, number: int) -> PlanVersion | None:
    return PlanVersion.objects.filter(plan=plan, number=number).first()


def changes_between(plan: Plan, after_revision: int, up_to_revision: int | None,
                    viewer: rules.Viewer, sees_all: bool) -> list[PlanChange]:
    """Who changed what (field names only) and why, between two revisions of the plan;
    changes to sections the viewer may not read are left out."""
    qs = PlanChange.objects.filter(plan=plan, revision__gt=after_revision)
    if up_to_revision is not None:
        qs = qs.filter(revision__lte=up_to_revision)
    if not sees_all:
        qs = qs.filter(sensitive=False)
    return list(qs.order_by("revision", "at", "id"))


def goal_series(goals: Sequence[Goal], reviews: Sequence[Review]) -> list[dict[str, Any]]:
    """Each goal's ratings over the reviews, in date order (for the chart and its table)."""
    rows: list[dict[str, Any]] = []
    for review in reviews:
        for rating in review.ratings.all():
            rows.append({"review": review, "rating": rating})
    by_goal: dict[uuid.UUID, list[dict[str, Any]]] = {g.pk: [] for g in goals}
    for row in rows:
        if row["rating"].goal_id in by_goal:
            by_goal[row["rating"].goal_id].append(row)
    return [{"goal": g, "number": i, "ratings": by_goal[g.pk]}
            for i, g in enumerate(goals, start=1)]


def overdue_people(person_ids: Sequence[Any], today: dt.date) -> set[Any]:
    """Of these people, who has an open plan whose follow-up date has passed (one query)."""
    return set(Plan.objects.filter(person_id__in=list(person_ids), closed_at__isnull=True,
                                   follow_up_date__lt=today)
               .values_list("person_id", flat=True))


def crisis_plan_of(person: Person) -> CrisisPlan | None:
    return (CrisisPlan.objects.filter(person=person)
            .select_related("crisis_recorded_by__organisation", "updated_by__organisation")
            .prefetch_related("contacts").first())


def active_crisis(person: Person) -> CrisisPlan | None:
    """The crisis plan, only while a crisis is recorded (one indexed query, then the
    contacts when there is one)."""
    found = (CrisisPlan.objects.filter(person=person, crisis_since__isnull=False)
             .select_related("crisis_recorded_by__organisation").first())
    if found is not None:
        found.contact_list = list(found.contacts.order_by("position"))  # type: ignore[attr-defined]
    return found


def open_crisis_plan(*, actor: Actor, person_id: uuid.UUID | str,
                     action: policy.Action = policy.Action.READ
                     ) -> tuple[Person, Any, CrisisPlan | None]:
    person, decision = open_person(actor, person_id, object_type="CrisisPlan", action=action)
    return person, decision, crisis_plan_of(person)
