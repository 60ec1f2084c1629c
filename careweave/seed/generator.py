"""Synthetic people at scale, for load tests and benchmarks (``careweave seed``).

Each batch is one transaction, written with COPY on PostgreSQL: people, identifiers, care
teams, consents, social network and a short audit history. The audit events are
appended to the live hash chains exactly as :func:`careweave.audit.services.audit_record`
would append them (same chain, next sequence number, previous hash, same digest), with
the chains locked on PostgreSQL from the batch's audit insert to its commit, so
``careweave audit verify`` stays clean.

With ``jobs`` above 1 (PostgreSQL only) that many forked processes each write their share
of the batches at the same time: each draws from its own random stream and keeps to its
own part of the identifier space, so no two of them can pick the same number, and each
batch checks its foreign keys before it takes the chain heads, so the heads are held only
for the audit insert and the commit.

Runs append. The random stream is seeded from ``seed`` and the number of people
already in the database, so an empty database and the same seed always give the same
people (same ids, names and numbers), and a second run adds different people instead of
colliding with the first. Identifiers already in use are never reused. The same seed with
a different number of jobs gives different (equally valid) people.
"""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import os
import queue
import random
import signal
import threading
import time
import uuid
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection, connections, transaction
from django.db.models import AutoField, ForeignKey, JSONField, Model
from django.db.models.base import ModelState
from django.utils import timezone

from careweave.access import policy, sharing
from careweave.access.models import CareTeamMember, Consent, Sharing
from careweave.audit.models import AuditEvent, ChainHead
from careweave.audit.services import CHAINS, GENESIS, chain_for, event_digest
from careweave.core.registry import registry
from careweave.demo import loader as demo
from careweave.orgs.models import Area, Membership, Organisation
from careweave.people import identifiers as ids
from careweave.people.models import (
    LivingSituation,
    Person,
    PersonIdentifier,
    RelatedPerson,
    TimelineEntry,
)

MAX_PEOPLE = 1_000_000
MIN_BATCH, MAX_BATCH = 100, 20_000
MAX_JOBS = 8

# -- the vocabulary ------------------------------------------------------------------------

UK_GIVEN = demo.UK_GIVEN + [
    "Arthur", "Edith", "Harold", "Gwendolyn", "Amara", "Oluwaseun", "Priya", "Rajesh",
    "Fiona", "Callum", "Mairead", "Seán", "Zoë", "Renée", "Łucja", "Jürgen", "Anaïs",
    "Ewan", "Morag", "Ifeoma", "Tomasz", "Agnieszka", "Yusuf", "Bethan", "Gareth", "Ruth",
    "Stanley", "Winifred", "Leroy", "Precious", "Shirin", "Declan", "Imogen", "Kieran",
]
UK_FAMILY = demo.UK_FAMILY + [
    "Patel", "Begum", "Okonkwo", "Mensah", "Fitzgerald", "Ó Súilleabháin", "McAllister",
    "Wiśniewska", "Lewandowski", "Hussain", "Chaudhry", "Campbell", "Stewart", "Robinson",
    "Wright", "Thompson", "Walker", "White", "Edwards", "Green", "Hall", "Wood", "Clarke",
    "Jackson", "Hill", "Lewis", "Harris", "Martin", "Cooper", "Ward", "Morgan", "Baker",
    "Müller", "Da Silva", "Nguyen", "Ahmadi", "Rahman", "Okoro", "Achebe", "Penhaligon",
]
SE_GIVEN = demo.SE_GIVEN + [
    "Åsa", "Märit", "Örjan", "Gunnel", "Kerstin", "Börje", "Ingegärd", "Sölve", "Agneta",
    "Håkan", "Stina", "Tove", "Jörgen", "Annika", "Rut", "Yasmin", "Omar", "Amina", "Dragan",
    "Jelena", "Aino", "Päivi", "Mikael", "Gösta", "Signe", "Dagny", "Hjördis", "Torbjörn",
    "Ylva", "Ebba", "Alma", "Zeynep", "Ali", "Leyla", "Bengt", "Margareta",
]
SE_FAMILY = demo.SE_FAMILY + [
    "Johansson", "Jansson", "Hansson", "Bengtsson", "Lindqvist", "Lundgren", "Berglund",
    "Sandström", "Holmström", "Åberg", "Ekström", "Forsberg", "Sjöberg", "Wallin", "Engström",
    "Danielsson", "Håkansson", "Lind", "Löfgren", "Nyström", "Björk", "Strömberg", "Söderlund",
    "Hedlund", "Ahmed", "Yilmaz", "Korhonen", "Virtanen", "Petrović", "Abdi", "Hussein",
    "Östlund", "Älmqvist", "Kjellström", "Fägerström",
]
UK_TOWNS = [("Northshire", "E06000990", "NS"), ("Riverside", "E06000991", "RV")]
SE_TOWNS = [("Göteborg", "1480", "41"), ("Partille", "1402", "433"), ("Mölndal", "1481", "431")]
UK_STREETS = ["Mill Lane", "Station Road", "High Street", "Church Walk", "Orchard Close",
              "Victoria Terrace", "Riverside Court", "Queen's Drive"]
