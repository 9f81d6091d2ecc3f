"""Checks of a stored paper: the rules on generated documents, then the Dagster checks on a real run."""

import random
import shutil

import dagster as dg
import pytest
import sqlalchemy as sa

from ocr_assets.assets import decoded_frames, exam_questions, ocr_structure, pages
from ocr_assets.partitions import papers_partitions
from ocr_assets.checks import (
    CHECK_NAMES,
    answers_matched,
    check_paper,
    exam_questions_checks,
    numbers_continuous,
    option_labels_consecutive,
    pages_accounted_for,
    spans_text,
    stems_present,
)
from resources.storage import make_engine
from tests.conftest import REPO
from tests.test_materialize import resources_for

SECTION_NAMES = ["一、选择题", "二、填空题", "三、解答题", "四、实验题", "五、计算题"]


def generated_paper(seed: int, restart_numbering: bool = False, answers: bool = False) -> dict:
    """A clean contract document: 1–5 sections of 1–12 questions, choice sections with 3–6 options."""
    rng = random.Random(seed)
    questions, number = [], 0
    for section in SECTION_NAMES[: rng.randint(1, 5)]:
        if restart_numbering:
            number = 0
        choice = rng.random() < 0.5
        labels = "ABCDEF"[: rng.randint(3, 6)]
        for _ in range(rng.randint(1, 12)):
            number += 1
            questions.append({
                "number": str(number), "section": section, "type": "single_choice" if choice else "free_response",
                "score": 2.0, "stem": f"第{number}题的题干", "passage": None,
                "options": [{"label": label, "text": f"选项{label}"} for label in labels] if choice else [],
                "sub_questions": [], "spans": [{"page": 1, "bbox": [0, 0, 10, 10]}], "figures": [],
                "answer": (labels[number % len(labels)] if choice else "略") if answers else None,
                "analysis": None,
            })
    page_count = rng.randint(1, 8)
    pages_ = [{"index": i, "source": f"p{i}.png", "width": 1241, "height": 1754, "dpi": None, "status": "ok",
               "error": None} for i in range(1, page_count + 1)]
    return {"paper": f"generated-{seed}", "engine": "rapidocr", "pages": pages_, "questions": questions}


SEEDS = range(40)


@pytest.mark.parametrize("seed", SEEDS)
def test_clean_papers_pass_every_check(seed):
    doc = generated_paper(seed, restart_numbering=seed % 3 == 0, answers=seed % 2 == 0)
    findings = check_paper(doc, expected_pages=len(doc["pages"]))
    assert [f.check for f in findings] == CHECK_NAMES
    assert [(f.check, f.passed) for f in findings] == [(name, True) for name in CHECK_NAMES], findings


@pytest.mark.parametrize("seed", SEEDS)
def test_lost_questions_are_named(seed):
    rng = random.Random(seed)
    restart = seed % 3 == 0
    doc = generated_paper(seed, restart_numbering=restart)
    qs = doc["questions"]
    # A lost question is seen when a later number skips it: with numbering that runs on through the paper, any
    # but the last; where each section counts from 1, one inside its section (a section's last, or a whole
    # section, can go unseen)
    seen_if_lost = [i for i in range(len(qs) - 1)
                    if not restart or (0 < i and qs[i - 1]["section"] == qs[i]["section"] == qs[i + 1]["section"])]
    if not seen_if_lost:
        pytest.skip("no question whose loss a later number would show in this layout")
    lost_positions = sorted(rng.sample(seen_if_lost, k=rng.randint(1, min(3, len(seen_if_lost)))))
    lost = [(doc["questions"][i]["section"], int(doc["questions"][i]["number"])) for i in lost_positions]
    for i in reversed(lost_positions):
        del doc["questions"][i]
    finding = numbers_continuous(doc)
    assert not finding.passed and finding.severity == "WARN"
    named = sorted(n for numbers in finding.metadata["missing"].values() for n in numbers)
    survivors = {(q["section"], int(q["number"])) for q in doc["questions"]}
    assert named == sorted(n for s, n in lost), (lost, finding.description)
    assert survivors.isdisjoint(lost)
    for _, number in lost:
        assert str(number) in finding.description


