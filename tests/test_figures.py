import cv2
import numpy as np

from ocr_assets.figures import find_figures, split_figure_text
from ocr_assets.pipeline import attach_figures
from resources.engines.base import Block, TextLine

W, H = 1240, 1754


def page_with_drawing():
    gray = np.full((H, W), 255, dtype=np.uint8)
    cv2.circle(gray, (400, 700), 90, 0, 3)  # a drawing: circle with a diagonal
    cv2.line(gray, (330, 640), (470, 760), 0, 3)
    for row in range(5):  # a table: only straight rules
        cv2.line(gray, (120, 1100 + 60 * row), (1100, 1100 + 60 * row), 0, 2)
    for col in (120, 600, 1100):
        cv2.line(gray, (col, 1100), (col, 1340), 0, 2)
    cv2.line(gray, (700, 300), (900, 300), 0, 2)  # a blank to fill in
    lines = [
        TextLine("1. 如图所示，下列说法正确的是", (120, 540, 900, 575), 0.99),
        TextLine("石油", (300, 690, 345, 715), 0.9),  # a label inside the drawing
        TextLine("A. 甲 B. 乙 C. 丙 D. 丁", (120, 820, 700, 855), 0.99),
    ]
    for i in range(4):  # ink of the text lines themselves (erased before looking for drawings)
        cv2.rectangle(gray, (120, 540 + 280 * (i % 2)), (700, 570 + 280 * (i % 2)), 0, -1)
    return gray, lines


def test_a_drawing_is_found_with_its_label_and_rules_are_not_figures():
    gray, lines = page_with_drawing()
    [figure] = find_figures(gray, lines, [], W)
    x0, y0, x1, y1 = figure
    assert x0 <= 312 and y0 <= 612 and x1 >= 488 and y1 >= 788  # the whole circle
    assert y1 < 1100  # not the table below
    body, labels = split_figure_text(lines, [figure])
    assert [l.text for l in labels] == ["石油"] and len(body) == 2


def test_a_layout_figure_block_over_body_text_is_rejected():
    lines = [TextLine(f"{i}. 一道很长的题目文字，占了大半行的宽度", (100, 100 + 50 * i, 1000, 130 + 50 * i), 0.99) for i in range(1, 6)]
    huge = Block("figure", (80, 80, 1100, 500), 0.8)
    small = Block("figure", (100, 900, 400, 1200), 0.8)
    assert find_figures(None, lines, [huge, small], W) == [small.bbox]


def test_figures_attach_to_the_question_above_and_grow_its_span():
    questions = [
        {"number": "1", "spans": [{"page": 1, "bbox": [100, 100, 900, 200]}], "figures": []},
        {"number": "2", "spans": [{"page": 1, "bbox": [100, 500, 900, 600]}], "figures": []},
    ]
    attach_figures(questions, {1: [(100, 220, 400, 450), (700, 520, 900, 700)]})
    assert [f["bbox"] for f in questions[0]["figures"]] == [[100, 220, 400, 450]]
    assert [f["bbox"] for f in questions[1]["figures"]] == [[700, 520, 900, 700]]
    assert questions[0]["spans"][0]["bbox"] == [100, 100, 900, 450]
    assert questions[1]["spans"][0]["bbox"] == [100, 500, 900, 700]