SE_STREETS = ["Kungsgatan", "Storgatan", "Björkvägen", "Ekvägen", "Linnégatan", "Åvägen",
              "Mölndalsvägen", "Övre Husargatan", "Järntorget"]
FAITHS_UK = ["", "", "", "Church of England", "Roman Catholic", "Muslim", "Hindu", "Sikh",
             "Jewish", "None"]
FAITHS_SE = ["", "", "", "Svenska kyrkan", "Islam", "Ortodox", "Katolsk", "Ingen"]
GENDERS = ["female", "male", "female", "male", "", "non-binary"]
RELATIONSHIPS = [
    ("child", True, False), ("partner", True, True), ("sibling", False, False),
    ("friend", False, True), ("parent", True, True), ("carer", False, True),
    ("advocate", False, False), ("guardian", True, False),
]

# Care-team shapes: the registering organisation first, then 1-3 others drawn from the pool.
# Hillside Medical Practice is deliberately left out so that the demo's outsider GP still
# cares for nobody after seeding.
UK_FIRST = [("riverside", "GP", 0.85), ("cmht", "Care coordinator (CPA)", 0.15)]
UK_POOL = [("council", "Social worker"), ("stmarys", "Ward"), ("oakwood", "Care home"),
           ("cmht", "Care coordinator"), ("homecare_uk", "Home care"),
           ("befriend", "Befriender"), ("alarm_uk", "Telecare")]
SE_FIRST = [("nordstan", "Fast läkarkontakt", 0.85), ("psyk", "Vårdkontakt psykiatri", 0.15)]
SE_POOL = [("gbgsoc", "Biståndshandläggare"), ("hemtjanst", "Hemtjänst"),
           ("lindgarden", "Äldreboende"), ("vrs", "Slutenvård"), ("psyk", "Vårdkontakt")]


class SeedError(ValueError):
    """Bad input or missing prerequisites, with a message for the user."""


@dataclass
class SeedResult:
    people: int = 0
    identifiers: int = 0
    care_team: int = 0
    consents: int = 0
    related: int = 0
    audit_events: int = 0
    seconds: float = 0.0
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.people / self.seconds if self.seconds else 0.0


@dataclass
class _Staff:
    membership_id: uuid.UUID
    user_id: int
    username: str
    role: str


@dataclass
class _Context:
    orgs: dict[str, Organisation]
    areas: dict[str, Area]
    staff: dict[uuid.UUID, _Staff]  # organisation id -> a care-role staff member
    memberships: dict[uuid.UUID, Membership]
    used_ids: set[tuple[str, str]]
    # (this job, jobs): a job takes only identifiers whose CRC-32 is this job modulo jobs.
    share: tuple[int, int] = (0, 1)


def validate(people: int, batch: int, jobs: int = 1) -> None:
    if people <= 0:
        raise SeedError("--people must be a positive number of people to create.")
    if people > MAX_PEOPLE:
        raise SeedError(f"--people must be at most {MAX_PEOPLE:,} (asked for {people:,}).")
    if not MIN_BATCH <= batch <= MAX_BATCH:
        raise SeedError(f"--batch must be between {MIN_BATCH:,} and {MAX_BATCH:,}.")
    if not 1 <= jobs <= MAX_JOBS:
        raise SeedError(f"--jobs must be between 1 and {MAX_JOBS}.")
    if jobs > 1 and connection.vendor != "postgresql":
        raise SeedError("--jobs above 1 needs PostgreSQL: SQLite takes one writer at a time.")


