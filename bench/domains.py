"""The domain scenarios of `make bench`: notes and medicines, assessments, plans.

bench/run.py calls :func:`measure_all` after its own scenarios, with gunicorn up and gp.uk's
bearer token and logged-in sessions ready. Like the rest of the bench this reaches Careweave
only over HTTP and imports nothing from it: each scenario's data is made through the JSON
API as gp.uk (Riverside Surgery), the way a client would make it, then the scenario is
measured by run.py's own generator (wrk, or the Python fallback) like the other rows.

Keys (``--only``), grouped by the app whose data they need:

notes       notes_page (person page of someone with 5 warnings, 200 notes, 20 medicines),
            timeline_page (a timeline of --timeline-entries entries), note_add
assessments phq9_submit, deteriorating (the follow-up page: GET /assessments/follow-up/;
            there is no API for that list)
plans       plan_page, goal_save, plan_compare, plan_pdf

run.py is passed in as a module (``b``) for its Scenario, Target, Result, http_request and
log, so that this file and run.py do not import each other.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

KEYS = ("notes_page", "timeline_page", "note_add", "phq9_submit", "deteriorating",
        "plan_page", "goal_save", "plan_compare", "plan_pdf")
GROUPS = {
    "notes": ("notes_page", "timeline_page", "note_add"),
    "assessments": ("phq9_submit", "deteriorating"),
    "plans": ("plan_page", "goal_save", "plan_compare", "plan_pdf"),
}
# The issues' targets: p95 in ms, at 16 clients on PostgreSQL with 100,000 people.
P95_MS = {"notes_page": 60, "timeline_page": 50, "note_add": 30, "phq9_submit": 30,
          "deteriorating": 100, "plan_page": 50, "goal_save": 30, "plan_compare": 50,
          "plan_pdf": 1000}
TITLES = {
    "notes_page": "person page, 5 warnings, 200 notes, 20 medicines (GET /people/<id>/)",
    "timeline_page": "timeline page (GET /people/<id>/timeline/)",
    "note_add": "add a note, audited (POST /api/v1/people/<id>/notes)",
    "phq9_submit": "submit and score a PHQ-9, audited (POST …/assessments)",
    "deteriorating": "deteriorating on my caseload (GET /assessments/follow-up/)",
    "plan_page": "plan page (GET /people/<id>/plans/<plan>/)",
    "goal_save": "save a goal, audited (PATCH …/plans/<plan>/goals/<goal>)",
    "plan_compare": "compare versions 1 and 2 (GET …/plans/<plan>/compare/)",
    "plan_pdf": "plan PDF, agreed version 2 (GET …/plans/<plan>/pdf/)",
}
HEAVY = {"warnings": 5, "notes": 200, "medicines": 20}
WRITERS = 1000  # people the note and PHQ-9 writes are spread over (gp.uk's caseload)

# Rows `careweave seed` said it wrote ("3,000 assessments"), summed over this run's seeds.
SEEDED: dict[str, int] = {}


def add_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("domain scenarios (bench/domains.py)")
    g.add_argument("--timeline-entries", type=int, default=10_000,
                   help="timeline entries of the timeline_page person (10000), made as case "
                        "notes through the API (about 100 a second)")


def check_arguments(p: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if not 1 <= args.timeline_entries <= 100_000:
        p.error("--timeline-entries must be between 1 and 100,000")


def count_seeded(output: str) -> None:
    """Remember the rows from `careweave seed`'s last line ("…: 300 people, 3,000 assessments.")."""
    m = re.search(r"^Seeded [\d,]+ people in .*?\): (.*)\.\s*$", output, re.M)
    for part in (m.group(1).split(", ") if m else []):
        number, _sep, name = part.partition(" ")
        if number.replace(",", "").isdigit() and name:
            SEEDED[name] = SEEDED.get(name, 0) + int(number.replace(",", ""))


def next_etag(status: int, etag: str | None, body: bytes) -> str | None:
    """The If-Match a client sends next after this answer (as wrk.lua does): the ETag of a
    success, or on a 412 the problem's current_version; None to keep the one it has."""
    if status < 300 and etag:
        return etag
    if status == 412:
        m = re.search(rb'"current_version"\s*:\s*(\d+)', body)
        if m:
            return f'W/"{int(m.group(1))}"'
    return None


def item(method: str, path: str, body: Any = None, **headers: str) -> str:
    """A request line for run.py's generators: METHOD, path, JSON body, Header: value."""
    text = json.dumps(body, ensure_ascii=False) if body is not None else ""
    extra = [f"{k.replace('_', '-')}: {v}" for k, v in headers.items()]
    return "\t".join([method, path, *([text] if text or extra else []), *extra])


