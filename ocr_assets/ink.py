"""Text-like ink that no OCR line covers, and its recovery by a second read at full resolution.

The detector reads a page shrunk to its max side (960 px by default) and misses small italic,
raised and lowered runs (`Sₙ`, `a₂`, `x²`): the stem keeps its Chinese and loses its formula.
`uncovered_ink` measures what was missed (pure, over one page's pixels and lines); `pack_regions`
and `unpack_lines` turn the missed regions into one small canvas for one more engine call on the
same engine, and back into page lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

import cv2
import numpy as np

from resources.engines.base import BBox, Block, PageStructure, TextLine, median_height

# Components of text size, in units of the page's median line height.
MIN_GLYPH_HEIGHT = 0.25  # a subscript digit is ~0.4 line heights; dots and specks are smaller
MAX_GLYPH_HEIGHT = 1.6
MAX_GLYPH_WIDTH = 4.0  # a glyph, or a few touching ones; longer runs are rules or drawings
MIN_GLYPH_INK = 0.02  # ink pixels / line height², so noise specks never count
RULE_LENGTH = 3.0  # a straight run of ink this long (horizontal or vertical) is a rule, not text
COVER_PAD = 0.15  # a line box covers ink just outside it (antialiasing, tight boxes)
COVERED_SHARE = 0.5  # a component is covered when this share of its ink lies in some line box
REGION_GAP = 1.0  # uncovered components this close side by side (line heights) are one region to re-read
REGION_ROW_GAP = 0.2  # ...and this close above/below, so the regions of two rows stay apart
REGION_MARGIN = 0.6  # context kept around a region in its crop, line heights
NON_TEXT_BLOCKS = ("figure", "table")
ROW_REACH = 2.0  # a region is re-read only beside an OCR line (within this many line heights, same row):
# a formula run sits in a text row; a label in a drawing stands away from the rows
THIN_STROKE = 0.06  # a component thinner than this (line heights) and longer than a line height is a bar
BOX_INTERIOR_INK = 0.03  # an answer box □ (a hollow square) has almost no ink inside its frame


@dataclass
class InkReport:
    text_ink_px: int  # ink in text-size components, figures, tables and rules dropped
    uncovered_ink_px: int
    uncovered_components: int
    regions: list[BBox] = field(default_factory=list)  # uncovered components in text rows, grouped for a re-read
    line_height: float = 0.0

    @property
    def uncovered_share(self) -> float:
        return self.uncovered_ink_px / self.text_ink_px if self.text_ink_px else 0.0


def binarise(image: np.ndarray) -> np.ndarray:
    """Ink mask (uint8 0/1) by Otsu's threshold on the grey image: scans and renders alike."""
    gray = image if image.ndim == 2 else cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2GRAY)
    _, ink = cv2.threshold(gray, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    return ink


def _drop_rules(ink: np.ndarray, line_height: float) -> np.ndarray:
    length = max(3, int(RULE_LENGTH * line_height))
    rules = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((1, length), np.uint8))
    rules |= cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((length, 1), np.uint8))
    return ink & ~rules.astype(bool)


def _box_mask(shape: tuple[int, int], boxes: Sequence[BBox], pad: float) -> np.ndarray:
    mask = np.zeros(shape, dtype=bool)
    height, width = shape
    for x0, y0, x1, y1 in boxes:
        r0, r1 = max(0, int(y0 - pad)), min(height, int(np.ceil(y1 + pad)))
        c0, c1 = max(0, int(x0 - pad)), min(width, int(np.ceil(x1 + pad)))
        mask[r0:r1, c0:c1] = True
    return mask


def _page_line_height(lines: Sequence[TextLine], stats: np.ndarray) -> float:
    if lines:
        return median_height(lines)
    heights = stats[1:, cv2.CC_STAT_HEIGHT]
    return float(np.median(heights)) if len(heights) else 20.0


