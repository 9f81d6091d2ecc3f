import random

import cv2
import numpy as np
import pytest

from ocr_assets.blanks import BLANK, find_blanks, place_blanks
from resources.engines.base import TextLine


def ink_glyphs(gray: np.ndarray, box: tuple, em: float | None = None) -> None:
    """Glyph-like ink inside a text box (what an OCR box stands over on a real page): one small square
    with a cross per character, a gap between characters."""
    x0, y0, x1, y1 = (int(v) for v in box)
    em = em or (y1 - y0)
    x = x0
    while x + em * 0.6 <= x1:
        cv2.rectangle(gray, (int(x + 2), y0 + 2), (int(x + em - 3), y1 - 2), 0, 1)
        cv2.line(gray, (int(x + 2), (y0 + y1) // 2), (int(x + em - 3), (y0 + y1) // 2), 0, 1)
        x += em


def test_blank_on_a_row_is_found_but_underlined_text_and_table_rules_are_not():
    gray = np.full((1000, 1240), 255, dtype=np.uint8)
    lines = [
        TextLine("空气中含量最多的气体是", (100, 100, 500, 130), 0.99),
        TextLine("。", (700, 100, 730, 130), 0.99),
        TextLine("画线的句子", (100, 300, 400, 330), 0.99),
    ]
    for text_line in lines:
        ink_glyphs(gray, text_line.bbox)
    cv2.line(gray, (520, 129), (690, 129), 0, 2)  # the blank between the two pieces of text
    cv2.line(gray, (100, 334), (400, 334), 0, 2)  # an underlined sentence
    for y in (500, 560, 620):  # table rules
        cv2.line(gray, (100, y), (1100, y), 0, 2)
    lines += [TextLine(f"cell{i}", (120, 520 + 60 * i, 300, 550 + 60 * i), 0.99) for i in range(2)]
    [blank] = find_blanks(gray, lines)
    assert blank.text == BLANK
    assert 515 <= blank.x0 <= 525 and 685 <= blank.x1 <= 695 and abs(blank.y1 - 130) <= 3


def test_a_fraction_bar_is_not_a_blank():
    gray = np.full((400, 1240), 255, dtype=np.uint8)
    lines = [TextLine("设", (100, 120, 140, 150), 0.99), TextLine("1", (300, 80, 320, 108), 0.99),
             TextLine("|z-z1|²", (240, 116, 380, 146), 0.99)]
    for text_line in lines:
        ink_glyphs(gray, text_line.bbox)
    cv2.line(gray, (230, 112), (390, 112), 0, 2)
    assert find_blanks(gray, lines) == []


def test_a_row_of_answer_boxes_the_ocr_missed_or_read_as_zeros_becomes_boxes():
    from ocr_assets.blanks import drop_misread_boxes, find_answer_boxes

    gray = np.full((400, 1240), 255, dtype=np.uint8)
    for i in range(22):  # （1）陈璋，字□□。说明：□□□…□ : 18 px boxes, 22 px apart
        cv2.rectangle(gray, (500 + 22 * i, 112), (517 + 22 * i, 129), 0, 1)
    for i in range(5):  # a second row that the OCR read as "00000"
        cv2.rectangle(gray, (500 + 22 * i, 212), (517 + 22 * i, 229), 0, 1)
    cv2.rectangle(gray, (900, 300), (930, 330), 0, -1)  # a filled mark is no box
    ocr = [TextLine("（1）陈璋，字□□。说明：", (164, 105, 490, 135), 0.93),
           TextLine("（2）孙冠群，字□□。说明：", (164, 205, 490, 235), 0.93),
           TextLine("00000", (498, 208, 610, 232), 0.6)]
    rows = find_answer_boxes(gray, ocr)
    assert [r.text for r in rows] == ["□" * 22, "□" * 5]
    assert [l.text for l in drop_misread_boxes(ocr, rows)] == ["（1）陈璋，字□□。说明：", "（2）孙冠群，字□□。说明："]