# -- the API, as gp.uk ----------------------------------------------------------------------------


class ApiError(RuntimeError):
    def __init__(self, status: int, method: str, path: str, body: bytes) -> None:
        super().__init__(f"{method} {path} answered {status}: "
                         f"{body[:300].decode('utf-8', 'replace')}")
        self.status = status


@dataclass
class Api:
    b: Any  # bench/run.py
    port: int
    token: str

    def call(self, method: str, path: str, body: Any = None, *, if_match: str = "",
             key: str = "") -> tuple[Any, str]:
        """(parsed JSON answer, ETag); ApiError unless 2xx."""
        headers = {"Authorization": self.token, "Accept": "application/json"}
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body, ensure_ascii=False).encode()
        if if_match:
            headers["If-Match"] = if_match
        if key:
            headers["Idempotency-Key"] = key
        full = "/api/v1" + path
        for attempt in (1, 2):  # one retry on a dropped connection (the key makes it safe)
            try:
                status, hdr, raw = self.b.http_request(self.port, method, full, body=data,
                                                       headers=headers)
                break
            except OSError:
                if attempt == 2 or (method != "GET" and not key):
                    raise
        if not 200 <= status < 300:
            raise ApiError(status, method, full, raw)
        parsed = json.loads(raw) if raw and "json" in (hdr.get("Content-Type") or "") else raw
        return parsed, hdr.get("ETag") or ""

    def get(self, path: str) -> Any:
        return self.call("GET", path)[0]

    def count(self, path: str, upto: int) -> int:
        """Items of a keyset-paged list (size 100), counted up to `upto`."""
        n, cursor = 0, None
        while n < upto:
            sep = "&" if "?" in path else "?"
            page = self.get(f"{path}{sep}size=100" + (f"&cursor={cursor}" if cursor else ""))
            n += len(page["items"])
            cursor = page.get("next_cursor")
            if not cursor:
                break
        return n


def parallel(jobs: Sequence[Callable[[], Any]], clients: int) -> list[str]:
    """Run the jobs on `clients` threads; returns the errors. Ctrl-C stops handing out jobs."""
    queue = iter(jobs)
    lock = threading.Lock()
    stop = threading.Event()
    errors: list[str] = []

    def worker() -> None:
        while not stop.is_set():
            with lock:
                job = next(queue, None)
            if job is None:
                return
            try:
                job()
            except Exception as exc:  # noqa: BLE001 - counted and reported by the caller
                with lock:
                    errors.append(str(exc)[:300])

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(max(1, clients))]
    for t in threads:
        t.start()
    try:
        for t in threads:
            while t.is_alive():
                t.join(0.5)
    except BaseException:
        stop.set()
        raise
    return errors


@dataclass
class People:
    """gp.uk's caseload sample (run.py's person_ids): special people are taken from the end,
    the writers are the rest, so that no write lands on a person another scenario reads."""
    ids: list[str]
    taken: set[str] = field(default_factory=set)

    def candidates(self) -> list[str]:
        return [p for p in reversed(self.ids) if p not in self.taken]

    def take(self, pid: str) -> str:
        self.taken.add(pid)
        return pid

    def writers(self) -> list[str]:
        return [p for p in self.ids if p not in self.taken][:WRITERS]


def first_that(people: People, works: Callable[[str], Any], what: str, tries: int = 20) -> Any:
    """The first candidate for which works(pid) gives something (ApiError: try the next)."""
    last = ""
    for pid in people.candidates()[:tries]:
        try:
            found = works(pid)
        except ApiError as exc:
            last = str(exc)
            continue
        if found is not None:
            people.take(pid)
            return found
    raise RuntimeError(f"no person on the caseload sample for {what}" +
                       (f" (last: {last})" if last else ""))


def _ago(days: float) -> str:
    return (dt.datetime.now(dt.UTC) - dt.timedelta(days=days)).isoformat(timespec="seconds")


def _scenario(b: Any, key: str, items: list[str], auth: str, about: str, **kw: Any) -> Any:
    return b.Scenario(key, TITLES[key], items, auth=auth, target=b.Target(p95_ms=P95_MS[key]),
                      about=about, **kw)


