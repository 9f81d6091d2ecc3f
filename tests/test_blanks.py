import cv2
import numpy as np

from ocr_assets.blanks import BLANK, find_blanks
from resources.engines.base import TextLine


def test_blank_on_a_row_is_found_but_underlined_text_and_table_rules_are_not():
    gray = np.full((1000, 1240), 255, dtype=np.uint8)
    lines = [
        TextLine("空气中含量最多的气体是", (100, 100, 500, 130), 0.99),
        TextLine("。", (700, 100, 730, 130), 0.99),
        TextLine("画线的句子", (100, 300, 400, 330), 0.99),
    ]
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
    cv2.line(gray, (230, 112), (390, 112), 0, 2)
    assert find_blanks(gray, lines) == []