def _context(log: Callable[[str], None]) -> _Context:
    if not Organisation.objects.exists():
        log("No organisations yet: loading the demo organisations and staff first.")
        demo.load_demo(reset=False, log=log)
    codes = {key: code for key, _n, _k, _c, _a, code in demo.ORGS}
    by_code = {o.code: o for o in Organisation.objects.filter(code__in=codes.values())}
    missing = sorted(k for k, code in codes.items() if code not in by_code)
    if missing:
        raise SeedError(
            "The demo organisations are missing (" + ", ".join(missing) + "): "
            "run 'careweave demo --reset' on this database first."
        )
    orgs = {key: by_code[code] for key, code in codes.items()}
    areas = {a.code: a for a in Area.objects.all()}
    for _t, code, _p in UK_TOWNS + SE_TOWNS:
        if code not in areas:
            raise SeedError(f"The demo area {code} is missing: run 'careweave demo --reset'.")
    User = get_user_model()
    users = {u.pk: u for u in User.objects.filter(memberships__isnull=False).distinct()}
    staff: dict[uuid.UUID, _Staff] = {}
    memberships: dict[uuid.UUID, Membership] = {}
    for m in (Membership.objects.filter(is_active=True, role__in=policy.CARE_ROLES)
              .select_related("organisation").order_by("created_at", "pk")):
        memberships[m.pk] = m
        if m.organisation_id not in staff:
            user = users[m.user_id]
            staff[m.organisation_id] = _Staff(m.pk, user.pk, user.get_username(), m.role)
    for key in ("riverside", "cmht", "nordstan", "psyk"):
        if orgs[key].pk not in staff:
            raise SeedError(f"No care staff at {orgs[key].name}: run 'careweave demo --reset'.")
    used = set(PersonIdentifier.objects.values_list("system", "value"))
    return _Context(orgs, areas, staff, memberships, used)


def seed_people(
    *,
    people: int,
    seed: int = 1,
    batch: int = 5000,
    jobs: int = 1,
    log: Callable[[str], None] = print,
) -> SeedResult:
    """Append ``people`` synthetic people (and their teams, consents, network, history),
    written by ``jobs`` processes at once (more than one only on PostgreSQL)."""
    validate(people, batch, jobs)
    ctx = _context(log)
    existing = Person.objects.count()
    result = SeedResult()
    started = time.monotonic()
    done = 0

    def add(size: int, rows: dict[str, int], batch_seconds: float) -> None:
        nonlocal done
        done += size
        for key, n in rows.items():
            result.rows[key] = result.rows.get(key, 0) + n
        elapsed = time.monotonic() - started
        rate = done / elapsed if elapsed else 0.0
        eta = (people - done) / rate if rate else 0.0
        log(f"  {done:>9,}/{people:,} people  {rate:>7,.0f} people/s  "
            f"batch {batch_seconds:5.1f}s ({sum(rows.values()):,} rows)  "
            f"eta {eta:4.0f}s")

    if jobs == 1:
        rng = random.Random(f"careweave-seed:{seed}:{existing}")
        for size, rows, seconds in _batches(rng, ctx, people, batch):
            add(size, rows, seconds)
    else:
        _run_jobs(ctx, people=people, seed=seed, existing=existing, batch=batch, jobs=jobs,
                  add=add)
    result.seconds = time.monotonic() - started
    result.people = result.rows.get("people", 0)
    result.identifiers = result.rows.get("identifiers", 0)
    result.care_team = result.rows.get("care_team", 0)
    result.consents = result.rows.get("consents", 0)
    result.related = result.rows.get("related", 0)
    result.audit_events = result.rows.get("audit_events", 0)
    return result


def _batches(rng: random.Random, ctx: _Context, people: int,
             batch: int) -> Iterator[tuple[int, dict[str, int], float]]:
    """Write ``people`` in batches; yield (people, {table: rows}, seconds) for each."""
    done = 0
    while done < people:
        size = min(batch, people - done)
        t0 = time.monotonic()
        rows = _write_batch(_Batch(rng, ctx, size))
        done += size
        yield size, rows, time.monotonic() - t0