def uncovered_ink(image: np.ndarray, lines: Sequence[TextLine], blocks: Sequence[Block] = ()) -> InkReport:
    """How much text-size ink on the page no OCR line box covers, and where it is.

    Ink inside figure and table blocks and long straight rules is left out, so drawings,
    grids and answer underlines never count as missed text."""
    ink = binarise(image).astype(bool)
    ink &= ~_box_mask(ink.shape, [b.bbox for b in blocks if b.label in NON_TEXT_BLOCKS], 0)
    line_height = median_height(lines) if lines else 0.0
    if not line_height:
        _, _, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
        line_height = _page_line_height(lines, stats)
    ink = _drop_rules(ink.astype(np.uint8), line_height)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    heights, widths, areas = stats[:, cv2.CC_STAT_HEIGHT], stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_AREA]
    text_size = (
        (heights >= MIN_GLYPH_HEIGHT * line_height) & (heights <= MAX_GLYPH_HEIGHT * line_height)
        & (widths <= MAX_GLYPH_WIDTH * line_height) & (areas >= MIN_GLYPH_INK * line_height**2)
    )
    text_size[0] = False  # background
    thin = np.minimum(widths, heights) < THIN_STROKE * line_height
    text_size &= ~(thin & (np.maximum(widths, heights) > 0.8 * line_height))  # table edges, dashes, "|"
    covered_mask = _box_mask(ink.shape, [line.bbox for line in lines], COVER_PAD * line_height)
    covered_px = np.bincount(labels[covered_mask], minlength=count)
    uncovered = text_size & (covered_px < COVERED_SHARE * areas)
    for i in np.flatnonzero(uncovered):
        if _is_answer_box(labels, stats[i], i):  # 田字格 and □□□ answer grids are not missed text
            uncovered[i] = False
    boxes = [
        (float(stats[i, 0]), float(stats[i, 1]), float(stats[i, 0] + widths[i]), float(stats[i, 1] + heights[i]))
        for i in np.flatnonzero(uncovered)
    ]
    in_rows = along_rows([box for box in boxes if beside_a_line(box, lines, line_height)], boxes, line_height)
    return InkReport(
        text_ink_px=int(areas[text_size].sum()),
        uncovered_ink_px=int(areas[uncovered].sum()),
        uncovered_components=len(boxes),
        regions=group_boxes(in_rows, REGION_GAP * line_height, REGION_ROW_GAP * line_height),
        line_height=line_height,
    )


def beside_a_line(box: BBox, lines: Sequence[TextLine], line_height: float) -> bool:
    """The box's centre is in some line's row band and at most ROW_REACH line heights from its ends."""
    cy = (box[1] + box[3]) / 2
    for line in lines:
        if line.y0 - 0.3 * line_height <= cy <= line.y1 + 0.3 * line_height:
            if max(0.0, line.x0 - box[2], box[0] - line.x1) <= ROW_REACH * line_height:
                return True
    return False


MAX_GROWN_COMPONENTS = 3000  # beyond this many uncovered components (a photo, a dense drawing) rows are not grown


def along_rows(seeds: Sequence[BBox], boxes: Sequence[BBox], line_height: float) -> list[BBox]:
    """The seeds (uncovered ink beside an OCR line) and the uncovered ink that continues them along their
    row, one REGION_GAP at a time: the detector can miss a long run of a row (an equation and the words after it
    between two lines it did find), whose middle stands far from either line's end."""
    kept = list(seeds)
    if len(boxes) > MAX_GROWN_COMPONENTS:
        return kept
    seen = set(kept)
    rest = [box for box in boxes if box not in seen]
    frontier = list(kept)
    while frontier and rest:
        near = [box for box in rest if any(
            k[1] - 0.3 * line_height <= (box[1] + box[3]) / 2 <= k[3] + 0.3 * line_height
            and max(0.0, k[0] - box[2], box[0] - k[2]) <= REGION_GAP * line_height for k in frontier)]
        taken = set(near)
        rest = [box for box in rest if box not in taken]
        kept += near
        frontier = near
    return kept


def _is_answer_box(labels: np.ndarray, stat: np.ndarray, label: int) -> bool:
    """A squarish component whose ink is its frame: the middle 60 % of its box is (almost) empty."""
    x, y, w, h = (int(v) for v in stat[:4])
    if w < 6 or h < 6 or not 0.7 <= w / h <= 1.4:
        return False
    inner = labels[y + int(0.2 * h): y + h - int(0.2 * h), x + int(0.2 * w): x + w - int(0.2 * w)]
    frame_ink = stat[cv2.CC_STAT_AREA] / (2 * (w + h))  # ink per unit of perimeter: ~stroke width for a frame
    return inner.size > 0 and (inner == label).mean() <= BOX_INTERIOR_INK and frame_ink >= 0.6


def group_boxes(boxes: Sequence[BBox], gap: float, row_gap: float | None = None) -> list[BBox]:
    """Boxes closer than `gap` side by side and `row_gap` above/below merged into their union,
    repeatedly, top to bottom."""
    row_gap = gap if row_gap is None else row_gap
    groups = [list(b) for b in sorted(boxes, key=lambda b: (b[1], b[0]))]
    merged = True
    while merged:
        merged = False
        out: list[list[float]] = []
        for box in groups:
            for other in out:
                if (box[0] - gap < other[2] and other[0] - gap < box[2]
                        and box[1] - row_gap < other[3] and other[1] - row_gap < box[3]):
                    other[:] = [min(box[0], other[0]), min(box[1], other[1]), max(box[2], other[2]), max(box[3], other[3])]
                    merged = True
                    break
            else:
                out.append(box)
        groups = out
    return [tuple(g) for g in sorted(groups, key=lambda g: (g[1], g[0]))]


