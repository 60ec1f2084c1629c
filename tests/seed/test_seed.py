"""`careweave seed`: synthetic people at scale, with a valid audit chain."""

from __future__ import annotations

import io
from collections import Counter

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from careweave.access.gate import decide, people_visible_to
from careweave.access.models import CareTeamMember, Consent
from careweave.audit.models import AuditEvent
from careweave.audit.services import audit_seal, audit_verify
from careweave.people import identifiers as ids
from careweave.people.models import Person, PersonIdentifier, RelatedPerson

N = 200


def seed(n: int = N, seed: int = 7, batch: int = 100, jobs: int = 1) -> str:
    out = io.StringIO()
    call_command("seed", people=n, seed=seed, batch=batch, jobs=jobs, stdout=out)
    return out.getvalue()


def seeded_people() -> list[Person]:
    return list(
        Person.objects.filter(pk__in=AuditEvent.objects.filter(detail__source="seed")
                              .values("person_id"))
        .prefetch_related("identifiers", "care_team", "consents")
    )


@pytest.mark.django_db
def test_seeding_creates_people_teams_consents_network_and_history(demo) -> None:  # noqa: ANN001
    before = Person.objects.count()
    output = seed()

    assert Person.objects.count() == before + N
    people = seeded_people()
    assert len(people) == N
    # One progress line per batch of 100, with a rate, then the summary.
    assert output.count("people/s") >= 3
    assert f"Seeded {N} people" in output
    assert {p.country for p in people} == {"GB", "SE"}
    assert any(ch in p.given_name + p.family_name for p in people for ch in "åäöÅÄÖ")
    for p in people:
        idents = list(p.identifiers.all())
        assert len(idents) == 1
        team = list(p.care_team.all())
        assert 2 <= len(team) <= 4
        assert len({m.organisation_id for m in team}) == len(team)
        assert p.registered_by_id in {m.organisation_id for m in team}
        assert all(m.end_date is None for m in team)
        assert p.search_name and p.sort_name and p.area_id is not None
    consents = Counter(
        "none" if not p.consents.all() else
        "deny" if any(c.decision == Consent.Decision.DENY for c in p.consents.all())
        else "permit"
        for p in people
    )
    assert consents["none"] > 0 and consents["permit"] > 0 and consents["deny"] > 0
    assert RelatedPerson.objects.filter(person__in=people).exists()
    # Every seeded person has a creation event, and most have reads too.
    events = Counter(AuditEvent.objects.filter(detail__source="seed")
                     .values_list("action", flat=True))
    assert events[AuditEvent.Action.CREATE] == N
    assert events[AuditEvent.Action.READ] > N // 2


@pytest.mark.django_db
def test_seeded_identifiers_are_valid_and_unique(demo) -> None:  # noqa: ANN001
    seed()
    rows = list(PersonIdentifier.objects.values_list("system", "value"))
    assert len(rows) == len(set(rows))
    assert len({v for _s, v in rows}) == len(rows)
    seeded = PersonIdentifier.objects.filter(person__in=seeded_people())
    systems = Counter(seeded.values_list("system", flat=True))
    assert systems[ids.NHS] > 0 and systems[ids.SE_PERSONNUMMER] > 0
    for ident in seeded.select_related("person"):
        assert ids.normalise(ident.system, ident.value) == ident.value
        if ident.system != ids.NHS:
            assert ids.birth_date_of(ident.system, ident.value) == ident.person.birth_date
        else:
            assert ident.person.country == "GB"


@pytest.mark.django_db
def test_audit_chain_stays_valid_and_the_gate_sees_the_history(demo, actor_for) -> None:  # noqa: ANN001
    from careweave.access.gate import open_person

    seed()
    # Live events written after seeding chain on to the seeded ones.
    gp = actor_for("gp.uk")
    person = people_visible_to(gp).filter(care_team__isnull=False).order_by("sort_name").first()
    assert person is not None
    open_person(gp, person.pk)
    audit_seal()  # they are chained on once sealed (docs/adr/0012)
    checked, problems = audit_verify()
    assert problems == []
    assert checked == AuditEvent.objects.count()
    out = io.StringIO()
    call_command("audit", "verify", stdout=out)
    assert "every chain intact" in out.getvalue()


