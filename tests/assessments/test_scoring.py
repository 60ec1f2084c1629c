"""The pure parts as tables and properties: scoring (every band edge, hypothesis),
answer checks, definitions, reliable change, and the state tables."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from careweave.assessments import change, definitions, rules, scoring
from careweave.assessments.definitions import GAD7, PHQ9, SHIPPED

FREQ = ["LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9"]


def answers(values: list[int], prefix: str = "q") -> dict[str, str]:
    return {f"{prefix}{i}": FREQ[v] for i, v in enumerate(values, start=1)}


def spread(total: int, items: int) -> list[int]:
    """Item values (0-3) adding up to total."""
    values = []
    for _ in range(items):
        v = min(3, total)
        values.append(v)
        total -= v
    assert total == 0
    return values


PHQ9_EDGES = [(0, "minimal"), (4, "minimal"), (5, "mild"), (9, "mild"), (10, "moderate"),
              (14, "moderate"), (15, "moderately_severe"), (19, "moderately_severe"),
              (20, "severe"), (27, "severe")]
GAD7_EDGES = [(0, "minimal"), (4, "minimal"), (5, "mild"), (9, "mild"), (10, "moderate"),
              (14, "moderate"), (15, "severe"), (21, "severe")]


@pytest.mark.parametrize("total,band", PHQ9_EDGES)
def test_phq9_band_edges(total: int, band: str) -> None:
    values = spread(total, 9)
    result = scoring.score(PHQ9, answers(values))
    assert (result.total, result.band) == (total, band)
    assert result.scoring_version == "sum/1 phq9@1.0.0"


@pytest.mark.parametrize("total,band", GAD7_EDGES)
def test_gad7_band_edges(total: int, band: str) -> None:
    result = scoring.score(GAD7, answers(spread(total, 7)))
    assert (result.total, result.band) == (total, band)


@pytest.mark.parametrize("total,band", [(3, "less_lonely"), (5, "less_lonely"), (6, "lonely"),
                                        (9, "lonely")])
def test_loneliness_band_edges(total: int, band: str) -> None:
    codes = {1: "hardly_ever", 2: "some_of_the_time", 3: "often"}
    values = [1, 1, 1]
    extra = total - 3
    for i in range(3):
        add = min(2, extra)
        values[i] += add
        extra -= add
    given_answers = dict(zip(("companionship", "left_out", "isolated"),
                             (codes[v] for v in values), strict=True))
    result = scoring.score(definitions.LONELINESS, given_answers)
    assert (result.total, result.band) == (total, band)


def test_band_for_outside_the_range_is_empty() -> None:
    assert scoring.band_for(PHQ9, -1) == "" and scoring.band_for(PHQ9, 28) == ""


phq_values = st.lists(st.integers(min_value=0, max_value=3), min_size=9, max_size=9)


@given(phq_values)
def test_total_is_the_sum_of_the_item_values(values: list[int]) -> None:
    result = scoring.score(PHQ9, answers(values))
    assert result.total == sum(values)
    assert not result.prorated and result.unscored_reason == ""


@given(st.integers(min_value=0, max_value=27), st.integers(min_value=0, max_value=27))
def test_band_is_monotone_in_the_total(a: int, b: int) -> None:
    order = [band["code"] for band in PHQ9["scoring"]["bands"]]
    low, high = sorted((a, b))
    assert order.index(scoring.band_for(PHQ9, low)) <= order.index(scoring.band_for(PHQ9, high))


@settings(max_examples=200)
@given(st.sampled_from([PHQ9, GAD7, definitions.LONELINESS]), st.data())
def test_any_single_missing_item_is_handled_by_the_rule(definition, data) -> None:  # noqa: ANN001
    codes = definition["scoring"]["items"]
    full = {}
    for code in codes:
        item = scoring.item_map(definition)[code]
        options = scoring.options_of(definition, item)
        full[code] = data.draw(st.sampled_from([o["code"] for o in options]))
    missing = data.draw(st.sampled_from(codes))
    partial = {k: v for k, v in full.items() if k != missing}
    item = scoring.item_map(definition)[missing]
    problems = scoring.answer_problems(definition, partial, complete=True)
    if item.get("required"):
        # a required item cannot be left out: the response is refused on submission
        assert problems == {missing: scoring.MISSING_REQUIRED}
        return
    assert problems == {}
    result = scoring.score(definition, partial)
    rule = definition["scoring"]["missing"]
    if rule["rule"] == "prorate" and rule["max_missing"] >= 1:
        values = [scoring.option_value(definition, scoring.item_map(definition)[c], v)
                  for c, v in partial.items()]
        expected = scoring.round_half_up(
            scoring.Decimal(sum(values)) * len(codes) / len(values))
        assert (result.total, result.prorated, result.missing) == (expected, True, (missing,))
        assert result.band == scoring.band_for(definition, expected)
    else:
        assert result.total is None and result.unscored_reason == scoring.TOO_MANY_MISSING


def test_two_missing_items_of_phq9_leave_it_unscored() -> None:
    values = answers([1] * 9)
    del values["q1"], values["q2"]
    result = scoring.score(PHQ9, values)
    assert (result.total, result.unscored_reason) == (None, scoring.TOO_MANY_MISSING)
    assert result.missing == ("q1", "q2")


def test_prorating_rounds_half_up() -> None:
    # 8 answered items adding up to 4: 4 x 9 / 8 = 4.5 -> 5 (mild, not minimal)
    values = answers([1, 1, 1, 1, 0, 0, 0, 0, 0])
    del values["q5"]
    result = scoring.score(PHQ9, values)
    assert (result.total, result.band, result.prorated) == (5, "mild", True)


@pytest.mark.parametrize("item9,flags", [(0, ()), (1, ("self_harm",)), (2, ("self_harm",)),
                                         (3, ("self_harm",))])
def test_item_9_above_0_raises_the_safety_flag(item9: int, flags: tuple[str, ...]) -> None:
    assert scoring.score(PHQ9, answers([0] * 8 + [item9])).flags == flags


ANSWER_CASES = [
    ("an answer not in the options", {"q1": "LA9999-9"}, {"q1": scoring.NOT_AN_OPTION}),
    ("a question that is not in the instrument", {"q10": FREQ[0]},
     {"q10": scoring.UNKNOWN_ITEM}),
    ("a number instead of a code", {"q1": 3}, {"q1": scoring.WRONG_TYPE}),
    ("a list for a single choice", {"q1": [FREQ[0]]}, {"q1": scoring.WRONG_TYPE}),
]


@pytest.mark.parametrize("what,given_answers,problems", ANSWER_CASES,
                         ids=[c[0] for c in ANSWER_CASES])
def test_answer_problems(what: str, given_answers: dict, problems: dict) -> None:
    assert scoring.answer_problems(PHQ9, given_answers, complete=False) == problems


def test_a_required_item_is_asked_for_only_on_submission() -> None:
    assert scoring.answer_problems(PHQ9, {}, complete=False) == {}
    assert scoring.answer_problems(PHQ9, {}, complete=True) == {"q9": scoring.MISSING_REQUIRED}


def test_multi_choice_and_text_answers() -> None:
    d = definitions.SOCIAL_NEEDS
    assert scoring.answer_problems(d, {"housing_problems": ["mould", "nope"]},
                                   complete=False) == {"housing_problems": scoring.NOT_AN_OPTION}
    assert scoring.answer_problems(d, {"housing_problems": ["mould", "mould"]},
                                   complete=False) == {"housing_problems": scoring.NOT_AN_OPTION}
    long = "å" * (scoring.TEXT_LIMIT + 1)
    assert scoring.answer_problems(definitions.HOLISTIC, {"what_matters": long},
                                   complete=False) == {"what_matters": scoring.TOO_LONG}


SOCIAL_CASES = [
    ({"living": "steady", "food_worry": "never_true", "food_ran_out": "never_true",
      "transport": "no", "utilities": "no", "housing_problems": ["none"],
      "safety_hurt": "never", "safety_insult": "never", "safety_threaten": "never",
      "safety_scream": "never"},
     {"housing": "negative", "housing_quality": "negative", "food": "negative",
      "transport": "negative", "utilities": "negative", "safety": "negative"}),
    ({"living": "not_steady", "food_worry": "sometimes_true", "food_ran_out": "never_true",
      "transport": "yes", "utilities": "already_shut_off", "housing_problems": ["mould"],
      "safety_hurt": "sometimes", "safety_insult": "sometimes", "safety_threaten": "rarely",
      "safety_scream": "rarely"},  # 3 + 3 + 2 + 2 = 10: below 11
     {"housing": "positive", "housing_quality": "positive", "food": "positive",
      "transport": "positive", "utilities": "positive", "safety": "negative"}),
    ({"living": "worried", "food_worry": "never_true", "food_ran_out": "never_true",
      "transport": "no", "utilities": "no", "safety_hurt": "sometimes",
      "safety_insult": "fairly_often", "safety_threaten": "rarely",
      "safety_scream": "rarely"},  # 3 + 4 + 2 + 2 = 11
     {"housing": "positive", "housing_quality": "unanswered", "food": "negative",
      "transport": "negative", "utilities": "negative", "safety": "positive"}),
    ({"living": "steady", "food_worry": "never_true", "food_ran_out": "never_true",
      "transport": "no", "utilities": "no", "safety_hurt": "never"},  # 1 + up to 15 > 11
     {"housing": "negative", "housing_quality": "unanswered", "food": "negative",
      "transport": "negative", "utilities": "negative", "safety": "unanswered"}),
]


@pytest.mark.parametrize("given_answers,domains", SOCIAL_CASES)
def test_social_needs_domains(given_answers: dict, domains: dict) -> None:
    result = scoring.score(definitions.SOCIAL_NEEDS, given_answers)
    assert {d.code: d.status for d in result.domains} == domains
    assert result.total is None and result.unscored_reason == ""


def test_holistic_needs_lists_the_areas_of_concern() -> None:
    result = scoring.score(definitions.HOLISTIC, {"what_matters": "Min trädgård",
                                                  "money": "a_lot", "food": "some",
                                                  "housing": "none"})
    assert result.concerns == ("money", "food")


@pytest.mark.parametrize("definition", SHIPPED, ids=[d["code"] for d in SHIPPED])
def test_every_shipped_definition_is_complete_in_english_and_swedish(definition: dict) -> None:
    assert scoring.definition_problems(definition) == []
    assert definition["languages"] == ["en", "sv"]
    for key in ("name", "title", "licence", "intro"):
        assert definition[key]["en"] and definition[key]["sv"], key
    for item in definition["items"]:
        assert item["text"]["en"] and item["text"]["sv"], item["code"]
        for option in scoring.options_of(definition, item):
            assert option["text"]["en"] and option["text"]["sv"]
    pages = [c for page in definition["pages"] for c in page]
    assert sorted(pages) == sorted(i["code"] for i in definition["items"])


DEFINITION_PROBLEMS = [
    ("no items", {"code": "x", "version": "1", "items": []}, "the definition has no items"),
    ("gap in the bands", {**PHQ9, "scoring": {**PHQ9["scoring"], "bands": [
        {"code": "a", "min": 0, "max": 4}, {"code": "b", "min": 6, "max": 27}]}},
     "the bands a and b leave a gap or overlap"),
    ("bands short of the range", {**PHQ9, "scoring": {**PHQ9["scoring"], "bands": [
        {"code": "a", "min": 0, "max": 20}]}}, "the bands must cover the whole range 0 to 27"),
    ("flag on a missing item", {**GAD7, "flags": [{"code": "f", "item": "q9"}]},
     "flag f names item q9, which does not exist"),
    ("unknown missing rule", {**GAD7, "scoring": {**GAD7["scoring"],
                                                  "missing": {"rule": "guess"}}},
     "unknown missing-item rule 'guess'"),
]


@pytest.mark.parametrize("what,definition,problem", DEFINITION_PROBLEMS,
                         ids=[c[0] for c in DEFINITION_PROBLEMS])
def test_definition_problems(what: str, definition: dict, problem: str) -> None:
    assert problem in scoring.definition_problems(definition)


# -- reliable change (NHS Talking Therapies thresholds) ----------------------------------------

PHQ = change.Thresholds(reliable_change=6, caseness=10)
GAD = change.Thresholds(reliable_change=4, caseness=8)
CHANGE_CASES = [
    (PHQ, None, 12, change.FIRST),
    (PHQ, 12, 7, change.RECOVERY),  # case to non-case, down 5: not reliable
    (PHQ, 16, 10, change.IMPROVEMENT),  # down 6, still a case
    (PHQ, 16, 9, change.RELIABLE_RECOVERY),  # down 7 and below 10
    (PHQ, 9, 14, change.NO_CHANGE),  # up 5
    (PHQ, 9, 15, change.DETERIORATION),  # up 6
    (PHQ, 8, 2, change.IMPROVEMENT),  # not a case before: improvement only
    (PHQ, 7, 2, change.NO_CHANGE),  # down 5
    (PHQ, 10, 10, change.NO_CHANGE),
    (GAD, 8, 7, change.RECOVERY),
    (GAD, 10, 6, change.RELIABLE_RECOVERY),
    (GAD, 5, 9, change.DETERIORATION),
    (GAD, 5, 8, change.NO_CHANGE),
    (None, 5, 9, change.NO_CHANGE),
]


@pytest.mark.parametrize("thresholds,previous,total,kind", CHANGE_CASES)
def test_reliable_change_table(thresholds, previous, total, kind) -> None:  # noqa: ANN001
    assert change.classify(previous, total, thresholds) == kind


def test_thresholds_come_from_the_definitions() -> None:
    assert change.thresholds_of(PHQ9) == PHQ
    assert change.thresholds_of(GAD7) == GAD
    assert change.thresholds_of(definitions.LONELINESS) is None


@given(st.lists(st.integers(min_value=0, max_value=27), min_size=1, max_size=20))
def test_a_series_starts_first_and_deteriorates_only_on_a_reliable_rise(totals) -> None:  # noqa: ANN001
    kinds = change.series(totals, PHQ)
    assert kinds[0] == change.FIRST
    for before, after, kind in zip(totals, totals[1:], kinds[1:], strict=False):
        assert (kind == change.DETERIORATION) == (after - before >= 6)


# -- state tables ---------------------------------------------------------------------------

RESPONSE_TABLE = [
    (rules.DRAFT, "save", rules.DRAFT), (rules.DRAFT, "submit", rules.SUBMITTED),
    (rules.DRAFT, "discard", rules.DISCARDED),
    (rules.SUBMITTED, "save", None), (rules.SUBMITTED, "submit", None),
    (rules.SUBMITTED, "discard", None), (rules.DISCARDED, "save", None),
    (rules.DISCARDED, "submit", None), (rules.DISCARDED, "discard", None),
]


@pytest.mark.parametrize("status,event,after", RESPONSE_TABLE)
def test_response_state_table(status: str, event: str, after: str | None) -> None:
    assert rules.response_next(status, event) == after


ROLES = ["clinician", "nurse", "social_worker", "care_worker", "coordinator", "analyst",
         "privacy_lead", "data_quality"]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("status", rules.FLAG_STATUSES)
def test_flag_state_table(role: str, status: str) -> None:
    allowed = status == rules.OPEN and role in ("clinician", "nurse")
    assert rules.flag_next(status, "review", role) == (rules.REVIEWED if allowed else None)
    assert rules.flag_next(status, "reopen", role) is None


AUDIENCE_TABLE = {
    # role: (sees care_team instruments, sees professional instruments)
    "clinician": (True, True), "nurse": (True, True), "social_worker": (True, True),
    "coordinator": (True, True), "care_worker": (True, False), "data_quality": (False, False),
    "analyst": (False, False), "privacy_lead": (False, False), "admin": (False, False),
}


@pytest.mark.parametrize("role", sorted(AUDIENCE_TABLE))
def test_audience_table(role: str) -> None:
    care, professional = AUDIENCE_TABLE[role]
    assert rules.may_see(rules.CARE_TEAM, role) == care
    assert rules.may_see(rules.PROFESSIONAL, role) == professional
    assert rules.may_record(rules.PROFESSIONAL, role) == professional


NOW = dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC)
LINK_TABLE = [
    ("fresh", {"expires_at": NOW + dt.timedelta(days=1)}, rules.USABLE),
    ("expired", {"expires_at": NOW}, rules.EXPIRED),
    ("used", {"expires_at": NOW + dt.timedelta(days=1), "used_at": NOW}, rules.USED),
    ("revoked", {"expires_at": NOW + dt.timedelta(days=1), "revoked_at": NOW}, rules.REVOKED),
    ("used after it expired", {"expires_at": NOW - dt.timedelta(days=1), "used_at": NOW},
     rules.USED),
]


@pytest.mark.parametrize("what,fields,state", LINK_TABLE, ids=[c[0] for c in LINK_TABLE])
def test_link_states(what: str, fields: dict, state: str) -> None:
    values = {"used_at": None, "revoked_at": None, **fields}
    assert rules.link_state(now=NOW, **values) == state


def test_due_and_overdue() -> None:
    day = dt.date(2026, 1, 1)
    assert rules.due_on(day, 42) == dt.date(2026, 2, 12)
    assert rules.due_on(day, None) is None
    assert rules.overdue(dt.date(2026, 2, 12), dt.date(2026, 2, 13))
    assert not rules.overdue(dt.date(2026, 2, 12), dt.date(2026, 2, 12))
