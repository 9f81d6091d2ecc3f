"""The committed sample paper and its expected questions agree with each other and with the generator."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ocr_assets.sample_paper import POINTS_PER_BLANK, FontNotFoundError, find_cjk_font, render_sample_paper

REPO = Path(__file__).resolve().parents[1]
SAMPLE_PDF = REPO / "samples" / "sample_paper.pdf"
EXPECTED_JSON = REPO / "tests" / "fixtures" / "sample_paper.expected.json"
QUESTION_TYPES = {"single_choice", "multiple_choice", "fill_blank", "free_response", "unknown"}


@pytest.fixture(scope="module")
def expected() -> dict:
    return json.loads(EXPECTED_JSON.read_text(encoding="utf-8"))


def _inside(box: list[int], width: int, height: int) -> bool:
    x0, y0, x1, y1 = box
    return 0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height


def test_expected_json_is_consistent(expected: dict) -> None:
    questions = expected["questions"]
    assert expected["paper"] == "sample_paper"
    assert [q["number"] for q in questions] == [str(n) for n in range(1, len(questions) + 1)]
    sizes = {page["page"]: (page["width"], page["height"]) for page in expected["pages"]}
    for question in questions:
        number = question["number"]
        assert question["type"] in QUESTION_TYPES, number
        assert question["stem"], number
        assert question["spans"], f"question {number} has no span"
        pages = [span["page"] for span in question["spans"]]
        assert pages == sorted(set(pages)), f"question {number}: one span per page, in page order"
        for region in question["spans"] + question["figures"]:
            assert _inside(region["bbox"], *sizes[region["page"]]), f"question {number}: {region}"
        if question["type"] == "fill_blank":  # 每空 N 分: N for each of its blanks
            assert question["score"] == POINTS_PER_BLANK * question["stem"].count("______"), number
        if question["type"] == "single_choice":
            assert [option["label"] for option in question["options"]] == ["A", "B", "C", "D"], number
    # The layout features the paper exists to exercise.
    assert any(len(q["spans"]) == 2 for q in questions), "a question should cross the page break"
    assert any(q["figures"] for q in questions), "a question should have a figure"
    assert all(q["sub_questions"] for q in questions if q["type"] == "free_response")


def test_regenerating_gives_the_committed_expected_json(tmp_path: Path, expected: dict) -> None:
    try:
        font = find_cjk_font()
    except FontNotFoundError as error:
        pytest.skip(f"cannot render the sample paper here: {error}")
    if font.name != expected["font"]:
        pytest.skip(f"the committed layout was drawn with {expected['font']}, this machine has {font.name}")
    pdf_path, json_path = render_sample_paper(tmp_path, dpi=expected["dpi"])
    assert pdf_path.is_file()
    assert json.loads(json_path.read_text(encoding="utf-8")) == expected


def test_committed_pdf_has_two_a4_pages(expected: dict) -> None:
    pdfium = pytest.importorskip("pypdfium2")
    document = pdfium.PdfDocument(str(SAMPLE_PDF))
    try:
        assert len(document) == 2
        scale = expected["dpi"] / 72
        for page_index, page in enumerate(expected["pages"]):
            width, height = document[page_index].get_size()
            # Rendered at the expected dpi, the page has the pixel size the bboxes refer to.
            assert (round(width * scale), round(height * scale)) == (page["width"], page["height"])
    finally:
        document.close()


# ---- the committed paper through the real engine: every blank and every stated score survives ------------

BLANK = "______"


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> dict:
    from ocr_assets.frames import read_manifest
    from ocr_assets.pipeline import extract_paper
    from resources.hardware import derive_params, detect_hardware
    from resources.ocr_engine import EngineSpec, get_worker

    work = tmp_path_factory.mktemp("sample")
    params = derive_params(detect_hardware(), env={})
    doc, _, _ = extract_paper(SAMPLE_PDF, "sample_paper", get_worker(EngineSpec()), params, work / "work", 200)
    return {"doc": doc, "frames": read_manifest(work / "work" / "frames"), "dir": work}


def test_the_sample_paper_keeps_every_blank_and_every_stated_score(extracted: dict, expected: dict) -> None:
    found = {q["number"]: q for q in extracted["doc"]["questions"]}
    for want in expected["questions"]:
        got = found[want["number"]]
        assert got["stem"].count(BLANK) == want["stem"].count(BLANK), (want["number"], got["stem"])
        assert (got["type"], got["score"]) == (want["type"], want["score"]), want["number"]


def test_the_blanks_reach_the_database_and_the_review_page(extracted: dict) -> None:
    from ocr_assets.review import render_review
    from resources.storage import load_paper, make_engine, replace_paper

    doc, out = extracted["doc"], extracted["dir"]
    blanks = sum(q["stem"].count(BLANK) for q in doc["questions"])
    assert blanks == 6
    engine = make_engine(f"sqlite:///{out / 'questions.sqlite'}")
    replace_paper(engine, {"key": "sample_paper", "name": "sample_paper.pdf", "source_path": str(SAMPLE_PDF),
                           "engine": doc["engine"]}, doc["pages"], doc["questions"])
    stored = load_paper(engine, "sample_paper")
    assert sum(q["stem"].count(BLANK) for q in stored["questions"]) == blanks
    html_path, md_path = render_review(doc, extracted["frames"], out / "review")
    assert html_path.read_text(encoding="utf-8").count(BLANK) >= blanks
    # Markdown would read "______" as a rule or as emphasis; escaped, every blank shows as printed
    markdown_it = pytest.importorskip("markdown_it")
    rendered = markdown_it.MarkdownIt("commonmark").render(md_path.read_text(encoding="utf-8"))
    assert rendered.count(BLANK) == blanks