def test_gap_wording_says_where():
    doc = generated_paper(1)
    doc["questions"] = [
        {"number": str(n), "section": s, "stem": "x", "options": []}
        for n, s in [(1, "一、选择题"), (2, "一、选择题"), (4, "一、选择题"), (7, "二、填空题"), (8, "二、填空题"), (8, "二、填空题")]
    ]
    finding = numbers_continuous(doc)
    assert finding.description == ("missing 3 in 一、选择题; missing 5–6 before 二、填空题; "
                                   "repeated or out of order 8 in 二、填空题")
    doc["questions"].append({"number": "十", "section": "二、填空题", "stem": "x"})
    assert "not a number: '十'" in numbers_continuous(doc).description


def test_sections_counting_again_from_one():
    doc = generated_paper(1)
    doc["questions"] = [
        {"number": str(n), "section": s, "stem": "x"}
        for n, s in [(1, "Part I"), (2, "Part I"), (3, "Part I"), (1, "Part II"), (2, "Part II"), (3, "Part III")]
    ]
    finding = numbers_continuous(doc)
    assert finding.passed  # Part III carries on from Part II
    del doc["questions"][3]  # Part II lost its 1
    assert numbers_continuous(doc).description == "missing 1 before Part II"


@pytest.mark.parametrize("seed", SEEDS)
def test_empty_stems_are_errors(seed):
    rng = random.Random(seed)
    doc = generated_paper(seed)
    emptied = sorted(rng.sample(range(len(doc["questions"])), k=min(2, len(doc["questions"]))))
    for i in emptied:
        doc["questions"][i]["stem"] = rng.choice(["", "  ", "\n"])
    finding = stems_present(doc)
    assert (finding.passed, finding.severity) == (False, "ERROR")
    assert finding.metadata["empty"] == [doc["questions"][i]["number"] for i in emptied]


def test_a_question_with_content_elsewhere_is_not_empty():
    base = {"number": "1", "section": "s", "stem": "", "options": [], "sub_questions": [], "figures": [], "passage": None}
    cloze = {**base, "passage": "Once upon a time …", "options": [{"label": "A", "text": "went"}]}
    parts = {**base, "sub_questions": [{"number": "(1)", "text": "计算 1+1"}]}
    pictured = {**base, "figures": [{"page": 1, "bbox": [0, 0, 1, 1], "image": None}]}
    options_only = {**base, "options": [{"label": "A", "text": "1"}, {"label": "B", "text": "2"}]}
    doc = {"pages": [], "questions": [cloze, parts, pictured, options_only]}
    assert stems_present(doc).metadata["empty"] == ["1"]  # only the choice question that lost its stem
    assert stems_present({"pages": [], "questions": [cloze, parts, pictured]}).passed


@pytest.mark.parametrize("seed", SEEDS)
def test_option_gaps_are_named(seed):
    rng = random.Random(seed)
    doc = generated_paper(seed)
    choice = [q for q in doc["questions"] if q["options"]]
    if not choice:  # a layout without a choice section: make its first question one
        doc["questions"][0]["options"] = [{"label": label, "text": f"选项{label}"} for label in "ABCD"]
        choice = doc["questions"][:1]
    q = rng.choice(choice)
    del q["options"][rng.randrange(len(q["options"]) - 1)]  # not the last: that gap cannot be seen
    finding = option_labels_consecutive(doc)
    assert (finding.passed, finding.severity) == (False, "WARN")
    assert list(finding.metadata["broken"]) == [q["number"]]
    assert f"question {q['number']}: " + ", ".join(o["label"] for o in q["options"]) == finding.description


