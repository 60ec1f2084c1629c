"""The assessments part of the demo (through the services, so audit, timeline, flags and
notifications are written as in real use) and of the seeded population (rows computed in
Python with the pure scoring and written in the batch, fast)."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from typing import Any

from careweave.assessments import change, rules, scoring, services
from careweave.assessments.models import (
    Assessment,
    Instrument,
    InstrumentVersion,
    LatestScore,
    SafetyFlag,
)
from careweave.people.models import Person, TimelineEntry

# Maya Okafor: a year of PHQ-9 and GAD-7 with the CMHT, every 4 to 6 weeks: better at first
# (a reliable recovery), a relapse in the spring (reliable deterioration, and one answer to
# PHQ-9 item 9 above 0, reviewed by the team), then a recovery.
MAYA_PHQ9 = [16, 9, 7, 6, 7, 15, 19, 13, 8, 6, 5]
MAYA_GAD7 = [13, 8, 6, 5, 6, 12, 14, 10, 7, 5, 4]
MAYA_GAPS = [0, 35, 42, 28, 35, 42, 28, 35, 42, 35, 28]  # days between assessments
FLAGGED = 6  # the PHQ-9 of 19: item 9 answered "several days"

FREQ = ["LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9"]


def answers_for(total: int, items: int, rng: random.Random, *,
                item9: int | None = None) -> dict[str, str]:
    """Answers ``q1``..``qN`` to a 0-3 frequency instrument that add up to ``total``; with
    ``item9`` the last item (PHQ-9's risk question) is fixed at that value."""
    values = [0] * items
    free = list(range(items))
    if item9 is not None:
        values[-1] = item9
        free = free[:-1]
    remaining = total - sum(values)
    while remaining > 0:
        rng.shuffle(free)
        for i in free:
            if remaining and values[i] < 3:
                values[i] += 1
                remaining -= 1
    return {f"q{i}": FREQ[v] for i, v in enumerate(values, start=1)}


def run(cast: Any) -> None:
    services.ensure_shipped()
    rng = random.Random(20261201)
    mh, gp, sw, gp_se = (cast.actor(u) for u in ("mh.uk", "gp.uk", "sw.uk", "gp.se"))
    maya = cast.person("Maya", "Okafor")
    start = cast.today - dt.timedelta(days=sum(MAYA_GAPS) + 12)
    day = start
    flagged = None
    for index, (gap, phq, gad) in enumerate(zip(MAYA_GAPS, MAYA_PHQ9, MAYA_GAD7, strict=True)):
        day = day + dt.timedelta(days=gap)
        item9 = 1 if index == FLAGGED else 0
        row, _new = services.assessment_record(
            actor=mh, person_id=maya.pk, instrument="phq9", taken_on=day,
            answers={**answers_for(phq, 9, rng, item9=item9),
                     "difficulty": "LA6573-5" if phq >= 10 else "LA6572-7"})
        if item9:
            flagged = row
        services.assessment_record(actor=mh, person_id=maya.pk, instrument="gad7",
                                   taken_on=day, answers=answers_for(gad, 7, rng))
    if flagged is not None:
        flag = SafetyFlag.objects.get(assessment=flagged)
        services.flag_review(actor=mh, person_id=maya.pk, flag_id=flag.pk, note=(
            "Seen at home the same day with her care coordinator. Passive thoughts, no plan "
            "or intent; protective factors: her brother Chidi and her job. Crisis plan "
            "reviewed with her, clozapine level checked. Weekly calls until the next PHQ-9."))

    arthur = cast.person("Arthur", "Penrose")
    services.assessment_record(
        actor=sw, person_id=arthur.pk, instrument="careweave_hna",
        taken_on=cast.today - dt.timedelta(days=20), answers={
            "what_matters": "Seeing my daughter Jean on Sundays, listening to the cricket, and "
                            "staying at Oakwood where the staff know me.",
            "daily_living": "some", "housing": "none", "money": "some", "food": "none",
            "social_contact": "a_lot", "caring": "none", "health_literacy": "some",
            "culture_faith": "none", "language": "none", "digital": "a_lot",
            "support_wanted": "Help to video-call Jean on the days she cannot visit; someone "
                              "to explain the new tablets in plain words."})
    services.assessment_record(
        actor=sw, person_id=arthur.pk, instrument="loneliness3",
        taken_on=cast.today - dt.timedelta(days=20),
        answers={"companionship": "some_of_the_time", "left_out": "often",
                 "isolated": "some_of_the_time"})

    karim = cast.person("Karim", "Haddad")
    services.assessment_record(
        actor=gp_se, person_id=karim.pk, instrument="ahc_hrsn", language="sv",
        taken_on=cast.today - dt.timedelta(days=9), answers={
            "living": "worried", "housing_problems": ["mould", "heat"],
            "food_worry": "sometimes_true", "food_ran_out": "never_true", "transport": "no",
            "utilities": "yes", "safety_hurt": "never", "safety_insult": "never",
            "safety_threaten": "never", "safety_scream": "rarely"})

    # A few of Riverside's people on the GP's caseload: one whose PHQ-9 got reliably worse,
    # two overdue a repeat, so the team view has something in it.
    crowd = list(Person.objects.filter(registered_by=cast.orgs["riverside"], country="GB")
                 .exclude(pk__in=[arthur.pk, maya.pk]).order_by("sort_name", "birth_date")[:3])
    for n, person in enumerate(crowd):
        first = cast.today - dt.timedelta(days=120 + 10 * n)
        services.assessment_record(actor=gp, person_id=person.pk, instrument="phq9",
                                   taken_on=first, answers=answers_for(6 + n, 9, rng, item9=0))
        if n == 0:
            services.assessment_record(actor=gp, person_id=person.pk, instrument="phq9",
                                       taken_on=cast.today - dt.timedelta(days=5),
                                       answers=answers_for(14, 9, rng, item9=0))


# -- seed ------------------------------------------------------------------------------------

# About ten assessments a person: PHQ-9 and GAD-7 four times each, loneliness, and a
# holistic needs assessment or a social needs screen.
SEED_PLAN = ("phq9", "gad7", "phq9", "gad7", "phq9", "gad7", "phq9", "gad7", "loneliness3",
             "careweave_hna")


def _versions() -> dict[str, InstrumentVersion]:
    services.ensure_shipped()
    return {i.code: i.current for i in Instrument.objects.select_related("current")
            if i.current is not None}


def _seed_answers(definition: dict[str, Any], rng: random.Random, level: float,
                  item9: int) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for item in definition["items"]:
        kind = item.get("type", scoring.CHOICE)
        if kind == scoring.TEXT:
            if item.get("required"):
                answers[item["code"]] = "Staying well at home."
            continue
        options = scoring.options_of(definition, item)
        if kind == scoring.MULTI:
            answers[item["code"]] = [options[-1]["code"]]
            continue
        if item["code"] == "q9" and definition["code"] == "phq9":
            answers["q9"] = options[item9]["code"]
            continue
        index = min(len(options) - 1, max(0, int(rng.gauss(level * (len(options) - 1),
                                                            0.8))))
        answers[item["code"]] = options[index]["code"]
    return answers


def seed(batch: Any) -> dict[str, int]:
    """About ten submitted assessments for each of the batch's people, by staff of their
    care-team organisations whose role may record the instrument, scored with the pure
    scoring, with the latest-score rows, safety flags (about 1 in 200 PHQ-9s) and timeline
    entries the services would write."""
    if not batch.people:
        return {}
    versions = _versions()
    rng = random.Random(f"careweave-assessments:{batch.people[0].pk}")

    def uid() -> uuid.UUID:
        return uuid.UUID(int=rng.getrandbits(128), version=4)

    orgs_by_person: dict[Any, list[Any]] = {}
    for member in batch.team:
        orgs_by_person.setdefault(member.person_id, []).append(member.organisation)
    rows: list[Assessment] = []
    latest: list[LatestScore] = []
    flags: list[SafetyFlag] = []
    timeline: list[TimelineEntry] = []
    today = batch.today
    for person in batch.people:
        orgs = [o for o in orgs_by_person.get(person.pk, []) if o.pk in batch.ctx.staff]
        if not orgs:
            continue
        level = rng.random() * 0.7
        days_back = rng.randrange(30, 700)
        history: dict[str, list[Assessment]] = {}
        for n, code in enumerate(SEED_PLAN):
            version = versions[code]
            definition = version.definition
            recorders = [o for o in orgs
                         if rules.may_record(version.audience, batch.ctx.staff[o.pk].role)]
            if not recorders:
                continue
            org = rng.choice(recorders)
            staff = batch.ctx.staff[org.pk]
            step = max(1, days_back // len(SEED_PLAN))
            taken = today - dt.timedelta(days=max(0, days_back - step * n - rng.randrange(7)))
            at = batch.now - dt.timedelta(days=(today - taken).days)
            item9 = 1 if code == "phq9" and rng.random() < 0.005 else 0
            level = min(1.0, max(0.0, level + rng.uniform(-0.2, 0.2)))
            answers = _seed_answers(definition, rng, level, item9)
            result = scoring.score(definition, answers)
            data = result.as_dict()
            row = batch.row(Assessment,
                id=uid(), person_id=person.pk, instrument_id=version.instrument_id,
                instrument_version_id=version.pk, audience=version.audience,
                status=rules.SUBMITTED, mode="staff", language="sv" if person.country == "SE"
                else "en", answers=answers, page=0, organisation_id=org.pk,
                recorded_by_id=staff.membership_id, recorded_by_name=staff.username,
                taken_on=taken, started_at=at, submitted_at=at, total=result.total,
                band=result.band, prorated=result.prorated,
                scoring_version=result.scoring_version,
                unscored_reason=result.unscored_reason,
                result={k: data[k] for k in ("domains", "concerns", "flags", "missing",
                                             "answered")},
                root_id=None, corrects_id=None, version=1, correction_reason="",
                idempotency_key="", request_hash="")
            rows.append(row)
            history.setdefault(code, []).append(row)
            professional = version.audience == rules.PROFESSIONAL
            timeline.append(batch.row(TimelineEntry,
                id=uid(), person_id=person.pk, at=at, organisation_id=org.pk,
                actor_role=staff.role, recorded_at=at, object_type="Assessment",
                object_id=str(row.pk),
                kind="assessments.recorded" + ("_professional" if professional else ""),
                data={"instrument": code, "name": definition.get("name", {}),
                      "total": result.total, "band": _band_label(definition, result.band),
                      "organisation": org.name, "mode": "staff", "reason": ""}))
            for flag_code in result.flags:
                flags.append(batch.row(SafetyFlag,
                    id=uid(), person_id=person.pk, assessment_id=row.pk,
                    instrument_id=version.instrument_id, code=flag_code,
                    audience=version.audience, status=rules.OPEN, raised_at=at,
                    organisation_id=org.pk, reviewed_by_id=None, reviewed_by_name="",
                    reviewed_at=None, review_note="", version=1))
        for code, series in history.items():
            version = versions[code]
            scored = [r for r in series if r.total is not None]
            last = series[-1]
            previous = scored[-2].total if len(scored) > 1 and last.total is not None \
                else None
            kind = change.classify(previous, last.total, change.thresholds_of(
                version.definition)) if last.total is not None else ""
            due = rules.due_on(last.taken_on, version.definition.get("repeat_days"))
            latest.append(batch.row(LatestScore,
                person_id=person.pk, instrument_id=version.instrument_id,
                assessment_id=last.pk, audience=version.audience, taken_on=last.taken_on,
                total=last.total, band=last.band, previous_total=previous, change=kind,
                due_on=due, attention_on=last.taken_on if kind == change.DETERIORATION
                else due, updated_at=batch.now))
    batch.insert(Assessment, rows)
    batch.insert(LatestScore, latest)
    batch.insert(SafetyFlag, flags)
    batch.insert(TimelineEntry, timeline)
    return {"assessments": len(rows), "latest_scores": len(latest),
            "safety_flags": len(flags), "timeline_assessments": len(timeline)}


def _band_label(definition: dict[str, Any], code: str) -> dict[str, str]:
    for band in definition.get("scoring", {}).get("bands", []):
        if band["code"] == code:
            return dict(band["label"])
    return {}