@pytest.mark.django_db
def test_seeded_people_are_visible_exactly_as_the_gate_decides(demo, actor_for) -> None:  # noqa: ANN001
    seed()
    people = seeded_people()
    for username in ("gp.uk", "sw.uk", "gp.se", "sw.se", "home.se", "outsider.uk"):
        actor = actor_for(username)
        visible = set(people_visible_to(actor).filter(pk__in=[p.pk for p in people])
                      .values_list("pk", flat=True))
        allowed = {p.pk for p in people if decide(actor, p).allowed}
        assert visible == allowed, username
        if username == "outsider.uk":
            assert visible == set()  # the seed leaves the outsider's practice out
        else:
            assert visible, username
    # Swedish people need consent: someone on the socialtjänst team without it is hidden.
    sw_se = actor_for("sw.se")
    hidden = [p for p in people if p.country == "SE" and not p.consents.all()
              and any(m.organisation_id == sw_se.organisation_id for m in p.care_team.all())
              and p.registered_by_id != sw_se.organisation_id]
    visible = set(people_visible_to(sw_se).values_list("pk", flat=True))
    assert hidden and not any(p.pk in visible for p in hidden)


@pytest.mark.django_db
def test_same_seed_same_people_and_a_second_run_appends(demo) -> None:  # noqa: ANN001
    from careweave.demo.loader import load_demo

    def snapshot() -> list[tuple[object, ...]]:
        return sorted(
            PersonIdentifier.objects.filter(person__in=seeded_people())
            .values_list("person_id", "person__given_name", "person__family_name", "value")
        )

    seed(50, seed=11, batch=100)
    first = snapshot()
    load_demo(reset=True, log=lambda _m: None)
    seed(50, seed=11, batch=100)
    assert snapshot() == first

    seed(50, seed=11, batch=100)  # appends 50 different people
    after = snapshot()
    assert len(after) == 100
    assert len({row[0] for row in after}) == 100
    assert audit_verify()[1] == []


@pytest.mark.django_db
def test_seed_loads_the_demo_organisations_when_missing() -> None:
    output = seed(20, batch=100)
    assert "loading the demo" in output
    assert Person.objects.count() >= 20
    assert CareTeamMember.objects.filter(person__in=seeded_people()).count() >= 40
    assert audit_verify()[1] == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--people", "0"], "positive"),
        (["--people", "-5"], "positive"),
        (["--people", "5000001"], "at most 1,000,000"),
        (["--people", "10", "--batch", "5"], "--batch"),
        (["--people", "10", "--batch", "1000000"], "--batch"),
        (["--people", "lots"], "invalid int"),
        (["--people", "10", "--jobs", "0"], "--jobs must be between 1 and 8"),
        (["--people", "10", "--jobs", "9"], "--jobs must be between 1 and 8"),
        ([], "--people"),
    ],
)
def test_bad_input_is_a_clear_command_error(args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("seed", *args, stdout=io.StringIO())
    assert not Person.objects.exists()


def _columns(obj: object) -> dict[str, object]:
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


@pytest.mark.django_db
def test_a_row_built_without_init_is_what_init_makes(demo) -> None:  # noqa: ANN001
    """The seed makes its rows with generator.build (no Model.__init__): every column,
    defaults included, and a related object given by name, come out as __init__'s."""
    import datetime as dt
    import uuid

    from django.utils import timezone

    from careweave.notes.models import CaseNote
    from careweave.orgs.models import Organisation
    from careweave.people.models import TimelineEntry
    from careweave.seed.generator import build

    org = Organisation.objects.order_by("name").first()
    person = Person.objects.order_by("family_name").first()
    at = timezone.now() - dt.timedelta(days=3)
    entry = {"id": uuid.uuid4(), "person_id": person.pk, "at": at, "kind": "people.registered",
             "organisation": org, "object_type": "Person", "object_id": str(person.pk),
             "data": {"organisation": org.name, "ort": "Göteborg"}, "recorded_at": at}
    built, made = build(TimelineEntry, **entry), TimelineEntry(**entry)
    assert _columns(built) == _columns(made)
    assert built.organisation is org and built._state.adding and built._state.db is None
    note = {"id": uuid.uuid4(), "person_id": person.pk, "organisation_id": org.pk,
            "kind": "phone", "occurred_at": at, "summary": "Samtal", "body": "Åsa ringde; allt väl.",
            "recorded_at": at}
    assert _columns(build(CaseNote, **note)) == _columns(CaseNote(**note))
    with pytest.raises(TypeError, match="shoe_size"):
        build(CaseNote, shoe_size=9)


def _postgresql_only(what: str) -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip(f"{what} is PostgreSQL's")


@pytest.mark.django_db
def test_seeding_refreshes_the_planner_statistics_on_postgresql(demo) -> None:  # noqa: ANN001
    from django.db import connection

    _postgresql_only("ANALYZE")
    output = seed(50)
    assert "Statistics refreshed (ANALYZE)" in output
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass",
                       [Person._meta.db_table])
        (tuples,) = cursor.fetchone()
    assert tuples >= Person.objects.count() > 50  # the demo's people and the seeded



