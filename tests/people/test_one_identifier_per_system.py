"""One identifier per system per person: two NHS numbers are refused with a clear 422, an
identifier someone else took at the same moment is a 409 (not a 500) on both databases, and
the database holds the rule even if the code did not."""

from __future__ import annotations

import threading

import pytest
from django.db import IntegrityError, connection, transaction

from careweave.core.errors import DuplicateRecord, ValidationFailed
from careweave.people import services
from careweave.people.models import Person, PersonIdentifier
from careweave.people.services import person_create, person_update
from tests.support import assert_problem

pytestmark = pytest.mark.django_db

ARTHUR_NHS = "9434765919"
OTHER_NHS = "4010232137"
THIRD_NHS = "9876543210"


def new(**extra: object) -> dict[str, object]:
    return {"given_name": "Ödön", "family_name": "Åström", "birth_date": "1952-07-01", **extra}


def test_two_numbers_of_one_system_on_create_are_422(actor_for) -> None:  # noqa: ANN001
    before = Person.objects.count(), PersonIdentifier.objects.count()
    with pytest.raises(ValidationFailed) as refused:
        person_create(actor=actor_for("gp.uk"), data=new(),
                      identifiers=[("nhs", OTHER_NHS), ("nhs", THIRD_NHS)])
    assert refused.value.errors == {"identifier_nhs": [
        "Give one NHS number only: a person has one."]}
    assert (Person.objects.count(), PersonIdentifier.objects.count()) == before
    # the same number twice (in two formats) is one number
    person = person_create(actor=actor_for("gp.uk"), data=new(),
                           identifiers=[("nhs", "401 023 2137"), ("nhs", OTHER_NHS)])
    assert list(person.identifiers.values_list("value", flat=True)) == [OTHER_NHS]


def test_two_numbers_of_one_system_on_update_are_422(actor_for, maya) -> None:  # noqa: ANN001
    with pytest.raises(ValidationFailed):
        person_update(actor=actor_for("gp.uk"), person_id=maya.pk, changes={},
                      identifiers=[("nhs", OTHER_NHS), ("nhs", THIRD_NHS)])
    assert maya.identifiers.count() == 1


def test_a_personnummer_and_a_samordningsnummer_may_both_be_held(actor_for) -> None:  # noqa: ANN001
    person = person_create(actor=actor_for("gp.se"), data=new(), identifiers=[
        ("se-pnr", "19520701-2385"), ("se-snr", "19520761-2382")])
    assert person.identifiers.count() == 2


def test_the_database_holds_the_rule(arthur) -> None:  # noqa: ANN001
    with pytest.raises(IntegrityError), transaction.atomic():
        PersonIdentifier.objects.create(person=arthur, system="nhs", value=OTHER_NHS)


def test_replacing_a_number_is_one_number(actor_for, maya) -> None:  # noqa: ANN001
    person_update(actor=actor_for("gp.uk"), person_id=maya.pk, changes={},
                  identifiers=[("nhs", OTHER_NHS)])
    assert list(maya.identifiers.values_list("system", "value")) == [("nhs", OTHER_NHS)]


def test_a_race_for_the_same_number_is_409_and_nothing_is_written(actor_for, maya,  # noqa: ANN001
                                                                  monkeypatch) -> None:
    """Another request gave Arthur's number to someone between our check and our write: the
    unique constraint decides. Simulated by skipping the check, so that the insert meets the
    constraint exactly as the loser of a real race does."""
    monkeypatch.setattr(services, "find_by_identifier", lambda system, value: None)
    before = list(maya.identifiers.values_list("value", flat=True))
    version = Person.objects.get(pk=maya.pk).version
    with pytest.raises(DuplicateRecord) as refused:
        person_update(actor=actor_for("gp.uk"), person_id=maya.pk, changes={"phone": "1"},
                      identifiers=[("nhs", ARTHUR_NHS)])
    assert refused.value.errors == {"identifier_nhs": ["Already in use."]}
    maya.refresh_from_db()
    assert list(maya.identifiers.values_list("value", flat=True)) == before
    assert maya.phone == "" and maya.version == version


def test_the_race_through_the_api_is_a_409_problem(api_as, maya, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setattr(services, "find_by_identifier", lambda system, value: None)
    api = api_as("gp.uk")
    etag = api.get(f"/people/{maya.pk}")["ETag"]
    body = assert_problem(api.patch(f"/people/{maya.pk}", {"identifiers": [
        {"system": "nhs", "value": ARTHUR_NHS}]}, HTTP_IF_MATCH=etag), 409)
    assert body["errors"] == {"identifier_nhs": ["Already in use."]}


def test_two_numbers_through_the_api_are_422(api_as, maya) -> None:  # noqa: ANN001
    api = api_as("gp.uk")
    two = [{"system": "nhs", "value": OTHER_NHS}, {"system": "nhs", "value": THIRD_NHS}]
    body = assert_problem(api.post("/people", {**new(), "identifiers": two}), 422)
    assert "identifier_nhs" in body["errors"]
    etag = api.get(f"/people/{maya.pk}")["ETag"]
    assert_problem(api.patch(f"/people/{maya.pk}", {"identifiers": two}, HTTP_IF_MATCH=etag), 422)


def test_the_demo_holds_one_number_per_system_per_person(demo) -> None:  # noqa: ANN001
    from django.db.models import Count

    assert not PersonIdentifier.objects.values("person", "system").annotate(
        n=Count("id")).filter(n__gt=1).exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="SQLite serialises writers: the race cannot happen there")
def test_a_real_race_on_postgresql(demo, actor_for, person_named) -> None:  # noqa: ANN001
    """Two people given the same new number at once, from two connections: one wins, the
    other gets a 409, and the number ends up on exactly one record."""
    from django.db import connections

    gp = actor_for("gp.uk")
    maya = person_named("Maya", "Okafor")
    others = list(Person.objects.filter(country="GB", registered_by=maya.registered_by)
                  .exclude(pk=maya.pk)[:1])
    barrier = threading.Barrier(2, timeout=10)
    outcomes: list[str] = []
    real_find = services.find_by_identifier

    def slow_find(system: str, value: str):  # noqa: ANN202
        found = real_find(system, value)
        barrier.wait()  # both have checked before either writes
        return found

    def give(person_id: object) -> None:
        try:
            person_update(actor=gp, person_id=person_id, changes={},
                          identifiers=[("nhs", THIRD_NHS)])
            outcomes.append("ok")
        except DuplicateRecord:
            outcomes.append("409")
        finally:
            connections.close_all()

    services.find_by_identifier = slow_find  # type: ignore[assignment]
    try:
        threads = [threading.Thread(target=give, args=(p.pk,)) for p in (maya, *others)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(20)
    finally:
        services.find_by_identifier = real_find  # type: ignore[assignment]
    assert sorted(outcomes) == ["409", "ok"]
    assert PersonIdentifier.objects.filter(system="nhs", value=THIRD_NHS).count() == 1