def measure_all(b: Any, args: argparse.Namespace, server: Any, measure: Callable[..., Any],
                token: str, person_ids: Sequence[str], only: set[str]) -> list[Any]:
    """Make each wanted group's data, then measure its scenarios (a group whose set-up fails
    gives rows marked n/a, with why, and the run goes on)."""
    api = Api(b, server.port, token)
    people = People(list(person_ids))
    results: list[Any] = []
    for group, keys in GROUPS.items():
        wanted = [k for k in keys if not only or k in only]
        if not wanted:
            continue
        b.log(f"{group}: making the data through the API as {b.USERNAME} "
              f"({', '.join(wanted)})")
        t0 = time.monotonic()
        try:
            scs = SETUPS[group](b, api, people, args, wanted)
        except (ApiError, RuntimeError, OSError, KeyError, ValueError) as exc:
            b.log(f"{group}: set-up failed, {exc}")
            results += [b.Result(b.Scenario(k, TITLES[k], [], target=b.Target(
                p95_ms=P95_MS[k])), note=f"set-up failed: {str(exc)[:200]}") for k in wanted]
            continue
        b.log(f"{group}: data ready in {time.monotonic() - t0:.0f}s")
        for sc in scs:
            results.append(measure(server, sc, args.duration, args.warmup))
    return results


# -- notes and medicines ------------------------------------------------------------------------

WARNING_KINDS = ("allergy", "dnacpr", "lone_worker", "infection", "communication",
                 "access", "risk_to_self", "safeguarding")
NOTE_KINDS = ("visit", "phone", "video", "message", "meeting", "letter")
MEDICINES = [("Amlodipine 5 mg tablets", "5 mg", "once a day"),
             ("Metformin 500 mg tablets", "500 mg", "twice a day"),
             ("Atorvastatin 20 mg tablets", "20 mg", "at night"),
             ("Ramipril 2.5 mg capsules", "2.5 mg", "once a day"),
             ("Bisoprolol 2.5 mg tablets", "2.5 mg", "once a day"),
             ("Omeprazole 20 mg capsules", "20 mg", "before breakfast"),
             ("Paracetamol 500 mg tablets", "1 g", "up to four times a day"),
             ("Sertraline 50 mg tablets", "50 mg", "once a day"),
             ("Levothyroxine 50 microgram tablets", "50 micrograms", "before breakfast"),
             ("Furosemide 40 mg tablets", "40 mg", "in the morning")]


def warning_body(i: int) -> dict[str, Any]:
    return {"kind": WARNING_KINDS[i % len(WARNING_KINDS)],
            "title": f"Bench warning {i + 1}: check before visiting",
            "details": "Made by the benchmark through the API."}


def note_body(i: int, occurred_at: str) -> dict[str, Any]:
    return {"kind": NOTE_KINDS[i % len(NOTE_KINDS)], "occurred_at": occurred_at,
            "with_whom": ["person"], "summary": f"Bench contact {i + 1}: reviewed how things are",
            "body": "Talked about how the week went, sleep, meals and getting out. "
                    "Agreed to speak again next week. (Made by the benchmark.)",
            "follow_up": "Phone next week."}


def medicine_body(i: int) -> dict[str, Any]:
    name, dose, frequency = MEDICINES[i % len(MEDICINES)]
    return {"name": f"{name} ({i + 1})" if i >= len(MEDICINES) else name, "dose": dose,
            "route": "oral", "frequency": frequency, "administered_by": "self",
            "started": (dt.date.today() - dt.timedelta(days=30 + i)).isoformat()}


def heavy_person(api: Api, people: People, clients: int) -> tuple[str, str]:
    """A seeded person with at most HEAVY of each, topped up to exactly HEAVY warnings,
    notes and medicines; (id, what was added)."""
    def counts(pid: str) -> dict[str, int] | None:
        have = {"warnings": len(api.get(f"/people/{pid}/warnings")),
                "medicines": len(api.get(f"/people/{pid}/medicines")["items"]),
                "notes": api.count(f"/people/{pid}/notes", HEAVY["notes"] + 1)}
        return have if all(have[k] <= HEAVY[k] for k in HEAVY) else None

    def usable(pid: str) -> tuple[str, dict[str, int]] | None:
        have = counts(pid)
        if have is None:
            return None
        api.call("POST", f"/people/{pid}/warnings", warning_body(0))  # may gp.uk write?
        have["warnings"] += 1
        return pid, have

    pid, have = first_that(people, usable, "the heavy person page")
    jobs: list[Callable[[], Any]] = []
    for i in range(have["warnings"], HEAVY["warnings"]):
        jobs.append(partial(api.call, "POST", f"/people/{pid}/warnings", warning_body(i)))
    for i in range(have["medicines"], HEAVY["medicines"]):
        jobs.append(partial(api.call, "POST", f"/people/{pid}/medicines", medicine_body(i)))
    for i in range(have["notes"], HEAVY["notes"]):
        jobs.append(partial(api.call, "POST", f"/people/{pid}/notes", note_body(i, _ago(i * 0.5)),
                            key=f"bench-heavy-{pid}-{i}"))
    errors = parallel(jobs, clients)
    if errors:
        raise RuntimeError(f"{len(errors)} of {len(jobs)} writes for the heavy person failed, "
                           f"e.g. {errors[0]}")
    seeded = ", ".join(f"{k} {have[k] - (1 if k == 'warnings' else 0)}" for k in HEAVY)
    return pid, f"from the seed: {seeded}"


