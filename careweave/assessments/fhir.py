"""Instrument definitions to and from FHIR R4 ``Questionnaire`` JSON (fhir.resources R4B,
wire-compatible with R4 for this resource). No database here: ``services`` stores what
:func:`definition_from_questionnaire` returns.

Export writes every item (linkId = our item code, LOINC codes where the instrument has
them, ``required``, ``repeats`` for "choose all that apply"), every answer option with its
value (the ``ordinalValue`` extension), Swedish texts as ``translation`` extensions, the
licence as ``copyright``, and what FHIR does not model (scoring rules, bands, missing-item
rule, flags, pages, audience, repeat interval) in one Careweave extension as JSON.

Import reads such a file back exactly, or a Questionnaire from elsewhere for an instrument
Careweave knows how to score (PHQ-9, GAD-7, recognised by LOINC panel code or title). Items
are mapped by LOINC code, or, when the file has no codes, by order among its choice items;
answers by their ordinal values, never by linkId (every publisher uses its own). Texts come
from the file, the scoring rules from Careweave's definition. A file that cannot be used is
refused with :class:`ImportRefused`, whose message names the problem.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from fhir.resources.R4B.questionnaire import Questionnaire
from pydantic import ValidationError

from careweave.assessments import definitions, scoring

LOINC = definitions.LOINC
EXT_DEFINITION = "https://careweave.org/fhir/StructureDefinition/instrument-definition"
CW_ITEMS = "https://careweave.org/fhir/CodeSystem/instrument-item"
CW_INSTRUMENT = "https://careweave.org/fhir/CodeSystem/instrument"
CW_OPTIONS = "https://careweave.org/fhir/CodeSystem/answer"
ORDINAL = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
ITEM_WEIGHT = "http://hl7.org/fhir/StructureDefinition/itemWeight"
TRANSLATION = "http://hl7.org/fhir/StructureDefinition/translation"
CANONICAL_BASE = "https://careweave.org/fhir/Questionnaire/"
# Extensions the importer reads; any other (non-modifier) extension is ignored, as FHIR
# allows, and so is not validated either.
KNOWN_EXTENSIONS = {EXT_DEFINITION, ORDINAL, ITEM_WEIGHT, TRANSLATION}
MAX_BYTES = 2 * 1024 * 1024


class ImportRefused(ValueError):
    """The file cannot be imported; the message says why."""


def digest(definition: Mapping[str, Any]) -> str:
    blob = json.dumps(definition, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


# -- export ---------------------------------------------------------------------------------


def _translated(texts: Any) -> tuple[str, dict[str, Any] | None]:
    """The English text, and the ``_field`` element with the other languages."""
    if isinstance(texts, str):
        return texts, None
    english = definitions.text_in(texts, "en")
    others = [{"url": TRANSLATION, "extension": [
        {"url": "lang", "valueCode": lang}, {"url": "content", "valueString": text}]}
        for lang, text in sorted((texts or {}).items()) if lang != "en" and text]
    return english, ({"extension": others} if others else None)


def _fhir_id(code: str, version: str) -> str:
    return re.sub(r"[^A-Za-z0-9\-.]", "-", f"{code}-{version}")[:64]


def _option(definition: Mapping[str, Any], option: Mapping[str, Any]) -> dict[str, Any]:
    display, extra = _translated(option.get("text"))
    code = option["code"]
    system = option.get("system") or (LOINC if re.match(r"^LA\d+-\d$", code) else CW_OPTIONS)
    coding: dict[str, Any] = {"system": system, "code": code, "display": display}
    if extra:
        coding["_display"] = extra
    out: dict[str, Any] = {"valueCoding": coding}
    if option.get("value") is not None:
        out["extension"] = [{"url": ORDINAL, "valueDecimal": option["value"]}]
    return out


def questionnaire_from_definition(definition: Mapping[str, Any]) -> dict[str, Any]:
    """The definition as a FHIR R4 Questionnaire (a JSON-ready dict), validated."""
    title, title_extra = _translated(definition.get("title"))
    licence, licence_extra = _translated(definition.get("licence"))
    purpose, purpose_extra = _translated(definition.get("purpose"))
    codes = [{"system": CW_INSTRUMENT, "code": definition["code"]}]
    if definition.get("loinc"):
        codes.insert(0, {"system": LOINC, "code": definition["loinc"]})
    extra = {k: definition[k] for k in ("name", "intro", "audience", "repeat_days", "pages",
                                        "scoring", "flags", "languages", "option_sets",
                                        "imported_from") if k in definition}
    extra["code"] = definition["code"]
    items = []
    for item in definition["items"]:
        text, text_extra = _translated(item.get("text"))
        kind = item.get("type", scoring.CHOICE)
        out: dict[str, Any] = {
            "linkId": item["code"], "text": text,
            "type": "text" if kind == scoring.TEXT else "choice",
            "required": bool(item.get("required")),
        }
        if text_extra:
            out["_text"] = text_extra
        item_codes = [{"system": CW_ITEMS, "code": f"{definition['code']}.{item['code']}"}]
        if item.get("loinc"):
            item_codes.insert(0, {"system": LOINC, "code": item["loinc"]})
        out["code"] = item_codes
        if kind == scoring.MULTI:
            out["repeats"] = True
        if kind == scoring.TEXT:
            out["maxLength"] = int(item.get("max_length", scoring.TEXT_LIMIT))
        else:
            out["answerOption"] = [_option(definition, o)
                                   for o in scoring.options_of(definition, item)]
        items.append(out)
    resource: dict[str, Any] = {
        "resourceType": "Questionnaire",
        "id": _fhir_id(definition["code"], definition["version"]),
        "url": CANONICAL_BASE + definition["code"],
        "version": definition["version"],
        "name": re.sub(r"[^A-Za-z0-9]", "", definition["code"].title()) or "Instrument",
        "title": title,
        "status": "active",
        "language": "en",
        "subjectType": ["Patient"],
        "code": codes,
        "extension": [{"url": EXT_DEFINITION,
                       "valueString": json.dumps(extra, ensure_ascii=False, sort_keys=True)}],
        "item": items,
    }
    if title_extra:
        resource["_title"] = title_extra
    if purpose:
        resource["purpose"] = purpose
        if purpose_extra:
            resource["_purpose"] = purpose_extra
    if licence:
        resource["copyright"] = licence
        if licence_extra:
            resource["_copyright"] = licence_extra
    Questionnaire.model_validate(resource)  # what we write is valid R4
    return resource


# -- import ---------------------------------------------------------------------------------


def _path(parts: tuple[Any, ...]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _prune(value: Any, where: str = "") -> Any:
    """Drop the extensions the importer does not read (FHIR lets a reader ignore them);
    refuse modifier extensions, which change the meaning of what they sit on."""
    if isinstance(value, dict):
        if value.get("modifierExtension"):
            urls = ", ".join(str(e.get("url")) for e in value["modifierExtension"]
                             if isinstance(e, dict))
            raise ImportRefused(f"{where or 'the Questionnaire'} has a modifier extension "
                                f"that Careweave does not understand ({urls}), so its "
                                "meaning cannot be known.")
        out = {}
        for key, item in value.items():
            if key == "extension" and isinstance(item, list):
                # a known extension is kept whole (its parts are its own sub-extensions)
                kept = [e for e in item
                        if isinstance(e, dict) and e.get("url") in KNOWN_EXTENSIONS]
                if kept:
                    out[key] = kept
                continue
            pruned = _prune(item, f"{where}.{key}" if where else key)
            if key.startswith("_") and pruned in ({}, None):
                continue  # a primitive's element left with nothing in it
            out[key] = pruned
        return out
    if isinstance(value, list):
        return [_prune(v, f"{where}[{i}]") for i, v in enumerate(value)]
    return value


def parse(raw: bytes, *, name: str = "the file") -> dict[str, Any]:
    """The file's JSON as a valid FHIR R4 Questionnaire (unknown extensions pruned), or
    ImportRefused naming the problem."""
    if len(raw) > MAX_BYTES:
        raise ImportRefused(f"{name} is larger than {MAX_BYTES // (1024 * 1024)} MB.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportRefused(f"{name} is not UTF-8 text (byte {exc.start}).") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportRefused(f"{name} is not valid JSON: {exc.msg} at line {exc.lineno}, "
                            f"column {exc.colno}.") from None
    if not isinstance(data, dict):
        raise ImportRefused(f"{name} is not a FHIR resource (a JSON object).")
    kind = data.get("resourceType")
    if kind != "Questionnaire":
        hint = (" (answers to a questionnaire, not its definition)"
                if kind == "QuestionnaireResponse" else "")
        raise ImportRefused(f"{name} is a {kind or 'resource with no resourceType'}{hint}, "
                            "not a Questionnaire.")
    data = _prune(data)
    try:
        Questionnaire.model_validate(data)
    except ValidationError as exc:
        problems = [f"{_path(tuple(e['loc']))}: {e['msg'].rstrip('.')}" for e in exc.errors()[:3]]
        more = len(exc.errors()) - len(problems)
        raise ImportRefused(
            f"{name} is not a valid FHIR R4 Questionnaire: " + "; ".join(problems)
            + (f" (and {more} more)" if more > 0 else "") + ".") from None
    return data


def _walk(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for item in items or []:
        yield item
        yield from _walk(item.get("item") or [])


def _texts(element: Mapping[str, Any], field: str, base_language: str) -> dict[str, str]:
    """A field's text in the file's language and its translations."""
    out: dict[str, str] = {}
    value = element.get(field)
    if isinstance(value, str) and value.strip():
        out[base_language] = value.strip()
    for ext in (element.get(f"_{field}") or {}).get("extension", []):
        if ext.get("url") != TRANSLATION:
            continue
        parts = {e.get("url"): e for e in ext.get("extension", [])}
        lang = (parts.get("lang") or {}).get("valueCode")
        content = (parts.get("content") or {}).get("valueString")
        if lang and content:
            out[str(lang)[:2]] = content
    return out


def _ordinal(element: Mapping[str, Any]) -> Any:
    for ext in element.get("extension", []) or []:
        if ext.get("url") in (ORDINAL, ITEM_WEIGHT):
            value = ext.get("valueDecimal", ext.get("valueInteger"))
            if isinstance(value, int | float):
                return int(value) if float(value).is_integer() else value
    return None


def _value_sets(resource: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Contained value sets' concepts (with their ordinal values), by '#id' and by url."""
    out: dict[str, list[dict[str, Any]]] = {}
    for contained in resource.get("contained", []) or []:
        if contained.get("resourceType") != "ValueSet":
            continue
        concepts: list[dict[str, Any]] = []
        for include in (contained.get("compose") or {}).get("include", []) or []:
            for concept in include.get("concept", []) or []:
                concepts.append({"system": include.get("system"), "code": concept.get("code"),
                                 "display": concept.get("display"),
                                 "value": _ordinal(concept)})
        if not concepts:
            for concept in (contained.get("expansion") or {}).get("contains", []) or []:
                concepts.append({"system": concept.get("system"), "code": concept.get("code"),
                                 "display": concept.get("display"),
                                 "value": _ordinal(concept)})
        if contained.get("id"):
            out["#" + contained["id"]] = concepts
        if contained.get("url"):
            out[contained["url"]] = concepts
    return out