def test_option_labels_are_read_as_printed():
    doc = {"pages": [], "questions": [
        {"number": "1", "options": [{"label": l, "text": "x"} for l in ["Ａ", "B.", "（C）", "d"]]},
        {"number": "2", "options": [{"label": l, "text": "x"} for l in ["A", "B", "B", "C"]]},
        {"number": "3", "options": [{"label": l, "text": "x"} for l in ["B", "C"]]},
    ]}
    assert option_labels_consecutive(doc).metadata["broken"] == {"2": "A, B, B, C", "3": "B, C"}


@pytest.mark.parametrize("seed", SEEDS)
def test_unmatched_answers_are_named_where_a_key_exists(seed):
    rng = random.Random(seed)
    doc = generated_paper(seed)
    assert answers_matched(doc).passed and answers_matched(doc).description == "the paper prints no answers"
    doc = generated_paper(seed, answers=True)
    unmatched = sorted(rng.sample(range(len(doc["questions"])), k=len(doc["questions"]) // 3))
    for i in unmatched:
        doc["questions"][i]["answer"] = rng.choice([None, "", " "])
    finding = answers_matched(doc)
    assert finding.passed == (not unmatched) and finding.severity == "WARN"
    assert finding.metadata["unmatched"] == [doc["questions"][i]["number"] for i in unmatched]


@pytest.mark.parametrize("seed", SEEDS)
def test_pages_lost_or_failed_without_reason_are_errors(seed):
    rng = random.Random(seed)
    doc = generated_paper(seed)
    n = len(doc["pages"])
    assert pages_accounted_for(doc, expected_pages=n).passed
    failed = rng.randrange(n)
    doc["pages"][failed].update(status="failed", error="cannot decode page: truncated JPEG")
    finding = pages_accounted_for(doc, expected_pages=n)
    assert finding.passed and "truncated JPEG" in finding.description  # failed, but it says why
    doc["pages"][failed]["error"] = None
    finding = pages_accounted_for(doc, expected_pages=n + 2)  # two pages never stored
    assert (finding.passed, finding.severity) == (False, "ERROR")
    assert finding.metadata["lost"] == [n + 1, n + 2]
    assert finding.metadata["failed_without_reason"] == [failed + 1]


def test_spans_text():
    assert spans_text([9, 3, 4, 5, 11, 12]) == "3–5, 9, 11–12"
    assert spans_text([]) == ""


CHECKED = [pages, decoded_frames, ocr_structure, exam_questions, exam_questions_checks]


def check_results(result) -> dict:
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


def test_checks_run_with_the_paper_and_see_a_damaged_database(tmp_path):
    """The sample paper, real engine: the checks run in the same run, per partition, and all pass; then the
    stored rows are damaged and the checks, run again alone, say what is wrong and how badly."""
    resources = resources_for(tmp_path)
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("papers", ["sample_paper"])
        result = dg.materialize(CHECKED, partition_key="sample_paper", instance=instance, resources=resources)
        assert result.success
        checks = check_results(result)
        assert sorted(checks) == sorted(CHECK_NAMES)
        for name, evaluation in checks.items():
            assert (evaluation.passed, evaluation.asset_key) == (True, dg.AssetKey("exam_questions")), (
                name, evaluation.description)
        assert checks["answers_matched"].description == "sample_paper: the paper prints no answers"
        assert checks["pages_accounted_for"].description == "sample_paper: 2 pages: 2 read, 0 failed"
        assert {e.metadata["paper"].value for e in checks.values()} == {"sample_paper"}
        assert_the_ui_shows_the_checks(instance, tmp_path)

        # a second paper's pages: the checks of one paper must read that paper's page count, not every paper's
        shutil.copy(tmp_path / "drop" / "sample_paper.pdf", tmp_path / "drop" / "second_paper.pdf")
        instance.add_dynamic_partitions("papers", ["second_paper"])
        assert dg.materialize([pages], partition_key="second_paper", instance=instance, resources=resources).success

        engine = make_engine(resources["store"].url())
        with engine.begin() as conn:  # lose question 5 and page 2; blank question 3's stem
            conn.execute(sa.text("DELETE FROM questions WHERE number = '5'"))
            conn.execute(sa.text("UPDATE questions SET stem = '' WHERE number = '3'"))
            conn.execute(sa.text("DELETE FROM pages WHERE \"index\" = 2"))
        engine.dispose()
        checks_only = dg.define_asset_job("checks_only", selection=dg.AssetSelection.checks(exam_questions_checks),
                                          partitions_def=papers_partitions)
        rerun = dg.Definitions(assets=CHECKED[:-1], asset_checks=[exam_questions_checks], jobs=[checks_only],
                               resources=resources).resolve_job_def("checks_only").execute_in_process(
            instance=instance, tags={"dagster/partition": "sample_paper"})  # partition_key= wants an asset (1.13)
        checks = check_results(rerun)
        assert {e.metadata["paper"].value for e in checks.values()} == {"sample_paper"}
        assert not rerun.get_asset_materialization_events()  # the checks alone, no OCR
    assert (checks["pages_accounted_for"].passed, checks["pages_accounted_for"].severity) == (False, dg.AssetCheckSeverity.ERROR)
    assert checks["pages_accounted_for"].description == "sample_paper: page 2 not in the stored result"
    assert (checks["stems_present"].passed, checks["stems_present"].severity) == (False, dg.AssetCheckSeverity.ERROR)
    assert checks["stems_present"].description == "sample_paper: question 3 stored with an empty stem"
    assert (checks["numbers_continuous"].passed, checks["numbers_continuous"].severity) == (False, dg.AssetCheckSeverity.WARN)
    assert checks["numbers_continuous"].description == "sample_paper: missing 5 in 一、选择题"
    assert checks["option_labels_consecutive"].passed and checks["answers_matched"].passed


UI_CHECKS_QUERY = """{ assetNodes(assetKeys: [{path: ["exam_questions"]}]) {
  assetChecksOrError { __typename ... on AssetChecks { checks { name jobNames
    partitionStatuses { __typename }
    executionForLatestMaterialization { status evaluation { severity description } } } } } } }"""


def assert_the_ui_shows_the_checks(instance, tmp_path):
    """What the UI's Checks tab asks the webserver (the fields of its AssetCheckLiveFragment), answered
    without an error by a code server on the project's definitions."""
    from dagster_graphql.test.utils import define_out_of_process_context, execute_dagster_graphql

    location = tmp_path / "location.py"
    location.write_text(f"import sys\nsys.path.insert(0, {str(REPO)!r})\nfrom ocr_assets.definitions import defs\n")
    with define_out_of_process_context(str(location), "defs", instance) as context:
        answer = execute_dagster_graphql(context, UI_CHECKS_QUERY)
    assert not answer.errors, answer.errors
    (node,) = answer.data["assetNodes"]
    shown = {c["name"]: c for c in node["assetChecksOrError"]["checks"]}
    assert sorted(shown) == sorted(CHECK_NAMES)
    for name, check in shown.items():
        assert "process_paper" in check["jobNames"], name
        assert check["executionForLatestMaterialization"]["status"] == "SUCCEEDED", name
    assert shown["stems_present"]["executionForLatestMaterialization"]["evaluation"] == {
        "severity": "ERROR", "description": "sample_paper: all 12 questions have a stem"}


def test_process_paper_job_runs_the_checks():
    from ocr_assets.definitions import defs

    job = defs.resolve_job_def("process_paper")
    assert "exam_questions_checks" in [node.name for node in job.graph.nodes]
    checked = {key.name for key in defs.resolve_asset_graph().asset_check_keys if key.asset_key.path == ["exam_questions"]}
    assert checked == set(CHECK_NAMES)
