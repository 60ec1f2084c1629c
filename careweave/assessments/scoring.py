"""Scoring an instrument's answers: a pure, versioned function of the definition and the
answers (plain dicts, no Django).

An instrument definition (see :mod:`careweave.assessments.definitions`) is data: its items,
the answer options with their values, how it is scored (``scoring.method``), its severity
bands, what to do with missing items, and the flags its answers raise. This module reads
that data; it knows no instrument by name.

Methods:

``sum``
    The total of the values of the scored items. Bands are inclusive ranges of the total.
    Missing items follow ``scoring.missing``: ``{"rule": "none"}`` (every scored item must
    be answered, otherwise the response is stored unscored with the reason) or
    ``{"rule": "prorate", "max_missing": N}`` (up to N unanswered items: the mean of the
    answered items stands in for them, total = round-half-up(sum x items / answered)).
``domains``
    A screen of needs: each domain is positive when one of its answers is in a set of
    options (``any_of``) or the sum of its items reaches a threshold (``sum_at_least``).
    A domain with an unanswered item that could change the answer is "not answered".
``concerns``
    A holistic needs assessment: the areas rated at or above a level of concern, listed.
``none``
    Not scored (recorded for its content).

Every result carries :data:`SCORING_VERSION` and the definition's own version, which the
stored score keeps: a later change to this module or to a definition never changes what a
past score said.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

# Bump when the arithmetic of any method changes (a new rounding, a new missing rule).
SCORING_VERSION = "1"

CHOICE = "choice"
MULTI = "multi"  # several options may be chosen (checkboxes)
TEXT = "text"
ITEM_TYPES = (CHOICE, MULTI, TEXT)
TEXT_LIMIT = 2000

# Problems with answers (codes; the service words them in the reader's language).
UNKNOWN_ITEM = "unknown_item"
NOT_AN_OPTION = "not_an_option"
MISSING_REQUIRED = "missing_required"
WRONG_TYPE = "wrong_type"
TOO_LONG = "too_long"

# Why a response was stored unscored.
TOO_MANY_MISSING = "too_many_missing"
NOT_SCORED = "not_scored"


def scoring_version(definition: Mapping[str, Any]) -> str:
    """What a score was computed with: this module's arithmetic and the definition."""
    method = definition.get("scoring", {}).get("method", "none")
    return f"{method}/{SCORING_VERSION} {definition['code']}@{definition['version']}"


