"""Figures on a page: the layout model's figure blocks, plus drawings found in the page image
where the model gives none, and the text lines that belong to them (diagram labels, chart axes)
rather than to a question's stem.

Image fallback: ink that is left after erasing the OCR text lines and the straight ruling lines
of tables and underlines is a drawing; nearby ink is merged into one region.
"""

from __future__ import annotations

import re

import cv2
import numpy as np

from ocr_assets.options import bare_first_label
from ocr_assets.reading_order import same_row
from resources.engines.base import BBox, Block, TextLine, box_area, box_intersection, box_iou, boxes_overlap, median_height

INK_THRESHOLD = 170  # grey level below which a pixel is ink
MIN_FIGURE_SIDE = 48  # px at ~150 dpi: smaller ink blobs are specks, bullets or formula marks
MIN_INK_PIXELS = 100
MERGE_GAP = 18  # px: drawings closer than this are one figure
LINE_PAD = 3  # px around OCR line boxes when erasing text
LABEL_MARGIN = 20  # px: a short text line this close to a drawing is one of its labels
LABEL_MAX_CHARS = 12
ROW_TEXT_GAP = 2.5  # line heights: a short line closer than this to a long line on its row is part of that text


def _erase_rules(ink: np.ndarray) -> np.ndarray:
    """Remove long straight horizontal and vertical strokes (table rules, blanks, boxes)."""
    height, width = ink.shape
    horizontal = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (max(40, width // 30), 1)))
    vertical = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, max(40, height // 40))))
    return cv2.subtract(ink, cv2.bitwise_or(horizontal, vertical))


def _drop_specks(ink: np.ndarray, min_area: int = 12) -> np.ndarray:
    """Scan noise is tiny blobs; thin drawn strokes are long, so filter by area, not by opening."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    keep = np.zeros(count, dtype=np.uint8)
    keep[1:][stats[1:, cv2.CC_STAT_AREA] >= min_area] = 255
    return keep[labels]


def drawings_in_image(gray: np.ndarray, lines: list[TextLine]) -> list[BBox]:
    """Boxes of drawings: ink that is neither OCR text nor straight rules.

    Rules are erased only to find where drawings are. A drawing's own straight strokes (a graph's
    axes, a test tube's sides, the edges of an element card) are then given back: every stroke
    connected to what is left belongs to that drawing, unless following the strokes leads into a
    frame or grid around body text, which is not part of any drawing."""
    raw = (gray < INK_THRESHOLD).astype(np.uint8) * 255
    ink = raw.copy()
    for line in lines:
        x0, y0, x1, y1 = (int(round(v)) for v in line.bbox)
        ink[max(0, y0 - LINE_PAD): y1 + LINE_PAD, max(0, x0 - LINE_PAD): x1 + LINE_PAD] = 0
    seeds = _drop_specks(_erase_rules(ink))
    line_height = median_height(lines) if lines else 0.0
    drawing = _with_own_strokes(raw, seeds, lines)
    merged = cv2.dilate(drawing, cv2.getStructuringElement(cv2.MORPH_RECT, (MERGE_GAP, MERGE_GAP)))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(merged, connectivity=8)
    boxes = []
    for index in range(1, count):
        x, y, w, h, _ = stats[index]
        if w < MIN_FIGURE_SIDE or h < MIN_FIGURE_SIDE:
            continue
        if int(np.count_nonzero(seeds[y: y + h, x: x + w])) < MIN_INK_PIXELS:
            continue  # mostly straight rules: a frame, grid or underline, not a drawing
        pad = MERGE_GAP // 2  # the dilation grew the box; give most of it back
        box = (float(x + pad), float(y + pad), float(x + w - pad), float(y + h - pad))
        if not (lines and _formula_marks(box, lines, line_height)):
            boxes.append(box)
    return boxes


def _formula_marks(box: BBox, lines: list[TextLine], line_height: float) -> bool:
    """Marks of a formula, not a picture: a wide, low strip no taller than two text lines (the =Δ=,
    arrows and fraction bars of an equation row between OCR boxes), or ink no taller than a couple
    of lines that OCR boxes largely cover (the radical sign or exponent of "π ≈ n√(1 − cos 180°/n)")."""
    height, width = box[3] - box[1], box[2] - box[0]
    if height < 2 * line_height and width > 6 * height:
        return True
    return height <= 2.5 * line_height and sum(box_intersection(box, l.bbox) for l in lines) >= 0.3 * box_area(box)


MAX_DRAWING_SHARE = 0.25  # of the page area: a connected stroke system larger than this is a frame or grid


def _with_own_strokes(ink: np.ndarray, seeds: np.ndarray, lines: list[TextLine]) -> np.ndarray:
    """The seeds plus every ink component (text erased, rules kept) they touch, except components
    that are page-sized or enclose body text (a table grid or a framed passage)."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    height, width = ink.shape
    text_width = column_width(width, height)
    keep = np.zeros(count, dtype=bool)
    for label in np.unique(labels[seeds > 0]):
        if label == 0:
            continue
        x, y, w, h, _ = stats[label]
        box = (float(x), float(y), float(x + w), float(y + h))
        if w * h <= MAX_DRAWING_SHARE * width * height and not holds_body_text(box, lines, text_width, min_lines=1):
            keep[label] = True
    return np.where(keep[labels] | (seeds > 0), 255, 0).astype(np.uint8)


def _union(a: BBox, b: BBox) -> BBox:
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


def _inside(line: TextLine, box: BBox, margin: float = LABEL_MARGIN) -> bool:
    cx, cy = (line.x0 + line.x1) / 2, (line.y0 + line.y1) / 2
    return box[0] - margin <= cx <= box[2] + margin and box[1] - margin <= cy <= box[3] + margin


def _near(a: BBox, b: BBox, gap: float) -> bool:
    return boxes_overlap((a[0] - gap, a[1] - gap, a[2] + gap, a[3] + gap), b)


def merge_boxes(boxes: list[BBox], gap: float = 0.0) -> list[BBox]:
    merged: list[BBox] = []
    for box in sorted(boxes):
        for i, other in enumerate(merged):
            if _near(box, other, gap):
                merged[i] = _union(box, other)
                break
        else:
            merged.append(box)
    if len(merged) < len(boxes):
        return merge_boxes(merged, gap)  # a union can reach a third box
    return merged


def holds_body_text(box: BBox, lines: list[TextLine], page_width: float, min_lines: int = 2) -> bool:
    """True when a box covers `min_lines` or more long text lines: a text block, not a figure.
    (The CDLA layout model sometimes calls half a page of questions one 'figure'.)"""
    long_lines = [l for l in lines if _inside(l, box, margin=0) and l.x1 - l.x0 >= 0.3 * page_width]
    return len(long_lines) >= min_lines


# a decimal ("17.8%", the "1.0 0.8 0.6" of an axis) is no question number
QUESTION_TEXT_START = re.compile(r"^\s*(?:[A-H]\s*[.．、]|[（(]\s*[A-H1-9]\s*[)）]|\d{1,2}\s*(?:[．、]|\.(?!\d))|[①-⑩])")
OPTION_START = re.compile(r"^\s*(?:[A-H]\s*[.．、]|[（(]\s*[A-H]\s*[)）])")


SENTENCE_END = re.compile(r"(?:[。？！；?!;]|[（(]\s*[)）])$")  # a sentence or a stem's answer bracket ends here


def is_label(line: TextLine) -> bool:
    """Short, and neither the start of an option, question or sub-question nor the end of a sentence
    (a wrapped stem line) that happens to sit near a drawing."""
    text = line.text.strip()
    return len(text) <= LABEL_MAX_CHARS and not QUESTION_TEXT_START.match(text) and not SENTENCE_END.search(text)


def _best_of_overlapping(blocks: list[Block]) -> list[BBox]:
    """Non-maximum suppression: of two layout figures mostly covering the same drawing (one tight,
    one wider and padded with empty page) keep the more confident."""
    kept: list[BBox] = []
    for block in sorted(blocks, key=lambda b: -b.score):
        box = block.bbox
        if all(box_intersection(box, k) < 0.6 * min(box_area(box), box_area(k)) for k in kept):
            kept.append(box)
    return kept


def column_width(page_width: float, page_height: float) -> float:
    """What a full text line spans: the page, or half of it on a landscape two-page spread."""
    return page_width / 2 if page_width > page_height else page_width


def find_figures(gray: np.ndarray | None, lines: list[TextLine], blocks: list[Block], page_width: float,
                 page_height: float = 0.0) -> list[BBox]:
    """Figure boxes on one page: layout-model figures and image drawings, merged, each grown to
    cover its own labels. A layout-model figure over a line of body text is a text block."""
    text_width = column_width(page_width, page_height)
    boxes = _best_of_overlapping([
        b for b in blocks
        if b.label == "figure" and b.score >= 0.5 and not holds_body_text(b.bbox, lines, text_width, min_lines=1)
    ])
    if gray is not None:
        boxes += drawings_in_image(gray, lines)
    figures = merge_boxes(boxes)
    after_start, beside_long = _continues_a_text_row(lines)
    for _ in range(2):  # labels join a drawing to its labels, which can join two parts of one drawing
        grown = []
        for box in figures:
            for line in lines:
                # a label sits inside or beside its drawing and is short, unlike a body line; a line
                # on an option's row is the option's text, unless it stands over the drawing itself
                # (a flowchart's 输入N level with a far-off "D. 5/6")
                if (_near(line.bbox, box, LABEL_MARGIN) and is_label(line) and id(line) not in beside_long
                        and (id(line) not in after_start or _over_columns_of(line, box))
                        and line.x1 - line.x0 < max(200.0, 0.6 * (box[2] - box[0]) + 60)):
                    box = _union(box, line.bbox)
            grown.append(box)
        figures = merge_boxes(grown, gap=MERGE_GAP)
    return figures


def _over_columns_of(line: TextLine, box: BBox) -> bool:
    return line.x0 >= box[0] - LABEL_MARGIN and line.x1 <= box[2] + LABEL_MARGIN


def _continues_a_text_row(lines: list[TextLine]) -> tuple[set[int], set[int]]:
    """ids of short lines that may belong to a row of text, not to a drawing: (right of an option or
    question start on the same row (the rest of "C. 反应器2中生成 [picture] 的质量比为9:8"), close
    beside a long line of the row ("X是 ______ ，②和③中的溶液…"))."""
    starts = [l for l in lines if QUESTION_TEXT_START.match(l.text.strip())]
    long_lines = [l for l in lines if len(l.text.strip()) > LABEL_MAX_CHARS]

    def close_beside(a: TextLine, b: TextLine) -> bool:
        gap = max(a.x0 - b.x1, b.x0 - a.x1)
        return same_row(a, b) and gap < ROW_TEXT_GAP * max(a.height, b.height)

    after_start = {id(line) for line in lines if any(s is not line and s.x1 <= line.x0 and same_row(s, line) for s in starts)}
    beside_long = {id(line) for line in lines if any(other is not line and close_beside(line, other) for other in long_lines)}
    return after_start, beside_long | _bare_first_options(lines) | _ends_a_paragraph(lines, long_lines)


def _ends_a_paragraph(lines: list[TextLine], long_lines: list[TextLine]) -> set[int]:
    """ids of short lines right under a long line at its indent: a paragraph's last line ("的值为（"
    under a full line of the stem), however close to a drawing below it."""
    out = set()
    for line in lines:
        height = max(line.height, 1.0)
        if any(other is not line and 0 <= line.y0 - other.y1 + 0.3 * height < 0.9 * height
               and abs(line.x0 - other.x0) < 0.5 * height and other.x1 > line.x1 for other in long_lines):
            out.add(id(line))
    return out


def _bare_first_options(lines: list[TextLine]) -> set[int]:
    """ids of lines that open an option row with A typed without its mark ("A 12个" left of "B. 15个"):
    option text, however short and close to a drawing."""
    options = [l for l in lines if OPTION_START.match(l.text.strip())]
    return {id(line) for line in lines if bare_first_label(line.text) is not None
            and any(o.x0 > line.x0 and same_row(o, line) for o in options)}


def _mostly_within(line: TextLine, box: BBox, share: float = 0.7) -> bool:
    """Most of the line's width lies inside the box (a sentence that only starts beside a figure is text)."""
    inside = min(line.x1, box[2] + 2) - max(line.x0, box[0] - 2)
    return inside >= share * max(line.x1 - line.x0, 1.0)


def _stays_text(line: TextLine) -> bool:
    """Text a figure box may cover that is still the question's: the option letters between picture
    options ("A.[pic] B.[pic]"), or a numbered line too long to be a label. A short numbered line
    is a label (the t₁ of an axis read as "1.", the ① of an apparatus part)."""
    text = line.text.strip()
    return bool(OPTION_START.match(text)) or (bool(QUESTION_TEXT_START.match(text)) and len(text) > LABEL_MAX_CHARS)


def split_figure_text(lines: list[TextLine], figures: list[BBox]) -> tuple[list[TextLine], list[TextLine]]:
    """(body lines, lines that belong to a figure)."""
    body, labels = [], []
    option_a = _bare_first_options(lines) if figures else set()
    for line in lines:
        in_figure = any(_inside(line, box, margin=2) and _mostly_within(line, box) for box in figures)
        (labels if in_figure and not _stays_text(line) and id(line) not in option_a else body).append(line)
    return body, labels


def is_qr_code(gray: np.ndarray, box: BBox, pad: int = 10) -> bool:
    """The figure is a QR code that decodes (扫码听录音, a site's advert): a link, not a question's picture.
    (Detection alone also fires on pie charts; a code that decodes does not.)"""
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    crop = np.ascontiguousarray(gray[max(0, y0 - pad): y1 + pad, max(0, x0 - pad): x1 + pad])
    if crop.size == 0:
        return False
    data, _, _ = cv2.QRCodeDetector().detectAndDecode(crop)
    return bool(data)


REPEAT_MIN_PAGES_SHARE = 0.4  # as for running headers
REPEAT_IOU = 0.7


def repeated_figures(figures_by_page: dict[int, list[BBox]]) -> set[tuple[int, BBox]]:
    """(page, box) of figures that stand at the same place on at least 40 % of the pages (and two or
    more): a site logo or a watermark, not a question's figure."""
    needed = max(2, REPEAT_MIN_PAGES_SHARE * len(figures_by_page))
    repeated = set()
    for page, boxes in figures_by_page.items():
        for box in boxes:
            pages = {other for other, others in figures_by_page.items() if any(box_iou(box, o) >= REPEAT_IOU for o in others)}
            if len(pages) >= needed:
                repeated.add((page, box))
    return repeated
