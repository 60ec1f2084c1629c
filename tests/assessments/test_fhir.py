"""Instruments to and from FHIR R4 Questionnaire JSON: the shared PHQ-9 and GAD-7 files (the
defective ones refused with a message naming the problem), our own export read back
exactly, and the command line."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from careweave.assessments import definitions, fhir, scoring
from careweave.assessments.models import Instrument, InstrumentVersion

pytestmark = pytest.mark.django_db

GOOD = [
    ("phq9/Questionnaire-PHQ-9.loinc-44249-1.lhc-forms.json", "phq9"),  # by LOINC codes
    ("phq9/Questionnaire-PHQ-9.stanford-researchkitonfhir.json", "phq9"),  # by order
    ("gad7/Questionnaire-GAD-7.stanford-researchkitonfhir.json", "gad7"),  # no codes at all
]
DEFECTIVE = [
    # HL7's core example has no item 9 and keeps its answers in an external value set
    ("phq9/Questionnaire-PHQ-9.hl7-r4-core-example.json", "item 9 (LOINC 44260-8"),
    # the Argonaut-style file's narrative has no div: not valid R4
    ("phq9/Questionnaire-PHQ-9.argonaut-ish.lhc-forms.json", "text.div"),
    # answers, not a questionnaire (and orphans: no subject)
    ("phq9/QuestionnaireResponse-PHQ9_response_rkof.json", "is a QuestionnaireResponse"),
    ("phq9/QuestionnaireResponse-PHQ9_response_spezi.json", "is a QuestionnaireResponse"),
]


def expand(definition: dict) -> dict:
    out = json.loads(json.dumps(definition))
    for item in out["items"]:
        if item.get("type", "choice") != "text":
            item["options"] = scoring.options_of(definition, item)
            item.pop("option_set", None)
    out.pop("option_sets", None)
    return out


@pytest.mark.parametrize("path,code", GOOD)
def test_the_good_shared_files_import_and_score_by_code_or_ordinal(shared_data: Path, path: str,
                                                                   code: str) -> None:
    raw = (shared_data / "instruments" / path).read_bytes()
    definition = fhir.definition_from_questionnaire(raw, name=Path(path).name)
    shipped = definitions.shipped(code)
    assert definition["code"] == code
    assert definition["scoring"] == shipped["scoring"]
    assert definition["imported_from"]["file"] == Path(path).name
    # every scored item mapped, with its options' values 0-3 in order
    for item_code in shipped["scoring"]["items"]:
        item = scoring.item_map(definition)[item_code]
        assert [o["value"] for o in item["options"]] == [0, 1, 2, 3]
        assert item["text"]["sv"]  # the Swedish wording comes with the mapping
    # answers in the file's own codes score as the shipped instrument scores them
    file_answers = {c: scoring.item_map(definition)[c]["options"][2]["code"]
                    for c in shipped["scoring"]["items"]}
    result = scoring.score(definition, file_answers)
    assert result.total == 2 * len(shipped["scoring"]["items"])
    assert scoring.definition_problems(definition) == []


def test_the_stanford_phq9_is_mapped_by_order_and_keeps_its_answer_codes(shared_data: Path
                                                                         ) -> None:
    raw = (shared_data / "instruments/phq9/Questionnaire-PHQ-9.stanford-researchkitonfhir.json"
           ).read_bytes()
    definition = fhir.definition_from_questionnaire(raw, name="stanford.json")
    q9 = scoring.item_map(definition)["q9"]
    assert q9["text"]["en"].startswith("Thoughts that you would be better off dead")
    assert [o["code"] for o in q9["options"]][:2] == ["Not-at-all", "Several-days"]
    assert definition["version"].startswith("3.0.0+")
    assert definition["flags"] == definitions.PHQ9["flags"]


@pytest.mark.parametrize("path,problem", DEFECTIVE)
def test_the_defective_shared_files_are_refused_naming_the_problem(shared_data: Path, path: str,
                                                                   problem: str) -> None:
    raw = (shared_data / "instruments" / path).read_bytes()
    with pytest.raises(fhir.ImportRefused) as refused:
        fhir.definition_from_questionnaire(raw, name=Path(path).name)
    assert problem in str(refused.value)
    assert Path(path).name in str(refused.value)


@pytest.mark.parametrize("definition", definitions.SHIPPED,
                         ids=[d["code"] for d in definitions.SHIPPED])
def test_our_export_is_valid_r4_and_reads_back_exactly(definition: dict) -> None:
    from fhir.resources.R4B.questionnaire import Questionnaire

    resource = fhir.questionnaire_from_definition(definition)
    Questionnaire.model_validate(resource)
    assert resource["copyright"] == definition["licence"]["en"]
    back = fhir.definition_from_questionnaire(json.dumps(resource).encode())
    assert expand(back) == expand(definition)


BAD_FILES = [
    ("not JSON", b"{nope", "is not valid JSON"),
    ("not UTF-8", b"\xff\xfe{}", "is not UTF-8"),
    ("a list", b"[]", "is not a FHIR resource"),
    ("a Patient", b'{"resourceType": "Patient"}', "is a Patient, not a Questionnaire"),
    ("no status", b'{"resourceType": "Questionnaire"}', "status"),
    ("unknown instrument", json.dumps({"resourceType": "Questionnaire", "status": "active",
                                       "title": "Mood diary", "item": []}).encode(),
     "is not an instrument Careweave can score"),
    ("a modifier extension", json.dumps({
        "resourceType": "Questionnaire", "status": "active",
        "modifierExtension": [{"url": "http://example.org/x", "valueBoolean": True}]}).encode(),
     "modifier extension"),
]


@pytest.mark.parametrize("what,raw,problem", BAD_FILES, ids=[c[0] for c in BAD_FILES])
def test_bad_files_are_refused(what: str, raw: bytes, problem: str) -> None:
    with pytest.raises(fhir.ImportRefused, match=problem):
        fhir.definition_from_questionnaire(raw, name="x.json")


def test_an_answer_value_the_score_needs_is_refused() -> None:
    resource = fhir.questionnaire_from_definition(definitions.GAD7)
    del resource["extension"]  # a foreign GAD-7: mapped by order and ordinal values
    for option in resource["item"][0]["answerOption"]:
        option["extension"][0]["valueDecimal"] += 10
    with pytest.raises(fhir.ImportRefused, match="no answer has the value 0"):
        fhir.definition_from_questionnaire(json.dumps(resource).encode(), name="g.json")


# -- the command line -------------------------------------------------------------------------


def test_cli_imports_a_shared_file_once_and_exports_it(shared_data: Path, tmp_path: Path) -> None:
    path = shared_data / "instruments/gad7/Questionnaire-GAD-7.stanford-researchkitonfhir.json"
    out = StringIO()
    call_command("instruments", "import", str(path), stdout=out)
    assert "gad7 imported+" in out.getvalue() and "not current" in out.getvalue()
    again = StringIO()
    call_command("instruments", "import", str(path), stdout=again)
    assert "already imported, unchanged" in again.getvalue()
    version = InstrumentVersion.objects.get(instrument__code="gad7",
                                            version__startswith="imported+")
    assert Instrument.objects.get(code="gad7").current.version == "1.0.0"
    target = tmp_path / "gad7.json"
    call_command("instruments", "export", "gad7", "--version", version.version, "--output",
                 str(target), stdout=StringIO())
    exported = json.loads(target.read_text(encoding="utf-8"))
    assert exported["resourceType"] == "Questionnaire"
    assert exported["version"] == version.version
    call_command("instruments", "import", str(target), "--make-current", stdout=StringIO())
    assert Instrument.objects.get(code="gad7").current_id == version.pk


@pytest.mark.parametrize("path", [d[0] for d in DEFECTIVE])
def test_cli_refuses_a_defective_file_with_one_line(shared_data: Path, path: str) -> None:
    before = InstrumentVersion.objects.count()
    with pytest.raises(CommandError) as refused:
        call_command("instruments", "import", str(shared_data / "instruments" / path),
                     stdout=StringIO())
    assert "\n" not in str(refused.value)
    assert InstrumentVersion.objects.count() == before


def test_cli_exit_status_is_1_with_a_message(tmp_path: Path) -> None:
    import subprocess
    import sys

    bad = tmp_path / "bad.json"
    bad.write_text('{"resourceType": "QuestionnaireResponse", "status": "completed"}')
    done = subprocess.run([sys.executable, "-m", "careweave.cli", "instruments", "import",
                           str(bad)], capture_output=True, text=True, timeout=120,
                          env={**__import__("os").environ, "CAREWEAVE_TEST": "1"})
    assert done.returncode == 1
    assert "is a QuestionnaireResponse" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_different_definition_under_an_existing_version_is_refused() -> None:
    changed = json.loads(json.dumps(definitions.PHQ9))
    changed["scoring"]["bands"][0]["label"]["en"] = "Nothing much"
    raw = json.dumps(fhir.questionnaire_from_definition(changed)).encode()
    from careweave.assessments.services import instrument_import

    with pytest.raises(fhir.ImportRefused, match="already stored with a different definition"):
        instrument_import(actor=None, raw=raw, name="phq9.json")