# ---- second read of the uncovered regions -------------------------------------------------------

@dataclass(frozen=True)
class Placement:
    page_box: BBox  # crop on the page (frame pixels)
    canvas_y: int  # top of the crop on the canvas


def pack_regions(image: np.ndarray, regions: Sequence[BBox], margin: float, gap: int = 24,
                 covered: Sequence[BBox] = ()) -> tuple[np.ndarray | None, list[Placement]]:
    """The regions cut with `margin` and stacked on one white canvas at full resolution, so one engine
    call reads them all; placements map canvas lines back to the page. Ink inside `covered` boxes
    (lines already read) is whited out, so the neighbours a margin takes in are not read twice."""
    height, width = image.shape[:2]
    if covered:
        image = image.copy()
        for x0, y0, x1, y1 in covered:
            image[max(0, int(y0) + 1):max(0, int(y1)), max(0, int(x0) + 1):max(0, int(x1))] = 255
    crops, placements, top = [], [], gap
    for x0, y0, x1, y1 in regions:
        box = (max(0, int(x0 - margin)), max(0, int(y0 - margin)),
               min(width, int(np.ceil(x1 + margin))), min(height, int(np.ceil(y1 + margin))))
        crop = image[box[1]:box[3], box[0]:box[2]]
        if crop.size == 0:
            continue
        crops.append((crop, top))
        placements.append(Placement(tuple(float(v) for v in box), top))
        top += crop.shape[0] + gap
    if not crops:
        return None, []
    canvas_width = max(crop.shape[1] for crop, _ in crops) + 2 * gap
    canvas = np.full((top, canvas_width) + image.shape[2:], 255, dtype=image.dtype)
    for crop, y in crops:
        canvas[y:y + crop.shape[0], gap:gap + crop.shape[1]] = crop
    return canvas, placements


def unpack_lines(canvas_lines: Sequence[TextLine], placements: Sequence[Placement], gap: int = 24) -> list[TextLine]:
    """Canvas lines moved back onto the page: each belongs to the crop its centre lies in."""
    out = []
    for line in canvas_lines:
        cy = (line.y0 + line.y1) / 2
        place = next((p for p in placements if p.canvas_y <= cy <= p.canvas_y + p.page_box[3] - p.page_box[1]), None)
        if place is None or not line.text.strip():
            continue
        dx, dy = place.page_box[0] - gap, place.page_box[1] - place.canvas_y

        def move(x: float, y: float) -> tuple[float, float]:
            return x + dx, y + dy

        x0, y0 = move(line.x0, line.y0)
        x1, y1 = move(line.x1, line.y1)
        out.append(TextLine(line.text, (x0, y0, x1, y1), line.confidence, tuple(move(x, y) for x, y in line.polygon)))
    return out


def new_lines_only(found: Sequence[TextLine], lines: Sequence[TextLine], overlap: float = 0.5) -> list[TextLine]:
    """Re-read lines that are not mostly inside a line the page already has (the crop margin
    catches the edges of neighbouring lines, which must not be read twice)."""
    from resources.engines.base import box_area, box_intersection

    kept = []
    for line in found:
        area = box_area(line.bbox) or 1.0
        if all(box_intersection(line.bbox, other.bbox) < overlap * area for other in lines):
            kept.append(line)
    return kept


ReadLines = Callable[[list[np.ndarray]], list[PageStructure]]


def recover_uncovered_ink(image: np.ndarray, structure: PageStructure, read: ReadLines,
                          ) -> tuple[PageStructure, InkReport, list[TextLine]]:
    """One more engine call on the page's uncovered text-like regions, read at full resolution; the
    lines found there are added to the page (in frame pixels). Returns the page, the report before
    the re-read and the lines added."""
    report = uncovered_ink(image, structure.lines, structure.blocks)
    if not report.regions:
        return structure, report, []
    canvas, placements = pack_regions(image, report.regions, REGION_MARGIN * report.line_height,
                                      covered=[line.bbox for line in structure.lines])
    if canvas is None:
        return structure, report, []
    [canvas_structure] = read([canvas])  # one engine call for all regions
    added = new_lines_only(unpack_lines(canvas_structure.lines, placements), structure.lines)
    if not added:
        return structure, report, []
    page = PageStructure(structure.width, structure.height, list(structure.lines) + added, structure.blocks,
                         structure.engine, structure.elapsed_s)
    return page, report, added
