"""Answer blanks (`______`) from the page image.

OCR engines read the text around a blank but never the underline itself, so a fill-in question
loses its blanks. A blank is a thin horizontal stroke in empty space on a text row (not under
text, which would be an underlined sentence, and not one of a table's parallel rules); it comes
back as a text line `______` placed on that row, so reading order and extraction see it.
"""

from __future__ import annotations

import re
import unicodedata

import cv2
import numpy as np

from ocr_assets.figures import INK_THRESHOLD
from resources.engines.base import TextLine, boxes_overlap, median_height

BLANK = "______"
READ_BLANK = re.compile(r"_{2,}|＿{2,}")
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
        seg = (x0, y0, x1, y1)
        if _is_table_rule(seg, segments, line_height) or _has_ink_above(ink, seg, line_height):
            continue
        if not _on_a_text_row((x0, y1), lines, line_height):
            continue
        x0, x1 = _under_empty_paper(ink, seg, line_height)
        blanks.append(TextLine(BLANK, (x0, y1 - line_height, x1, y1), 1.0))
    return blanks


def _ink_columns_above(ink: np.ndarray, seg, line_height) -> tuple[np.ndarray, int]:
    """Per column of the stroke (less a margin at each end): is there ink where its row's glyphs stand?"""
    x0, y0, x1, _ = seg
    margin = int(0.1 * line_height)  # the glyphs beside the blank's ends
    top, bottom = int(max(0, y0 - INK_ABOVE_BAND[0] * line_height)), int(max(0, y0 - INK_ABOVE_BAND[1] * line_height))
    return ink[top:bottom, int(x0) + margin: int(x1) - margin].any(axis=0), int(x0) + margin


def _under_empty_paper(ink: np.ndarray, seg, line_height) -> tuple[float, float]:
    """The stroke's ends moved in to where the paper above it is empty: the bottom stroke of the glyph
    before a blank often runs into the line ("是______")."""
    columns, first = _ink_columns_above(ink, seg, line_height)
    empty = np.flatnonzero(~columns)
    if empty.size == 0 or empty.size == columns.size:
        return seg[0], seg[2]
    x0 = seg[0] if columns[0] == 0 else float(first + empty[0])
    x1 = seg[2] if columns[-1] == 0 else float(first + empty[-1] + 1)
    return x0, x1


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


INK_ABOVE_BAND = (0.7, 0.1)  # in line heights above the stroke: where a row's glyphs stand, clear of the row above
INK_ABOVE_SHARE = 0.3  # of the stroke's columns


def _has_ink_above(ink: np.ndarray, seg, line_height) -> bool:
    """Printed words over the stroke make it an underlined sentence, a numerator centred over it a fraction
    bar (even one a fifth of its width: "20" over "12×20+1×14+16×4"); a blank has empty paper above it, but
    for the end of a glyph whose stroke runs into the line ("是______"). Decided on the ink, not on OCR
    boxes: a line the OCR read across the blank ("合______厘米" read as "合厘米") has a box over it, no ink."""
    columns, _ = _ink_columns_above(ink, seg, line_height)
    if columns.size == 0:
        return False
    if float(columns.mean()) > INK_ABOVE_SHARE:
        return True
    quarter = len(columns) // 4
    return bool(columns[quarter: len(columns) - quarter].any() and not columns[:quarter].any() and not columns[-quarter:].any())


def _on_a_text_row(point, lines, line_height) -> bool:
    """A blank sits on the baseline of a row that has text on it (before or after the blank)."""
    _, y = point
    return any(abs(line.y1 - y) <= 0.5 * line_height for line in lines)


def place_blanks(lines: list[TextLine], spaces: list[TextLine]) -> list[TextLine]:
    """The OCR lines with the blanks put where they stand: a blank inside a line the OCR read across it
    ("合厘米" over "合______厘米") goes into that line's text at its place; the others stay lines of their own,
    for reading order to put between their neighbours."""
    inside: dict[int, list[TextLine]] = {}
    alone = []
    for space in spaces:
        host = _host_line(space, lines) if space.text == BLANK else None
        if host is None:
            alone.append(space)
        else:
            inside.setdefault(host, []).append(space)
    placed = [_with_blanks(line, inside[i]) if i in inside and not READ_BLANK.search(line.text) else line
              for i, line in enumerate(lines)]  # where the OCR read the underline itself, its reading stands
    return placed + alone


def _host_line(blank: TextLine, lines: list[TextLine]) -> int | None:
    """The line whose box runs across the blank (text on both sides of it, on its row)."""
    width = blank.x1 - blank.x0
    for i, line in enumerate(lines):
        covered = min(blank.x1, line.x1) - max(blank.x0, line.x0)
        if (covered >= 0.9 * width and line.x0 < blank.x0 - 0.3 * blank.height and line.x1 > blank.x1 + 0.3 * blank.height
                and abs(line.y1 - blank.y1) <= 0.5 * blank.height):
            return i
    return None


def _char_width(char: str) -> float:
    """Full-width characters take one em, Latin letters, digits and spaces about half."""
    return 1.0 if unicodedata.east_asian_width(char) in "WF" else 0.5


def _with_blanks(line: TextLine, blanks: list[TextLine]) -> TextLine:
    """The line's text with each blank inserted at the character boundary nearest to where it stands,
    the characters spread evenly over the part of the box that is not blank."""
    blanks = sorted(blanks, key=lambda b: b.x0)
    text = line.text
    widths = [_char_width(c) for c in text]
    text_px = max(1.0, (line.x1 - line.x0) - sum(b.x1 - b.x0 for b in blanks))
    em = text_px / max(sum(widths), 0.5)
    boundaries = [0.0]
    for w in widths:
        boundaries.append(boundaries[-1] + w * em)
    cuts, blank_px_before = [], 0.0
    for blank in blanks:
        before = blank.x0 - line.x0 - blank_px_before
        cuts.append(min(range(len(boundaries)), key=lambda i: abs(boundaries[i] - before)))
        blank_px_before += blank.x1 - blank.x0
    for cut in sorted(cuts, reverse=True):
        text = text[:cut] + BLANK + text[cut:]
    return TextLine(text, line.bbox, line.confidence, line.polygon)


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