def timeline_person(api: Api, people: People, entries: int, clients: int) -> tuple[str, str]:
    """A seeded person whose timeline is topped up to `entries` with case notes (each note
    visible to the care team writes one timeline entry)."""
    def usable(pid: str) -> tuple[str, int] | None:
        seeded = api.count(f"/people/{pid}/timeline", entries)
        if seeded < entries:  # may gp.uk write here?
            api.call("POST", f"/people/{pid}/notes", note_body(0, _ago(0.01)),
                     key=f"bench-tl-{pid}-0")
        return pid, seeded

    pid, seeded = first_that(people, usable, "the timeline page")
    missing = max(0, entries - seeded - 1)
    t0 = time.monotonic()
    # newest first on the page: spread the notes over the past, a couple of hours apart
    jobs = [partial(api.call, "POST", f"/people/{pid}/notes", note_body(i, _ago(0.02 + i * 0.1)),
                    key=f"bench-tl-{pid}-{i}") for i in range(1, missing + 1)]
    errors = parallel(jobs, clients)
    if len(errors) > max(5, missing // 100):
        raise RuntimeError(f"{len(errors)} of {missing} timeline notes failed, e.g. {errors[0]}")
    took = time.monotonic() - t0
    made = (missing + 1 - len(errors)) if seeded < entries else 0
    return pid, (f"{seeded + made:,} entries: {seeded} from the seed, {made:,} case notes "
                 f"through the API ({took:.0f} s, {len(errors)} failed)")


def notes_setup(b: Any, api: Api, people: People, args: argparse.Namespace,
                wanted: list[str]) -> list[Any]:
    out = []
    if "notes_page" in wanted:
        t0 = time.monotonic()
        pid, seeded = heavy_person(api, people, args.clients)
        out.append(_scenario(b, "notes_page", [f"GET\t/people/{pid}/"], "session",
                             f"one seeded person on {b.USERNAME}'s caseload ({seeded}), topped "
                             f"up through the API to {HEAVY['warnings']} warnings, "
                             f"{HEAVY['notes']} case notes and {HEAVY['medicines']} medicines "
                             f"({time.monotonic() - t0:.0f} s); the whole page, logged in"))
    if "timeline_page" in wanted:
        pid, what = timeline_person(api, people, args.timeline_entries, args.clients)
        out.append(_scenario(b, "timeline_page", [f"GET\t/people/{pid}/timeline/"], "session",
                             f"the first page (25, newest first) of one person's timeline of "
                             f"{what}"))
    if "note_add" in wanted:
        writers = people.writers()
        if len(writers) < 2:
            raise RuntimeError("too few people on the caseload sample to write notes for")
        when = _ago(0.1)
        items = [item("POST", f"/api/v1/people/{pid}/notes", note_body(i, when),
                      Idempotency_Key="bench-{seq}") for i, pid in enumerate(writers)]
        out.append(_scenario(b, "note_add", items, "token",
                             f"a new visit note (a new Idempotency-Key each time) for one of "
                             f"{len(writers):,} people on {b.USERNAME}'s caseload in turn: "
                             "gate, note, audit row, timeline entry", expect=(201,)))
    return out


# -- assessments --------------------------------------------------------------------------------


def phq9_answers(definition: dict[str, Any], rng: random.Random) -> dict[str, str]:
    """A complete PHQ-9 from the instrument's own definition: a random option for each item,
    the first ("not at all") for an item a safety flag watches (item 9)."""
    flagged = {f.get("item") for f in definition.get("flags", [])}
    sets = definition.get("option_sets", {})
    answers = {}
    for it in definition["items"]:
        options = it.get("options") or sets.get(it.get("option_set"), [])
        if not options:
            continue
        answers[it["code"]] = options[0]["code"] if it["code"] in flagged else \
            rng.choice(options)["code"]
    return answers


def assessments_setup(b: Any, api: Api, people: People, args: argparse.Namespace,
                      wanted: list[str]) -> list[Any]:
    out = []
    seeded = SEEDED.get("assessments", 0)
    if "phq9_submit" in wanted:
        definition = api.get("/instruments/phq9")["definition"]
        rng = random.Random(args.seed)
        writers = people.writers()
        if len(writers) < 2:
            raise RuntimeError("too few people on the caseload sample to assess")
        items = [item("POST", f"/api/v1/people/{pid}/assessments",
                      {"instrument": "phq9", "answers": phq9_answers(definition, rng)},
                      Idempotency_Key="bench-{seq}") for pid in writers]
        out.append(_scenario(b, "phq9_submit", items, "token",
                             f"a complete PHQ-9 (answers drawn from its definition, item 9 "
                             f"'not at all', so no safety flag) for one of {len(writers):,} "
                             f"people on {b.USERNAME}'s caseload in turn, each with the seed's "
                             "history: validated, scored, latest score and change, audit row, "
                             "timeline entry", expect=(201,)))
    if "deteriorating" in wanted:
        out.append(_scenario(b, "deteriorating", ["GET\t/assessments/follow-up/"], "session",
                             f"the first page (25) of {b.USERNAME}'s follow-up list: people on "
                             "Riverside Surgery's caseload whose latest score deteriorated "
                             f"reliably or who are overdue a repeat, over the seed's "
                             f"{seeded:,} assessments (about ten per seeded person: 1,000,000 "
                             "only at --people 100000); a page, as there is no API for it"))
    return out


# -- plans --------------------------------------------------------------------------------------

PLAN_TYPES = ("care_support", "mental_health", "sip")
GOALS = [("I want to walk to the shops on my own again", "walks to the corner shop and back"),
         ("I want to sleep through the night", "nights a week slept through"),
         ("I want to see my grandchildren every week", "visits a month"),
         ("I want to cook my own meals", "hot meals cooked a week")]


def goal_body(i: int) -> dict[str, Any]:
    own, measurable = GOALS[i % len(GOALS)]
    return {"own_words": own, "measurable": measurable,
            "target_date": (dt.date.today() + dt.timedelta(days=90 + 30 * i)).isoformat(),
            "level_m2": "Much less than expected", "level_m1": "Less than expected",
            "level_0": "As expected", "level_p1": "More than expected",
            "level_p2": "Much more than expected"}


@dataclass
class PlanRef:
    person: str
    plan: str
    etag: str
    goals: list[str] = field(default_factory=list)


def new_plan(api: Api, pid: str, org: str) -> PlanRef | None:
    """A new draft plan of a type the person has no open plan of (None: they have all)."""
    open_types = {p.get("plan_type") for p in api.get(f"/people/{pid}/plans")
                  if not p.get("closed_at")}
    for plan_type in PLAN_TYPES:
        if plan_type in open_types:
            continue
        try:
            plan, etag = api.call("POST", f"/people/{pid}/plans", {
                "plan_type": plan_type, "coordinating_organisation_id": org,
                "situation": "Lives alone since a fall last winter; daughter visits weekly.",
                "what_matters": "Staying at home, getting out, seeing the family."})
        except ApiError as exc:
            if exc.status in (409, 422):  # an open plan of that type, or not in this country
                continue
            raise
        return PlanRef(pid, plan["id"], etag)
    return None


def add_goal(api: Api, ref: PlanRef, i: int) -> str:
    goal, ref.etag = api.call("POST", f"/people/{ref.person}/plans/{ref.plan}/goals",
                              goal_body(i), if_match=ref.etag)
    ref.goals.append(goal["id"])
    return str(goal["id"])


def add_action(api: Api, ref: PlanRef, org: str, text: str, goal: str | None) -> None:
    _a, ref.etag = api.call("POST", f"/people/{ref.person}/plans/{ref.plan}/actions",
                            {"description": text, "organisation_id": org, "goal_id": goal},
                            if_match=ref.etag)


def agree(api: Api, ref: PlanRef) -> int:
    version, ref.etag = api.call("POST", f"/people/{ref.person}/plans/{ref.plan}/agreement",
                                 {"given_by": "person", "method": "meeting"},
                                 if_match=ref.etag)
    return int(version["number"])


def agreed_plan(api: Api, ref: PlanRef, org: str) -> None:
    """Three goals and three actions, agreed (version 1); a goal reworded and an action
    added, agreed again (version 2)."""
    goals = [add_goal(api, ref, i) for i in range(3)]
    add_action(api, ref, org, "GP review of pain relief", goals[0])
    add_action(api, ref, org, "Refer to the falls clinic", goals[0])
    add_action(api, ref, org, "Ask the council about a befriending service", goals[2])
    if agree(api, ref) != 1:
        raise RuntimeError("the plan's first agreement was not version 1")
    _g, ref.etag = api.call("PATCH", f"/people/{ref.person}/plans/{ref.plan}/goals/{goals[1]}",
                            {"own_words": "I want to sleep through most nights",
                             "reason": "Agreed at the review"}, if_match=ref.etag)
    add_action(api, ref, org, "Sleep hygiene advice from the practice nurse", goals[1])
    if agree(api, ref) != 2:
        raise RuntimeError("the plan's second agreement was not version 2")


def plans_setup(b: Any, api: Api, people: People, args: argparse.Namespace,
                wanted: list[str]) -> list[Any]:
    org = api.get("/me")["acting_membership"]["organisation"]["id"]
    out = []
    reads = [k for k in ("plan_page", "plan_compare", "plan_pdf") if k in wanted]
    if reads:
        t0 = time.monotonic()
        ref = first_that(people, lambda pid: new_plan(api, pid, org), "a plan")
        agreed_plan(api, ref, org)
        base = f"/people/{ref.person}/plans/{ref.plan}/"
        about = (f"one plan made through the API for a seeded person ({time.monotonic() - t0:.0f}"
                 " s): 3 goals and 3 actions, agreed (version 1); a goal reworded and an action "
                 "added, agreed again (version 2)")
        paths = {"plan_page": base, "plan_compare": base + "compare/?from=1&to=2",
                 "plan_pdf": base + "pdf/"}
        for key in reads:
            out.append(_scenario(b, key, [f"GET\t{paths[key]}"], "session", about +
                                 {"plan_page": "; the whole page, logged in",
                                  "plan_compare": "; the comparison page",
                                  "plan_pdf": "; the PDF of version 2, rendered each time"}[key]))
    if "goal_save" in wanted:
        t0 = time.monotonic()
        refs: list[PlanRef] = []
        lock = threading.Lock()

        def one() -> None:
            with lock:
                candidates = people.candidates()
                if not candidates:
                    raise RuntimeError("no more people on the caseload sample")
                pid = people.take(candidates[0])
            ref = new_plan(api, pid, org)
            if ref is None:
                raise RuntimeError(f"{pid} has every type of plan open")
            add_goal(api, ref, 0)
            with lock:
                refs.append(ref)

        tries = 0
        while len(refs) < args.clients and tries < 3:
            tries += 1
            parallel([one] * (args.clients - len(refs)), args.clients)
        if len(refs) < args.clients:
            raise RuntimeError(f"made only {len(refs)} of {args.clients} plans for goal_save")
        refs.sort(key=lambda r: r.plan)

        def lines() -> list[str]:
            """One line per client, each with its plan's current ETag: read until two reads
            agree, as saves still in flight when the last run stopped may commit after it."""
            seen: list[str] = []
            for _ in range(10):
                now = [api.call("GET", f"/people/{r.person}/plans/{r.plan}")[1] for r in refs]
                if now == seen:
                    break
                seen = now
                time.sleep(0.3)
            for ref, etag in zip(refs, seen, strict=True):
                ref.etag = etag
            body = {"own_words": "I want to walk to the shops on my own again ({seq})",
                    "reason": "Reworded with the person"}
            return [item("PATCH", f"/api/v1/people/{r.person}/plans/{r.plan}/goals/{r.goals[0]}",
                         body, If_Match=r.etag) for r in refs]

        out.append(_scenario(
            b, "goal_save", lines(), "token",
            f"{args.clients} plans, one per client, each for its own seeded person with one "
            f"goal, made through the API ({time.monotonic() - t0:.0f} s); each client rewords "
            "its goal again and again with the ETag of its last save as If-Match (so no 412: "
            "concurrent saves of one plan would be conflicts by design): gate with the person "
            "locked, plan locked, goal, plan version, change log, audit row",
            track_etag=True, refresh=lines))
    return out


SETUPS: dict[str, Callable[..., list[Any]]] = {
    "notes": notes_setup, "assessments": assessments_setup, "plans": plans_setup}
