"""The demo's assessments (Maya's year, Arthur's and Karim's screens) and the seed step."""

from __future__ import annotations

import pytest

from careweave.assessments import change, rules, selectors
from careweave.assessments.models import Assessment, LatestScore, SafetyFlag

pytestmark = pytest.mark.django_db


def test_the_demo_tells_mayas_year(maya, actor_for) -> None:  # noqa: ANN001
    mh = actor_for("mh.uk")
    points = selectors.trend(actor=mh, person=maya, instrument_code="phq9")
    assert len(points) == 11
    kinds = [p.change for p in points]
    assert change.DETERIORATION in kinds and change.RELIABLE_RECOVERY in kinds
    days = [p.assessment.taken_on for p in points]
    gaps = [(b - a).days for a, b in zip(days, days[1:], strict=False)]
    assert all(28 <= g <= 42 for g in gaps) and (days[-1] - days[0]).days >= 330
    assert len(selectors.trend(actor=mh, person=maya, instrument_code="gad7")) == 11
    flag = SafetyFlag.objects.get(person=maya)
    assert flag.status == rules.REVIEWED and flag.reviewed_by == mh.membership


def test_the_demo_has_arthurs_and_karims_screens(demo, person_named) -> None:  # noqa: ANN001
    arthur = person_named("Arthur", "Penrose")
    hna = Assessment.objects.get(person=arthur, instrument__code="careweave_hna")
    assert "social_contact" in hna.result["concerns"]
    karim = person_named("Karim", "Haddad")
    screen = Assessment.objects.get(person=karim, instrument__code="ahc_hrsn")
    assert screen.language == "sv" and screen.result["domains"]["housing"] == "positive"


def test_the_seed_adds_about_ten_scored_assessments_a_person(demo) -> None:  # noqa: ANN001
    from careweave.seed.generator import seed_people

    before = Assessment.objects.count()
    result = seed_people(people=120, seed=3, batch=120, log=lambda _m: None)
    added = Assessment.objects.count() - before
    assert result.rows["assessments"] == added
    assert 7 * 120 <= added <= 10 * 120
    sample = Assessment.objects.filter(recorded_by_name__isnull=False,
                                       instrument__code="phq9").exclude(
        person__in=[p for p in []]).order_by("?")[:50]
    from careweave.assessments import scoring

    for row in sample:
        assert scoring.score(row.definition, row.answers).total == row.total
    assert LatestScore.objects.count() >= 120
    # care workers never recorded the clinical instruments
    assert not Assessment.objects.filter(audience="professional",
                                         recorded_by__role="care_worker").exists()
