"""Answer blanks (`______`) from the page image.

OCR engines read the text around a blank but never the underline itself, so a fill-in question
loses its blanks. A blank is a thin horizontal stroke in empty space on a text row (not under
text, which would be an underlined sentence, and not one of a table's parallel rules); it comes
back as a text line `______` placed on that row, so reading order and extraction see it.
"""

from __future__ import annotations

import re

import cv2
import numpy as np

from ocr_assets.figures import INK_THRESHOLD
from resources.engines.base import TextLine, boxes_overlap, median_height

BLANK = "______"
MIN_BLANK_LENGTH = 2.0  # in median text-line heights
MAX_STROKE = 5  # px: an underline is thin


def find_blanks(gray: np.ndarray, lines: list[TextLine]) -> list[TextLine]:
    if not lines:
        return []
    line_height = median_height(lines)
    ink = (gray < INK_THRESHOLD).astype(np.uint8)
    min_length = int(MIN_BLANK_LENGTH * line_height)
    strokes = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (min_length, 1)))
    count, _, stats, _ = cv2.connectedComponentsWithStats(strokes, connectivity=8)
    segments = [
        (float(x), float(y), float(x + w), float(y + h))
        for x, y, w, h, _ in stats[1:count]
        if h <= MAX_STROKE and w >= min_length
    ]
    blanks = []
    for x0, y0, x1, y1 in segments:
        if _is_table_rule((x0, y0, x1, y1), segments, line_height) or _under_text((x0, y0, x1, y1), lines, line_height):
            continue
        if not _on_a_text_row((x0, y1), lines, line_height):
            continue
        blanks.append(TextLine(BLANK, (x0, y1 - line_height, x1, y1), 1.0))
    return blanks


def _is_table_rule(seg, segments, line_height) -> bool:
    """Tables have several long parallel rules over the same columns, close above or below."""
    x0, y0, x1, _ = seg
    for other in segments:
        if other is seg or abs(other[1] - y0) < 2 or abs(other[1] - y0) > 3 * line_height:
            continue
        overlap = min(x1, other[2]) - max(x0, other[0])
        if overlap >= 0.8 * (x1 - x0) and (x1 - x0) > 6 * line_height:
            return True
    return False


def _under_text(seg, lines, line_height) -> bool:
    """An underline beneath printed words marks a sentence, and a bar with text right under it is a
    fraction bar; neither is a blank."""
    x0, y0, x1, y1 = seg
    for line in lines:
        overlap = min(x1, line.x1) - max(x0, line.x0)
        if overlap > 0.3 * (x1 - x0) and -0.3 * line_height <= y0 - line.y1 <= 0.6 * line_height:
            return True
        if overlap > 0 and -0.2 * line_height <= line.y0 - y1 <= 0.5 * line_height:
            return True
    return False


def _on_a_text_row(point, lines, line_height) -> bool:
    """A blank sits on the baseline of a row that has text on it (before or after the blank)."""
    _, y = point
    return any(abs(line.y1 - y) <= 0.5 * line_height for line in lines)


# ---- answer boxes (方格): rows of small empty squares, one per character to write ----------------------

ANSWER_BOX = "□"
BOX_SIDE = (0.4, 1.6)  # in median text-line heights
BOX_MAX_GAP = 0.8  # in box sides, between neighbouring boxes of one row
MIN_BOXES = 2
BOXES_MISREAD = re.compile(r"^\s*[0Oo口□]{3,}\s*$")  # a row of boxes the OCR read as "0000…"


def drop_misread_boxes(lines: list[TextLine], box_rows: list[TextLine]) -> list[TextLine]:
    """Without the OCR lines that read a row of answer boxes as "0000…" where the boxes were found."""
    return [l for l in lines if not (BOXES_MISREAD.match(l.text) and any(boxes_overlap(l.bbox, row.bbox) for row in box_rows))]


def find_answer_boxes(gray: np.ndarray, lines: list[TextLine]) -> list[TextLine]:
    """Rows of empty squares the OCR did not read (it reads a few, or collapses a long run of the same
    glyph), as text lines "□□□…" with one □ per box, so a question keeps its answer grid."""
    if not lines:
        return []
    line_height = median_height(lines)
    ink = (gray < INK_THRESHOLD).astype(np.uint8)
    count, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    boxes = []
    for x, y, w, h, area in stats[1:count]:
        side = max(w, h)
        if not (BOX_SIDE[0] * line_height <= side <= BOX_SIDE[1] * line_height) or abs(w - h) > 0.2 * side:
            continue
        inner = ink[y + h // 4: y + h - h // 4, x + w // 4: x + w - w // 4]
        if area > 0.6 * w * h or inner.size == 0 or inner.mean() > 0.02:
            continue  # a filled mark or a glyph, not an empty box
        cx, cy = x + w / 2, y + h / 2
        if any(l.x0 <= cx <= l.x1 and l.y0 <= cy <= l.y1 and not BOXES_MISREAD.match(l.text) for l in lines):
            continue  # the OCR read this one
        boxes.append((float(x), float(y), float(x + w), float(y + h)))
    rows: list[list[tuple]] = []
    for box in sorted(boxes, key=lambda b: (round((b[1] + b[3]) / 2 / line_height), b[0])):
        last = rows[-1][-1] if rows else None
        if (last is not None and abs((box[1] + box[3]) - (last[1] + last[3])) / 2 <= 0.2 * (box[3] - box[1])
                and 0 <= box[0] - last[2] <= BOX_MAX_GAP * (box[2] - box[0])):
            rows[-1].append(box)
        else:
            rows.append([box])
    return [
        TextLine(ANSWER_BOX * len(row), (row[0][0], min(b[1] for b in row), row[-1][2], max(b[3] for b in row)), 1.0)
        for row in rows if len(row) >= MIN_BOXES
    ]