def _answers(resource: Mapping[str, Any], item: Mapping[str, Any],
             value_sets: Mapping[str, list[dict[str, Any]]], label: str,
             language: str) -> list[dict[str, Any]]:
    options = []
    for option in item.get("answerOption", []) or []:
        coding = option.get("valueCoding") or {}
        value = _ordinal(option)
        if value is None:
            value = _ordinal(coding)
        options.append({"system": coding.get("system"), "code": coding.get("code"),
                        "text": _texts(coding, "display", language), "value": value})
    if options:
        return options
    reference = item.get("answerValueSet")
    if reference:
        if reference not in value_sets:
            raise ImportRefused(
                f"{label}: its answers are in the value set {reference}, which is not in the "
                "file, so their values are unknown. Include the answer options (with their "
                "ordinalValue) or the value set as a contained resource.")
        return [{"system": c["system"], "code": c["code"],
                 "text": {language: c["display"]} if c.get("display") else {},
                 "value": c["value"]} for c in value_sets[reference]]
    raise ImportRefused(f"{label} has no answer options.")


def _label(item: Mapping[str, Any]) -> str:
    text = str(item.get("text") or "").strip()
    short = (text[:60] + "…") if len(text) > 60 else text
    return f"item {item.get('linkId')!r}" + (f" ({short})" if short else "")