@pytest.mark.django_db(transaction=True)
def test_seeding_outside_a_transaction_vacuums_on_postgresql(demo) -> None:  # noqa: ANN001
    """Run as the command runs (autocommit): VACUUM (ANALYZE), so the pages are all-visible
    and autovacuum is not left due for the next thing that runs."""
    from django.db import connection

    _postgresql_only("VACUUM")
    output = seed(300, batch=100)
    assert "Vacuumed and statistics refreshed (VACUUM ANALYZE)" in output
    with connection.cursor() as cursor:
        cursor.execute("SELECT s.last_vacuum IS NOT NULL, c.relallvisible, c.relpages "
                       "FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid "
                       "WHERE s.relid = %s::regclass", [Person._meta.db_table])
        vacuumed, visible, pages = cursor.fetchone()
    assert vacuumed and 0 < visible <= pages


@pytest.mark.django_db(transaction=True)
def test_jobs_write_their_shares_at_once_with_one_valid_chain(demo) -> None:  # noqa: ANN001
    _postgresql_only("--jobs above 1 (SQLite takes one writer at a time)")
    before = Person.objects.count()
    output = seed(450, seed=5, batch=100, jobs=3)
    assert "3 jobs at once" in output
    assert "Seeded 450 people" in output
    people = seeded_people()
    assert len(people) == 450 == Person.objects.count() - before
    values = list(PersonIdentifier.objects.values_list("system", "value"))
    assert len(values) == len(set(values))  # no two jobs picked the same number
    assert all(len(p.identifiers.all()) == 1 for p in people)
    # Each job's 150 people in a batch of 100 and one of 50, each with its audit history, all
    # on the one set of chains: sealed and verified clean.
    assert AuditEvent.objects.filter(detail__source="seed").count() >= 450
    audit_seal()
    assert audit_verify()[1] == []


@pytest.mark.django_db(transaction=True)
def test_a_failing_job_stops_the_others_and_leaves_whole_batches(demo, monkeypatch) -> None:  # noqa: ANN001
    from careweave.seed import generator

    _postgresql_only("--jobs above 1 (SQLite takes one writer at a time)")
    real = generator._write_batch
    calls = {"n": 0}

    def second_batch_of_job_two_fails(b):  # noqa: ANN001, ANN202
        calls["n"] += 1  # counted in each forked job separately
        if b.ctx.share == (1, 2) and calls["n"] == 2:
            raise RuntimeError("disk full (simulated)")
        return real(b)

    monkeypatch.setattr(generator, "_write_batch", second_batch_of_job_two_fails)
    before = Person.objects.count()
    with pytest.raises(CommandError, match=r"job 2 of 2 failed: RuntimeError: disk full"):
        seed(2000, seed=9, batch=100, jobs=2)
    added = Person.objects.count() - before
    assert added % 100 == 0 and 100 <= added < 2000  # whole batches only, and it stopped
    assert all(len(p.identifiers.all()) == 1 for p in seeded_people())
    audit_seal()
    assert audit_verify()[1] == []


@pytest.mark.django_db
def test_jobs_above_one_are_refused_on_sqlite() -> None:
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("SQLite's refusal")
    with pytest.raises(CommandError, match="needs PostgreSQL"):
        call_command("seed", people=10, jobs=2, stdout=io.StringIO())
    assert not Person.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_stopped_seed_stops_its_jobs(demo) -> None:  # noqa: ANN001
    """SIGTERM to `careweave seed --jobs 2` (as the bench sends it) ends the jobs too:
    nothing goes on writing after the command has gone."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from django.db import connection

    _postgresql_only("--jobs above 1 (SQLite takes one writer at a time)")
    before = Person.objects.count()
    db = connection.settings_dict
    env = {**os.environ, "CAREWEAVE_DEBUG": "1", "DATABASE_URL":
           f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"}
    env.pop("CAREWEAVE_TEST", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "careweave.cli", "seed", "--people", "20000", "--jobs", "2",
         "--batch", "100"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if "people/s" in line:  # a first batch has committed
                break
        else:
            pytest.fail(f"no batch was written (exit {proc.wait()})")
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()

    def others() -> int:  # connections to this database but ours: the jobs', if alive
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = "
                           "current_database() AND pid <> pg_backend_pid()")
            return cursor.fetchone()[0]

    deadline = time.monotonic() + 30
    while others() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert others() == 0
    settled = Person.objects.count()
    time.sleep(2)
    assert Person.objects.count() == settled  # no orphan job goes on writing
    assert before < settled < before + 20000
    audit_seal()
    assert audit_verify()[1] == []
