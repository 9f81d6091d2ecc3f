"""The committed sample paper and its expected questions agree with each other and with the generator."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ocr_assets.sample_paper import FontNotFoundError, find_cjk_font, render_sample_paper

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