def _shares(people: int, jobs: int) -> list[int]:
    """``people`` split into ``jobs`` shares as equal as whole people allow."""
    return [people // jobs + (1 if j < people % jobs else 0) for j in range(jobs)]


def _job(ctx: _Context, j: int, jobs: int, people: int, seed: int, existing: int,
         batch: int, out: Any, parent: int) -> None:
    """One forked job: its share of the batches, each reported on ``out`` as it commits.
    It stops before its next batch if the parent has gone."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # terminate() ends it; PostgreSQL rolls back
    try:
        ctx.share = (j, jobs)
        rng = random.Random(f"careweave-seed:{seed}:{existing}:{j}/{jobs}")
        for size, rows, seconds in _batches(rng, ctx, people, batch):
            out.put(("batch", j, size, rows, seconds))
            if os.getppid() != parent:
                raise SystemExit(1)
        out.put(("done", j, 0, {}, 0.0))
    except BaseException as exc:  # reported to the parent, which stops the others
        out.put(("error", j, 0, {}, f"{type(exc).__name__}: {exc}"))
        raise SystemExit(1) from None
    finally:
        connections.close_all()


def _run_jobs(ctx: _Context, *, people: int, seed: int, existing: int, batch: int,
              jobs: int, add: Callable[[int, dict[str, int], float], None]) -> None:
    """Fork ``jobs`` writers and report their batches as they commit. If one fails, the
    others are stopped (each batch is one transaction: what committed stays, nothing is
    half-written) and the failure is raised as a SeedError."""
    mp = multiprocessing.get_context("fork")
    out = mp.Queue()
    connections.close_all()  # each job opens its own connection
    procs = [mp.Process(target=_job, name=f"careweave-seed-{j}", daemon=True,
                        args=(ctx, j, jobs, share, seed, existing, batch, out, os.getpid()))
             for j, share in enumerate(_shares(people, jobs)) if share]

    def stop(signum: int, _frame: Any) -> None:
        raise SystemExit(128 + signum)  # so that the jobs are stopped below

    main = threading.current_thread() is threading.main_thread()  # where signals are handled
    previous = signal.signal(signal.SIGTERM, stop) if main else None
    for proc in procs:
        proc.start()
    running = len(procs)
    failure = ""
    try:
        while running and not failure:
            try:
                kind, j, size, rows, extra = out.get(timeout=1.0)
            except queue.Empty:
                dead = [p for p in procs if p.exitcode not in (None, 0)]
                if dead:
                    failure = f"{dead[0].name} stopped with exit code {dead[0].exitcode}"
                continue
            if kind == "batch":
                add(size, rows, extra)
            elif kind == "done":
                running -= 1
            else:
                failure = f"job {j + 1} of {jobs} failed: {extra}"
    finally:
        for proc in procs:
            if proc.is_alive() and (failure or running):
                proc.terminate()
            proc.join()
        if main:
            signal.signal(signal.SIGTERM, previous)
    if failure:
        raise SeedError(f"Seeding stopped: {failure}. Batches committed before it are kept; "
                        "run the command again to add the rest.")


# -- one batch ------------------------------------------------------------------------------

# model -> (every field by name and by column attribute, fixed defaults, callable defaults)
_Spec = tuple[dict[str, Any], dict[str, Any], list[tuple[str, Callable[[], Any]]]]
_SPECS: dict[type[Model], _Spec] = {}


def _spec(model: type[Model]) -> _Spec:
    spec = _SPECS.get(model)
    if spec is None:
        by_name: dict[str, Any] = {}
        fixed: dict[str, Any] = {}
        made: list[tuple[str, Callable[[], Any]]] = []
        for f in model._meta.concrete_fields:
            by_name[f.name] = by_name[f.attname] = f
            if f.has_default() and callable(f.default):
                made.append((f.attname, f.default))
            else:
                fixed[f.attname] = f.get_default()
        spec = _SPECS[model] = (by_name, fixed, made)
    return spec


def build(model: type[Model], **values: Any) -> Any:
    """An unsaved ``model(**values)`` made without ``Model.__init__``, for rows that are only
    written with :func:`_insert` (a batch makes about 250,000 of them; ``__init__`` was a
    quarter of the seed's time). Fields not given get their defaults, as with ``__init__``;
    a related object given by name sets its key and is cached, as ``__init__`` does."""
    by_name, fixed, made = _spec(model)
    obj = model.__new__(model)
    state = obj._state = ModelState()
    data = obj.__dict__
    data.update(fixed)
    for attname, default in made:
        if attname not in values:
            data[attname] = default()
    for name, value in values.items():
        f = by_name.get(name)
        if f is None:
            raise TypeError(f"{model.__name__}() got an unexpected keyword argument {name!r}")
        if isinstance(f, ForeignKey) and name == f.name:
            data[f.attname] = None if value is None else value.pk
            if value is not None:
                state.fields_cache[name] = value
        else:
            data[f.attname] = value
    return obj


@dataclass
class _PendingEvent:
    at: dt.datetime
    staff: _Staff
    organisation: Organisation
    action: str
    person_id: uuid.UUID
    legal_basis: str


class _Batch:
    """One batch of seeded people. A domain app's seed step reads ``people``, ``team``,
    ``consents``, ``ctx.orgs``/``ctx.staff``, ``rng`` and ``now``, and writes its rows with
    ``insert(model, objects)`` (COPY on PostgreSQL) in the batch's transaction, making them
    with ``row(model, **values)`` (:func:`build`: an unsaved instance without
    ``Model.__init__``)."""

    def __init__(self, rng: random.Random, ctx: _Context, size: int) -> None:
        self.insert = _insert
        self.row = build
        self.rng = rng
        self.ctx = ctx
        self.now = timezone.now()
        self.today = timezone.localdate()
        self.people: list[Person] = []
        self.identifiers: list[PersonIdentifier] = []
        self.team: list[CareTeamMember] = []
        self.consents: list[Consent] = []
        self.consent_orgs: list[tuple[uuid.UUID, uuid.UUID]] = []
        self.related: list[RelatedPerson] = []
        self.sharing: list[Sharing] = []
        self.events: list[_PendingEvent] = []
        for _ in range(size):
            self._person()

    def _uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def _birth_date(self) -> dt.date:
        # Weighted to older people, as people with complex needs mostly are: 18 to 102.
        r = self.rng.random()
        age = 18 + int(84 * (r ** 0.6))
        return self.today - dt.timedelta(days=age * 365 + self.rng.randrange(365))

    def _identifier(self, country: str, born: dt.date) -> tuple[str, str]:
        rng = self.rng
        while True:
            if country == "GB":
                ident = (ids.NHS, demo.make_nhs_number(rng))
            elif rng.random() < 0.03:
                ident = (ids.SE_SAMORDNINGSNUMMER,
                         demo.make_personnummer(rng, born, coordination=True))
            else:
                ident = (ids.SE_PERSONNUMMER, demo.make_personnummer(rng, born))
            job, jobs = self.ctx.share
            if ident not in self.ctx.used_ids and (
                    jobs == 1 or zlib.crc32(ident[1].encode()) % jobs == job):
                self.ctx.used_ids.add(ident)
                return ident

    def _person(self) -> None:
        rng, orgs = self.rng, self.ctx.orgs
        uk = rng.random() < 0.6
        country = "GB" if uk else "SE"
        given = rng.choice(UK_GIVEN if uk else SE_GIVEN)
        family = rng.choice(UK_FAMILY if uk else SE_FAMILY)
        born = self._birth_date()
        town, area_code, post = rng.choice(UK_TOWNS if uk else SE_TOWNS)
        first_opts = UK_FIRST if uk else SE_FIRST
        first_key, first_role, _w = first_opts[0] if rng.random() < first_opts[0][2] \
            else first_opts[1]
        pool = [p for p in (UK_POOL if uk else SE_POOL) if p[0] != first_key]
        others = rng.sample(pool, rng.randint(1, 3))
        team = [(first_key, first_role), *others]
        registered = orgs[first_key]
        langs = demo.LANGS_UK if uk else demo.LANGS_SE
        lang, interp = rng.choice(langs)
        if uk:
            letters = "ABDEFGHJLNPQRSTUWXYZ"
            postcode = (f"{post}{rng.randint(1, 9)} {rng.randint(1, 9)}"
                        f"{rng.choice(letters)}{rng.choice(letters)}")
            address = f"{rng.randint(1, 180)} {rng.choice(UK_STREETS)}"
            phone = f"07700 9{rng.randrange(100000):05d}"
        else:
            postcode = f"{(post + str(rng.randrange(10)))[:3]} {rng.randint(10, 99)}"
            address = f"{rng.choice(SE_STREETS)} {rng.randint(1, 120)}"
            phone = (f"070-{rng.randrange(1000):03d} {rng.randrange(100):02d} "
                     f"{rng.randrange(100):02d}")
        if any(k in ("oakwood", "lindgarden") for k, _r in team):
            living: str = LivingSituation.CARE_HOME
        else:
            living = rng.choice(["alone", "alone", "with_family", "with_family", "supported",
                                 "other"])
        p = Person(
            id=self._uuid(), country=country, given_name=given, family_name=family,
            preferred_name=given.split()[0] if rng.random() < 0.05 else "",
            birth_date=born, gender=rng.choice(GENDERS),
            address_line=address, town=town, postcode=postcode,
            area=self.ctx.areas[area_code], phone=phone,
            main_language=lang, interpreter_needed=interp,
            interpreter_language=lang if interp else "",
            faith=rng.choice(FAITHS_UK if uk else FAITHS_SE),
            living_situation=living,
            what_matters=rng.choice(demo.WHAT_MATTERS_UK if uk else demo.WHAT_MATTERS_SE),
            registered_by=registered, version=1,
        )
        p.refresh_search_fields()
        self.people.append(p)
        system, value = self._identifier(country, born)
        self.identifiers.append(PersonIdentifier(person_id=p.pk, system=system, value=value))

        registrar = self.ctx.staff[registered.pk]
        created = self.now - dt.timedelta(days=rng.randrange(1, 1100),
                                          seconds=rng.randrange(86400))
        p.created_at = p.updated_at = created
        start = timezone.localdate(created)
        team_orgs: list[Organisation] = []
        for key, role in team:
            org = orgs[key]
            team_orgs.append(org)
            staff = self.ctx.staff.get(org.pk)
            self.team.append(CareTeamMember(
                id=self._uuid(), person_id=p.pk, organisation=org,
                staff_id=staff.membership_id if staff else None, role=role, start_date=start,
                added_by_id=registrar.membership_id, created_at=created,
            ))

        consent_facts = self._consents(p, uk, team_orgs, registrar, created)
        self.sharing += sharing.rows_for(
            person_id=p.pk, country=country, registered_by_id=registered.pk,
            team=[(org.pk, start, None) for org in team_orgs], consents=consent_facts,
            now=self.now, names=sharing.names_of(p))

        for _ in range(rng.choice((0, 0, 1, 1, 1, 2))):
            rel, nok, carer = rng.choice(RELATIONSHIPS)
            same_family = rel in ("child", "sibling", "parent")
            surname = family if same_family else rng.choice(UK_FAMILY if uk else SE_FAMILY)
            name = f"{rng.choice(UK_GIVEN if uk else SE_GIVEN)} {surname}"
            self.related.append(RelatedPerson(
                id=self._uuid(), person_id=p.pk, name=name, relationship=rel,
                phone=phone[:-2] + f"{rng.randrange(100):02d}", is_next_of_kin=nok,
                is_carer=carer, may_share=rng.random() < 0.7, created_at=created,
            ))

        # History: created by the registering organisation, then a few reads by team
        # members the policy allows (computed with the same pure rules as the gate).
        self.events.append(_PendingEvent(created, registrar, registered,
                                         AuditEvent.Action.CREATE, p.pk,
                                         policy.Basis.OWN_ORGANISATION.value))
        at = created
        for _ in range(rng.randint(1, 4)):
            org = rng.choice(team_orgs)
            staff = self.ctx.staff.get(org.pk)
            if staff is None:
                continue
            facts = policy.Facts(
                country=country, role=staff.role, organisation_id=str(org.pk),
                registered_by_id=str(registered.pk), in_care_team=True,
                consents=consent_facts,
            )
            at = at + (self.now - at) * rng.random() * 0.5
            decision = policy.decide(facts, policy.Action.READ, at)
            if decision.allowed:
                self.events.append(_PendingEvent(at, staff, org, AuditEvent.Action.READ, p.pk,
                                                 decision.basis.value))

    def _consents(self, p: Person, uk: bool, team: list[Organisation], registrar: _Staff,
                  created: dt.datetime) -> tuple[policy.ConsentFact, ...]:
        rng = self.rng
        others = team[1:]
        r = rng.random()
        facts: list[policy.ConsentFact] = []
        # (purpose, decision, organisations covered or [] for all, withdrawn?)
        plans: list[tuple[str, str, list[Organisation], bool]] = []
        if uk:
            if r < 0.15:
                plans.append((Consent.Purpose.COORDINATION, Consent.Decision.PERMIT, [], False))
            elif r < 0.22:
                plans.append((Consent.Purpose.DIRECT_CARE, Consent.Decision.DENY,
                              [rng.choice(others)], False))
            elif r < 0.25:
                plans.append((Consent.Purpose.COORDINATION, Consent.Decision.PERMIT,
                              [rng.choice(others)], True))
        else:
            if r < 0.55:
                plans.append((Consent.Purpose.COORDINATION, Consent.Decision.PERMIT, [], False))
            elif r < 0.70:
                covered = rng.sample(others, rng.randint(1, len(others)))
                plans.append((Consent.Purpose.COORDINATION, Consent.Decision.PERMIT, covered,
                              False))
            elif r < 0.78:
                plans.append((Consent.Purpose.COORDINATION, Consent.Decision.PERMIT, [], False))
                plans.append((Consent.Purpose.COORDINATION, Consent.Decision.DENY,
                              [rng.choice(others)], False))
            elif r < 0.82:
                plans.append((Consent.Purpose.COORDINATION, Consent.Decision.PERMIT, [], True))
            elif r < 0.90:
                # sammanhållen journalföring: consent for direct care, separate from SIP
                plans.append((Consent.Purpose.DIRECT_CARE, Consent.Decision.PERMIT,
                              [rng.choice(others)], False))
                plans.append((Consent.Purpose.COORDINATION, Consent.Decision.PERMIT, [], True))
        for purpose, decision, covered, withdrawn in plans:
            valid_from = created + (self.now - created) * rng.random() * 0.3
            withdrawn_at = valid_from + (self.now - valid_from) / 2 if withdrawn else None
            c = Consent(
                id=self._uuid(), person_id=p.pk, purpose=purpose, decision=decision,
                covers_all_organisations=not covered,
                given_by=Consent.GivenBy.PERSON if rng.random() < 0.85
                else Consent.GivenBy.REPRESENTATIVE,
                method=rng.choice(Consent.Method.values), valid_from=valid_from,
                withdrawn_at=withdrawn_at,
                withdrawn_reason="The person changed their mind." if withdrawn else "",
                withdrawn_by_id=registrar.membership_id if withdrawn else None,
                recorded_by_id=registrar.membership_id, created_at=valid_from,
            )
            if c.given_by == Consent.GivenBy.REPRESENTATIVE:
                c.representative_name = f"{rng.choice(UK_GIVEN if uk else SE_GIVEN)} " \
                                        f"{p.family_name}"
            self.consents.append(c)
            self.consent_orgs.extend((c.pk, o.pk) for o in covered)
            facts.append(policy.ConsentFact(
                decision=decision, purpose=purpose, covers_all=not covered,
                organisation_ids=frozenset(str(o.pk) for o in covered),
                valid_from=valid_from, withdrawn_at=withdrawn_at,
            ))
        return tuple(facts)

    def timeline(self) -> Iterator[TimelineEntry]:
        """The batch's timeline entries, as the services would have written them."""
        by_pk = {o.pk: o for o in self.ctx.orgs.values()}
        covered: dict[uuid.UUID, list[str]] = {}
        for consent_id, org_id in self.consent_orgs:
            covered.setdefault(consent_id, []).append(by_pk[org_id].name)
        for p in self.people:
            yield build(TimelineEntry, id=self._uuid(), person_id=p.pk, at=p.created_at,
                                kind="people.registered", organisation_id=p.registered_by_id,
                                object_type="Person", object_id=str(p.pk),
                                data={"organisation": p.registered_by.name},
                                recorded_at=p.created_at)
        registrars = {p.pk: p.registered_by_id for p in self.people}
        for m in self.team:
            yield build(
                TimelineEntry,
                id=self._uuid(), person_id=m.person_id, at=m.created_at,
                kind="access.care_team_joined", organisation_id=registrars[m.person_id],
                object_type="CareTeamMember", object_id=str(m.pk),
                data={"organisation": m.organisation.name, "role": m.role, "staff": "",
                      "start_date": m.start_date.isoformat()}, recorded_at=m.created_at)
        for c in self.consents:
            data = {"purpose": c.purpose, "decision": c.decision,
                    "organisations": sorted(covered.get(c.pk, [])), "given_by": c.given_by,
                    "representative_name": c.representative_name}
            yield build(TimelineEntry, id=self._uuid(), person_id=c.person_id, at=c.valid_from,
                                kind="access.consent_recorded",
                                organisation_id=registrars[c.person_id], object_type="Consent",
                                object_id=str(c.pk), data=data, recorded_at=c.valid_from)
            if c.withdrawn_at is not None:
                yield build(
                TimelineEntry,
                    id=self._uuid(), person_id=c.person_id, at=c.withdrawn_at,
                    kind="access.consent_withdrawn", organisation_id=registrars[c.person_id],
                    object_type="Consent", object_id=str(c.pk),
                    data={**data, "reason": c.withdrawn_reason}, recorded_at=c.withdrawn_at)

    def audit_events(self, heads: dict[int, tuple[int, str]]) -> Iterator[AuditEvent]:
        """The batch's events, chained on ``heads`` ({chain: (last seq, last hash)})."""
        for pending in self.events:
            chain = chain_for(pending.person_id, pending.staff.user_id)
            seq, prev = heads.get(chain, (0, GENESIS))
            event = build(
                AuditEvent,
                chain=chain, seq=seq + 1, prev_hash=prev, at=pending.at,
                user_id=pending.staff.user_id, username=pending.staff.username,
                membership_id=pending.staff.membership_id,
                organisation_id=pending.organisation.pk,
                organisation_name=pending.organisation.name, role=pending.staff.role,
                action=pending.action, outcome=AuditEvent.Outcome.ALLOWED,
                person_id=pending.person_id, object_type="Person",
                object_id=str(pending.person_id), purpose="direct_care",
                legal_basis=pending.legal_basis, channel="web",
                request_id=f"{self.rng.getrandbits(128):032x}", detail={"source": "seed"},
            )
            event.hash = event_digest(event)
            heads[chain] = (seq + 1, event.hash)
            yield event


def _chain_heads() -> dict[int, tuple[int, str]]:
    """Every chain's head, locked until the batch commits (in chain order; the sealer takes
    them one at a time: no deadlock). Seeded events are written sealed, chained on the heads,
    and events waiting to be sealed are chained on after them."""
    ChainHead.objects.bulk_create([ChainHead(chain=c, seq=0, hash=GENESIS)
                                   for c in range(CHAINS)], ignore_conflicts=True)
    rows = ChainHead.objects.select_for_update().order_by("chain").values_list(
        "chain", "seq", "hash")
    return {chain: (seq, h) for chain, seq, h in rows if seq}


def _move_heads(heads: dict[int, tuple[int, str]]) -> None:
    for chain, (seq, h) in heads.items():
        ChainHead.objects.filter(chain=chain).update(seq=seq, hash=h)


def _insert(model: type[Model], objs: Sequence[Model]) -> None:
    """INSERT rows fast: COPY on PostgreSQL, executemany elsewhere.

    Every value is taken from the instance as it stands (no ``auto_now`` or ``pre_save``:
    the generator sets timestamps itself); auto-increment keys are left to the database.
    """
    if not objs:
        return
    fields = [f for f in model._meta.concrete_fields
              if not (f.primary_key and isinstance(f, AutoField))]
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    columns = ", ".join(qn(str(f.column)) for f in fields)
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            # psycopg adapts UUIDs, dates, aware datetimes and booleans itself.
            json_at = [i for i, f in enumerate(fields) if isinstance(f, JSONField)]
            with cur.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for obj in objs:
                    row = [getattr(obj, f.attname) for f in fields]
                    for i in json_at:
                        row[i] = json.dumps(row[i], ensure_ascii=False)
                    copy.write_row(row)
        else:
            placeholders = ", ".join(["%s"] * len(fields))
            rows = [[f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields]
                    for obj in objs]
            cur.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", rows)


def _write_batch(b: _Batch) -> dict[str, int]:
    through = Consent.organisations.through
    with transaction.atomic():
        _insert(Person, b.people)
        _insert(PersonIdentifier, b.identifiers)
        _insert(CareTeamMember, b.team)
        _insert(Consent, b.consents)
        _insert(through, [through(consent_id=c, organisation_id=o) for c, o in b.consent_orgs])
        _insert(RelatedPerson, b.related)
        _insert(Sharing, b.sharing)
        timeline = list(b.timeline())
        _insert(TimelineEntry, timeline)
        # Each domain app adds its rows for these people (careweave.core.registry.DemoStep);
        # a step returns {table: rows written}.
        extra: dict[str, int] = {}
        for step in registry.seed_steps():
            for key, n in (step.run(b) or {}).items():
                extra[key] = extra.get(key, 0) + n
        if connection.vendor == "postgresql":
            # Check the batch's deferred foreign keys now, before the chain heads are
            # taken: a concurrent job then waits for the audit insert only, not for them.
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        heads = _chain_heads()
        events = list(b.audit_events(heads))
        _insert(AuditEvent, events)
        _move_heads(heads)
    return {
        "people": len(b.people), "identifiers": len(b.identifiers), "care_team": len(b.team),
        "consents": len(b.consents), "consent_organisations": len(b.consent_orgs),
        "related": len(b.related), "audit_events": len(events), "timeline": len(timeline),
        **extra,
    }
