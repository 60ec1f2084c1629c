"""Audit: one event per access, in the same transaction; tampering is detected."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from careweave.access.gate import AccessDenied, open_person
from careweave.audit.models import AuditEvent
from careweave.audit.services import append_only_lifted, audit_seal, audit_verify
from careweave.core.errors import ValidationFailed
from careweave.people.selectors import caseload, person_detail
from careweave.people.services import person_update

pytestmark = pytest.mark.django_db


def test_each_read_and_write_is_one_event(actor_for, person_named) -> None:  # noqa: ANN001
    gp = actor_for("gp.uk")
    arthur = person_named("Arthur")
    start = AuditEvent.objects.count()
    for _ in range(3):
        person_detail(actor=gp, person_id=arthur.pk)
    person_update(actor=gp, person_id=arthur.pk, changes={"preferred_name": "Art"},
                  expected_version=arthur.version)
    caseload(actor=gp, q="penrose")
    events = list(AuditEvent.objects.order_by("id")[start:])
    assert [(e.action, e.outcome) for e in events] == [
        ("read", "allowed"), ("read", "allowed"), ("read", "allowed"),
        ("update", "allowed"), ("search", "allowed"),
    ]
    assert all(e.person_id == arthur.pk for e in events[:4])
    assert events[0].username == "gp.uk"
    assert events[0].organisation_name == "Riverside Surgery"
    assert events[0].legal_basis == "own-organisation"
    assert events[3].detail == {"fields": ["preferred_name"]}


def test_denied_read_is_audited_as_denied(actor_for, person_named) -> None:  # noqa: ANN001
    maya = person_named("Maya")
    with pytest.raises(AccessDenied):
        open_person(actor_for("sw.uk"), maya.pk)
    event = AuditEvent.objects.latest("id")
    assert (event.person_id, event.outcome, event.username, event.legal_basis) == (
        maya.pk, "denied", "sw.uk", "person-objected")


def test_failed_write_leaves_no_audit_and_no_change(actor_for, person_named) -> None:  # noqa: ANN001
    arthur = person_named("Arthur")
    start = AuditEvent.objects.count()
    with pytest.raises(ValidationFailed):
        person_update(actor=actor_for("gp.uk"), person_id=arthur.pk,
                      changes={"given_name": "x" * 101})
    assert AuditEvent.objects.count() == start
    arthur.refresh_from_db()
    assert arthur.given_name == "Arthur"


def test_events_cannot_be_changed_through_the_orm(actor_for, person_named) -> None:  # noqa: ANN001
    person_detail(actor=actor_for("gp.uk"), person_id=person_named("Arthur").pk)
    event = AuditEvent.objects.latest("id")
    event.action = "update"
    with pytest.raises(ValueError):
        event.save()
    with pytest.raises(ValueError):
        event.delete()


def _tamper(sql: str, params: list[object]) -> None:
    """As the database's owner would: with the append-only triggers disabled."""
    table = AuditEvent._meta.db_table
    with append_only_lifted(), connection.cursor() as cur:
        cur.execute(sql.format(table=table), params)


def test_verify_passes_then_detects_an_edited_row(actor_for, person_named, capsys) -> None:  # noqa: ANN001
    gp = actor_for("gp.uk")
    for given in ("Arthur", "Maya"):
        person_detail(actor=gp, person_id=person_named(given).pk)
    call_command("audit", "verify")
    assert "verified" in capsys.readouterr().out
    victim = AuditEvent.objects.filter(person_id=person_named("Maya").pk).latest("id")
    _tamper("UPDATE {table} SET username = %s WHERE id = %s", ["someone.else", victim.id])
    checked, problems = audit_verify()
    assert checked == AuditEvent.objects.count()
    assert [(p.event_id, p.problem) for p in problems] == [(victim.id, "content altered")]
    with pytest.raises(CommandError, match="FAILED"):
        call_command("audit", "verify")


def test_verify_detects_a_deleted_row(actor_for, person_named) -> None:  # noqa: ANN001
    gp = actor_for("gp.uk")
    arthur = person_named("Arthur")
    for _ in range(3):
        person_detail(actor=gp, person_id=arthur.pk)
    audit_seal()
    middle = AuditEvent.objects.filter(person_id=arthur.pk).order_by("seq")[1]
    _tamper("DELETE FROM {table} WHERE id = %s", [middle.id])
    _checked, problems = audit_verify()
    assert any("missing" in p.problem for p in problems)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL trigger")
def test_postgresql_refuses_update_of_audit_rows(actor_for, person_named) -> None:  # noqa: ANN001
    from django.db import DatabaseError, transaction

    person_detail(actor=actor_for("gp.uk"), person_id=person_named("Arthur").pk)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
        cur.execute(f"UPDATE {AuditEvent._meta.db_table} SET username = 'x'")


@pytest.mark.django_db(transaction=True)
def test_a_read_commits_its_audit_row_and_leaves_changes_synchronous(demo, actor_for,  # noqa: ANN001
                                                                     person_named) -> None:
    """A read alone in its transaction commits without waiting for the disk (PostgreSQL):
    its audit row is there afterwards, and the next transaction is synchronous again."""
    from django.db import connection

    from careweave.access.gate import open_person

    def setting() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            return str(cursor.fetchone()[0])

    arthur = person_named("Arthur", "Penrose")
    before = AuditEvent.objects.filter(person_id=arthur.pk, action="read").count()
    server = setting() if connection.vendor == "postgresql" else ""
    open_person(actor_for("gp.uk"), arthur.pk)
    assert AuditEvent.objects.filter(person_id=arthur.pk, action="read").count() == before + 1
    if connection.vendor == "postgresql":
        assert setting() == server  # SET LOCAL ended with the read's transaction