def items_of(definition: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return list(definition.get("items", []))


def item_map(definition: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {item["code"]: item for item in items_of(definition)}


def options_of(definition: Mapping[str, Any], item: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The item's answer options (its own, or a shared set named by ``option_set``)."""
    if "options" in item:
        return list(item["options"])
    name = item.get("option_set")
    if name:
        return list(definition.get("option_sets", {}).get(name, []))
    return []


def option_value(definition: Mapping[str, Any], item: Mapping[str, Any], code: str) -> Any:
    for option in options_of(definition, item):
        if option["code"] == code:
            return option.get("value")
    return None


def is_answered(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return value.strip() != ""
    if isinstance(value, list | tuple):
        return len(value) > 0
    return True


def answer_problems(definition: Mapping[str, Any], answers: Mapping[str, Any], *,
                    complete: bool) -> dict[str, str]:
    """{item code: problem} for answers that cannot be stored: an unknown item, an answer
    that is not one of the item's options, the wrong kind of value, text too long, and (when
    ``complete``, i.e. on submission) a required item left unanswered."""
    items = item_map(definition)
    problems: dict[str, str] = {}
    for code, value in answers.items():
        item = items.get(code)
        if item is None:
            problems[str(code)[:60]] = UNKNOWN_ITEM
            continue
        if not is_answered(value):
            continue
        kind = item.get("type", CHOICE)
        allowed = {o["code"] for o in options_of(definition, item)}
        if kind == CHOICE:
            if not isinstance(value, str):
                problems[code] = WRONG_TYPE
            elif value not in allowed:
                problems[code] = NOT_AN_OPTION
        elif kind == MULTI:
            if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
                problems[code] = WRONG_TYPE
            elif set(value) - allowed:
                problems[code] = NOT_AN_OPTION
            elif len(set(value)) != len(value):
                problems[code] = NOT_AN_OPTION
        else:
            if not isinstance(value, str):
                problems[code] = WRONG_TYPE
            elif len(value) > int(item.get("max_length", TEXT_LIMIT)):
                problems[code] = TOO_LONG
    if complete:
        for code, item in items.items():
            if item.get("required") and not is_answered(answers.get(code)) \
                    and code not in problems:
                problems[code] = MISSING_REQUIRED
    return problems


@dataclass(frozen=True)
class Band:
    code: str
    low: int
    high: int


@dataclass(frozen=True)
class Domain:
    code: str
    status: str  # "positive" | "negative" | "unanswered"


@dataclass(frozen=True)
class Score:
    """What scoring one response gave. ``total`` is None when it was not scored, and then
    ``unscored_reason`` says why."""

    scoring_version: str
    total: int | None = None
    band: str = ""
    prorated: bool = False
    answered: int = 0
    missing: tuple[str, ...] = ()
    unscored_reason: str = ""
    domains: tuple[Domain, ...] = ()
    concerns: tuple[str, ...] = ()
    flags: tuple[str, ...] = field(default_factory=tuple)

    @property
    def scored(self) -> bool:
        return self.unscored_reason == ""

    def as_dict(self) -> dict[str, Any]:
        return {"scoring_version": self.scoring_version, "total": self.total,
                "band": self.band, "prorated": self.prorated, "answered": self.answered,
                "missing": list(self.missing), "unscored_reason": self.unscored_reason,
                "domains": {d.code: d.status for d in self.domains},
                "concerns": list(self.concerns), "flags": list(self.flags)}


def bands_of(definition: Mapping[str, Any]) -> list[Band]:
    return [Band(b["code"], int(b["min"]), int(b["max"]))
            for b in definition.get("scoring", {}).get("bands", [])]


def band_for(definition: Mapping[str, Any], total: int) -> str:
    """The band whose inclusive range holds ``total`` ("" if none does)."""
    for band in bands_of(definition):
        if band.low <= total <= band.high:
            return band.code
    return ""


def round_half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def flags_raised(definition: Mapping[str, Any], answers: Mapping[str, Any]) -> tuple[str, ...]:
    """The definition's flags that these answers raise: an item whose answer's value is
    above a threshold (PHQ-9 item 9 above 0: thoughts of self-harm)."""
    items = item_map(definition)
    raised = []
    for flag in definition.get("flags", []):
        item = items.get(flag["item"])
        value = answers.get(flag["item"])
        if item is None or not isinstance(value, str):
            continue
        number = option_value(definition, item, value)
        if isinstance(number, int | float) and number > flag.get("above", 0):
            raised.append(flag["code"])
    return tuple(raised)


def _sum(definition: Mapping[str, Any], answers: Mapping[str, Any], version: str,
         flags: tuple[str, ...]) -> Score:
    rules = definition["scoring"]
    items = item_map(definition)
    codes: Sequence[str] = rules.get("items") or [c for c, i in items.items()
                                                  if i.get("type", CHOICE) == CHOICE]
    values: list[int] = []
    missing: list[str] = []
    for code in codes:
        value = answers.get(code)
        number = option_value(definition, items[code], value) if isinstance(value, str) \
            else None
        if number is None:
            missing.append(code)
        else:
            values.append(int(number))
    missing_rule = rules.get("missing", {"rule": "none"})
    allowed = int(missing_rule.get("max_missing", 0)) if missing_rule.get("rule") == \
        "prorate" else 0
    if len(missing) > allowed or not values:
        return Score(scoring_version=version, answered=len(values), missing=tuple(missing),
                     unscored_reason=TOO_MANY_MISSING, flags=flags)
    total = sum(values)
    prorated = bool(missing)
    if prorated:
        total = round_half_up(Decimal(total) * len(codes) / len(values))
    return Score(scoring_version=version, total=total, band=band_for(definition, total),
                 prorated=prorated, answered=len(values), missing=tuple(missing), flags=flags)


def _domains(definition: Mapping[str, Any], answers: Mapping[str, Any], version: str,
             flags: tuple[str, ...]) -> Score:
    items = item_map(definition)
    results = []
    answered = 0
    for domain in definition["scoring"].get("domains", []):
        codes = domain["items"]
        status = "negative"
        if "any_of" in domain:
            positive_options = domain["any_of"]
            unanswered = False
            for code in codes:
                value = answers.get(code)
                if not is_answered(value):
                    unanswered = True
                    continue
                chosen = set(value) if isinstance(value, list | tuple) else {value}
                if chosen & set(positive_options.get(code, [])):
                    status = "positive"
            if status != "positive" and unanswered:
                status = "unanswered"
        else:
            threshold = int(domain["sum_at_least"])
            total = 0
            unanswered_items = 0
            for code in codes:
                value = answers.get(code)
                number = option_value(definition, items[code], value) \
                    if isinstance(value, str) else None
                if number is None:
                    unanswered_items += 1
                else:
                    total += int(number)
            if total >= threshold:
                status = "positive"
            elif unanswered_items:
                # could the unanswered items still reach the threshold?
                highest = sum(max((int(o.get("value") or 0) for o in
                                   options_of(definition, items[c])), default=0)
                              for c in codes if not is_answered(answers.get(c)))
                status = "unanswered" if total + highest >= threshold else "negative"
        results.append(Domain(domain["code"], status))
    answered = sum(1 for c in items if is_answered(answers.get(c)))
    return Score(scoring_version=version, answered=answered, domains=tuple(results),
                 flags=flags)


def _concerns(definition: Mapping[str, Any], answers: Mapping[str, Any], version: str,
              flags: tuple[str, ...]) -> Score:
    rules = definition["scoring"]
    items = item_map(definition)
    level = int(rules.get("concern_at_least", 1))
    concerns = []
    for code, item in items.items():
        value = answers.get(code)
        if item.get("type", CHOICE) != CHOICE or not isinstance(value, str):
            continue
        number = option_value(definition, item, value)
        if isinstance(number, int | float) and number >= level:
            concerns.append(code)
    answered = sum(1 for c in items if is_answered(answers.get(c)))
    return Score(scoring_version=version, answered=answered, concerns=tuple(concerns),
                 flags=flags)


def score(definition: Mapping[str, Any], answers: Mapping[str, Any]) -> Score:
    """Score valid answers (check them with :func:`answer_problems` first)."""
    version = scoring_version(definition)
    flags = flags_raised(definition, answers)
    method = definition.get("scoring", {}).get("method", "none")
    if method == "sum":
        return _sum(definition, answers, version, flags)
    if method == "domains":
        return _domains(definition, answers, version, flags)
    if method == "concerns":
        return _concerns(definition, answers, version, flags)
    answered = sum(1 for c in item_map(definition) if is_answered(answers.get(c)))
    return Score(scoring_version=version, answered=answered, unscored_reason=NOT_SCORED,
                 flags=flags)


# -- checking a definition ----------------------------------------------------------------------


def definition_problems(definition: Mapping[str, Any]) -> list[str]:
    """What is wrong with a definition, in plain English for the importer's message (empty
    when it can be used): every item has a code, a type and, for choices, options with
    unique codes; scored items have numeric values; bands cover the range without gaps or
    overlaps; flags and domains name real items."""
    problems: list[str] = []
    for key in ("code", "version"):
        if not str(definition.get(key) or "").strip():
            problems.append(f"the definition has no {key}")
    items = items_of(definition)
    if not items:
        problems.append("the definition has no items")
    codes: set[str] = set()
    for index, item in enumerate(items, start=1):
        code = str(item.get("code") or "")
        if not code:
            problems.append(f"item {index} has no code")
            continue
        if code in codes:
            problems.append(f"item {code} appears twice")
        codes.add(code)
        kind = item.get("type", CHOICE)
        if kind not in ITEM_TYPES:
            problems.append(f"item {code} has an unknown type {kind!r}")
        if kind in (CHOICE, MULTI):
            options = options_of(definition, item)
            if not options:
                problems.append(f"item {code} has no answer options")
            option_codes = [o.get("code") for o in options]
            if len(set(option_codes)) != len(option_codes) or not all(option_codes):
                problems.append(f"item {code} has answer options without a unique code")
    scoring_rules = definition.get("scoring", {})
    method = scoring_rules.get("method", "none")
    if method not in ("sum", "domains", "concerns", "none"):
        problems.append(f"unknown scoring method {method!r}")
    if method == "sum":
        scored = scoring_rules.get("items") or [i["code"] for i in items
                                                if i.get("type", CHOICE) == CHOICE]
        lowest = highest = 0
        for code in scored:
            scored_item = item_map(definition).get(code)
            if scored_item is None:
                problems.append(f"the score adds up item {code}, which does not exist")
                continue
            raw = [o.get("value") for o in options_of(definition, scored_item)]
            values = [v for v in raw if isinstance(v, int) and not isinstance(v, bool)]
            if not values or len(values) != len(raw):
                problems.append(f"item {code} is scored but its answer options have no "
                                "whole-number values")
                continue
            lowest += min(values)
            highest += max(values)
        bands = sorted(bands_of(definition), key=lambda b: b.low)
        if not bands:
            problems.append("the score has no severity bands")
        elif not problems:
            if bands[0].low != lowest or bands[-1].high != highest:
                problems.append(f"the bands must cover the whole range {lowest} to {highest}")
            for before, after in zip(bands, bands[1:], strict=False):
                if after.low != before.high + 1:
                    problems.append(f"the bands {before.code} and {after.code} leave a gap "
                                    "or overlap")
        rule = scoring_rules.get("missing", {"rule": "none"}).get("rule")
        if rule not in ("none", "prorate"):
            problems.append(f"unknown missing-item rule {rule!r}")
    if method == "domains":
        for domain in scoring_rules.get("domains", []):
            for code in domain.get("items", []):
                if code not in codes:
                    problems.append(f"domain {domain.get('code')} names item {code}, which "
                                    "does not exist")
    for flag in definition.get("flags", []):
        if flag.get("item") not in codes:
            problems.append(f"flag {flag.get('code')} names item {flag.get('item')}, which "
                            "does not exist")
    return problems