def _known_instrument(resource: Mapping[str, Any]) -> dict[str, Any] | None:
    """The shipped definition this foreign Questionnaire is an edition of, if any."""
    codes = {c.get("code") for c in resource.get("code", []) or [] if c.get("system") == LOINC}
    codes |= {i.get("value") for i in resource.get("identifier", []) or []
              if i.get("system") == LOINC}
    words = " ".join(str(resource.get(k) or "") for k in ("url", "name", "title")).lower()
    words_compact = re.sub(r"[^a-z0-9]", "", words)
    for definition in definitions.SHIPPED:
        if definition.get("loinc") and definition["loinc"] in codes:
            return definition
    names = {"phq9": ("phq9", "patienthealthquestionnaire9"),
             "gad7": ("gad7", "generalizedanxietydisorder7", "generalisedanxietydisorder7")}
    for code, needles in names.items():
        if any(n in words_compact for n in needles):
            return definitions.shipped(code)
    return None


def _from_careweave(resource: Mapping[str, Any], name: str) -> dict[str, Any]:
    raw = next(e["valueString"] for e in resource.get("extension", [])
               if e.get("url") == EXT_DEFINITION)
    try:
        extra = json.loads(raw)
    except json.JSONDecodeError:
        raise ImportRefused(f"{name}: the Careweave definition extension is not valid "
                            "JSON.") from None
    if not isinstance(extra, dict) or not extra.get("code"):
        raise ImportRefused(f"{name}: the Careweave definition extension has no instrument "
                            "code.")
    language = str(resource.get("language") or "en")[:2]
    definition: dict[str, Any] = {
        "code": extra["code"], "version": resource.get("version") or "",
        "title": _texts(resource, "title", language),
        "purpose": _texts(resource, "purpose", language),
        "licence": _texts(resource, "copyright", language),
    }
    loinc = [c.get("code") for c in resource.get("code", []) or [] if c.get("system") == LOINC]
    if loinc:
        definition["loinc"] = loinc[0]
    for key in ("name", "intro", "audience", "repeat_days", "pages", "scoring", "flags",
                "languages", "imported_from"):
        if key in extra:
            definition[key] = extra[key]
    items = []
    for item in _walk(resource.get("item") or []):
        if item.get("type") in ("group", "display"):
            continue
        out: dict[str, Any] = {"code": item["linkId"], "text": _texts(item, "text", language)}
        item_loinc = [c.get("code") for c in item.get("code", []) or []
                      if c.get("system") == LOINC]
        if item_loinc:
            out["loinc"] = item_loinc[0]
        if item.get("required"):
            out["required"] = True
        if item.get("type") == "text" or item.get("type") == "string":
            out["type"] = scoring.TEXT
            if item.get("maxLength"):
                out["max_length"] = int(item["maxLength"])
        else:
            if item.get("repeats"):
                out["type"] = scoring.MULTI
            options = []
            for option in _answers(resource, item, {}, _label(item), language):
                entry: dict[str, Any] = {"code": option["code"], "text": option["text"]}
                if option["system"] not in (None, CW_OPTIONS, LOINC):
                    entry["system"] = option["system"]
                if option["value"] is not None:
                    entry["value"] = option["value"]
                options.append(entry)
            out["options"] = options
        items.append(out)
    definition["items"] = items
    return definition


def _from_foreign(resource: Mapping[str, Any], known: Mapping[str, Any], name: str,
                  file_hash: str) -> dict[str, Any]:
    language = str(resource.get("language") or "en")[:2]
    value_sets = _value_sets(resource)
    choices = [i for i in _walk(resource.get("item") or []) if i.get("type") == "choice"]
    scored = [i for i in known["items"] if i["code"] in known["scoring"].get("items", [])]
    by_loinc: dict[str, dict[str, Any]] = {}
    for item in choices:
        for coding in item.get("code", []) or []:
            if coding.get("system") == LOINC and coding.get("code"):
                by_loinc[coding["code"]] = item
    title = definitions.text_in(known["name"], "en")
    mapped: dict[str, dict[str, Any]] = {}
    if by_loinc:
        for position, canonical in enumerate(scored, start=1):
            found = by_loinc.get(canonical.get("loinc", ""))
            if found is None:
                raise ImportRefused(
                    f"{name}: {title} item {position} (LOINC {canonical.get('loinc')}, "
                    f"{definitions.text_in(canonical['text'], 'en')!r}) is missing.")
            mapped[canonical["code"]] = found
        extra = [i for i in known["items"] if i["code"] not in mapped and i.get("loinc")
                 and i["loinc"] in by_loinc]
        for canonical in extra:
            mapped[canonical["code"]] = by_loinc[canonical["loinc"]]
    else:
        # No codes: the scored items are the first choice items, in order.
        if len(choices) < len(scored):
            raise ImportRefused(
                f"{name}: {title} has {len(scored)} scored items, but the file has only "
                f"{len(choices)} choice items (and no LOINC codes to match them by).")
        for canonical, item in zip(scored, choices, strict=False):
            mapped[canonical["code"]] = item
    new = copy.deepcopy(dict(known))
    new_items = []
    for canonical in new["items"]:
        found_item = mapped.get(canonical["code"])
        if found_item is None:
            continue  # not in the file (an optional item such as PHQ-9's difficulty)
        item = found_item
        label = _label(item)
        file_options = _answers(resource, item, value_sets, label, language)
        canonical_options = scoring.options_of(known, canonical)
        options = []
        if canonical["code"] in known["scoring"].get("items", []):
            by_value = {o.get("value"): o for o in file_options}
            for option in canonical_options:
                match = by_value.get(option["value"])
                if match is None:
                    values = sorted(str(o.get("value")) for o in file_options)
                    raise ImportRefused(
                        f"{name}: {label}: no answer has the value {option['value']} "
                        f"({definitions.text_in(option['text'], 'en')!r}); the file's answers "
                        f"have the values {', '.join(values) or 'none'}. Answers are matched "
                        "by their ordinalValue.")
                options.append({"code": match["code"] or option["code"],
                                **({"system": match["system"]} if match.get("system")
                                   not in (None, LOINC) else {}),
                                "value": option["value"],
                                "text": {**option["text"], **match["text"]}})
            if len(file_options) != len(canonical_options):
                raise ImportRefused(
                    f"{name}: {label} has {len(file_options)} answers where {title} has "
                    f"{len(canonical_options)}.")
        else:
            by_code = {o["code"]: o for o in canonical_options}
            for position, match in enumerate(file_options):
                base = by_code.get(match["code"]) or (canonical_options[position]
                                                      if position < len(canonical_options)
                                                      else {"text": {}})
                options.append({"code": match["code"], "text": {**base["text"],
                                                                 **match["text"]}})
        text = {**canonical["text"], **_texts(item, "text", language)}
        entry = {k: v for k, v in canonical.items() if k not in ("option_set", "options",
                                                                  "text")}
        entry.update({"text": text, "options": options})
        new_items.append(entry)
    new["items"] = new_items
    new.pop("option_sets", None)
    present = {i["code"] for i in new_items}
    new["pages"] = [[c for c in page if c in present] for page in known.get("pages", [])]
    new["pages"] = [p for p in new["pages"] if p]
    version = str(resource.get("version") or "").strip() or "imported"
    new["version"] = f"{version}+{file_hash[:8]}"[:40]
    new["imported_from"] = {"file": name[:200], "url": resource.get("url") or "",
                            "version": resource.get("version") or "",
                            "publisher": resource.get("publisher") or "",
                            "copyright": str(resource.get("copyright") or "")[:2000]}
    return new


def definition_from_questionnaire(raw: bytes, *, name: str = "the file") -> dict[str, Any]:
    """A definition from a FHIR R4 Questionnaire file (bytes), ready to store, or
    ImportRefused with a message naming the problem."""
    resource = parse(raw, name=name)
    ours = any(e.get("url") == EXT_DEFINITION for e in resource.get("extension", []) or [])
    if ours:
        definition = _from_careweave(resource, name)
    else:
        known = _known_instrument(resource)
        if known is None:
            raise ImportRefused(
                f"{name} is not an instrument Careweave can score: it has no Careweave "
                "definition extension, and neither its LOINC code nor its title is one of "
                + ", ".join(definitions.text_in(d["name"], "en") for d in definitions.SHIPPED
                            if d.get("loinc")) + ".")
        definition = _from_foreign(resource, known, name, hashlib.sha256(raw).hexdigest())
    problems = scoring.definition_problems(definition)
    if problems:
        raise ImportRefused(f"{name}: " + "; ".join(problems) + ".")
    return definition
