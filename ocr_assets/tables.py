"""Ruled tables from the page image, kept as tables.

A grid of at least two horizontal and two vertical rules is a table; the OCR lines inside it are
put into its cells by position and the table comes back as one Markdown text line standing where
the table stands, so a question's stem holds the table, not a stream of its cells.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ocr_assets.figures import INK_THRESHOLD, split_figure_text
from ocr_assets.reading_order import group_rows
from resources.engines.base import BBox, TextLine, box_area, box_intersection

MIN_RULES = 3  # a grid of at least 2×2 cells; a single ruled box is a figure or a frame, not a table
RULE_MERGE_PX = 6  # rules closer than this are one rule (thick or doubled lines)


@dataclass(frozen=True)
class Table:
    bbox: BBox
    rows: list[list[str]]

    def markdown(self) -> str:
        width = max(len(row) for row in self.rows)
        cells = [[cell.replace("|", "/") for cell in row] + [""] * (width - len(row)) for row in self.rows]
        lines = ["| " + " | ".join(cells[0]) + " |", "|" + "---|" * width]
        lines += ["| " + " | ".join(row) + " |" for row in cells[1:]]
        return "\n".join(lines)


def _positions(values: list[int]) -> list[int]:
    merged: list[int] = []
    for value in sorted(values):
        if merged and value - merged[-1] <= RULE_MERGE_PX:
            continue
        merged.append(value)
    return merged


def find_tables(gray: np.ndarray, lines: list[TextLine], figures: list[BBox] = ()) -> list[Table]:
    """Ruled grids with their cell texts. A picture in a cell (a graph in a row of 图像) is a figure:
    its labels and axis names are not the cell's text."""
    height, width = gray.shape
    ink = (gray < INK_THRESHOLD).astype(np.uint8)
    horizontal = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (max(40, width // 25), 1)))
    vertical = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, max(30, height // 60))))
    grid = cv2.dilate(cv2.bitwise_or(horizontal, vertical), np.ones((5, 5), np.uint8))
    count, _, stats, _ = cv2.connectedComponentsWithStats(grid, connectivity=8)
    tables = []
    for x, y, w, h, _ in stats[1:count]:
        region_h = horizontal[y: y + h, x: x + w]
        region_v = vertical[y: y + h, x: x + w]
        rows_at = _positions([y + int(r) for r in np.where(region_h.sum(axis=1) > 0.5 * w)[0]])
        cols_at = _positions([x + int(c) for c in np.where(region_v.sum(axis=0) > 0.5 * h)[0]])
        if len(rows_at) < MIN_RULES or len(cols_at) < MIN_RULES:
            continue  # a box, an underline or a lone rule, not a grid
        box = (float(x), float(y), float(x + w), float(y + h))
        in_cells = [f for f in figures if box_intersection(f, box) >= 0.8 * box_area(f) and box_area(f) < 0.5 * box_area(box)]
        cells: dict[tuple[int, int], list[TextLine]] = {}
        for line in split_figure_text(lines, in_cells)[0]:
            cx, cy = (line.x0 + line.x1) / 2, (line.y0 + line.y1) / 2
            if not (box[0] < cx < box[2] and box[1] < cy < box[3]):
                continue
            row = sum(1 for r in rows_at if r < cy) - 1
            col = sum(1 for c in cols_at if c < cx) - 1
            cells.setdefault((max(row, 0), max(col, 0)), []).append(line)
        if not cells:
            continue
        n_rows, n_cols = max(len(rows_at) - 1, 1), max(len(cols_at) - 1, 1)
        rows = [["".join(l.text for l in _in_reading_order(cells.get((r, c), []))) for c in range(n_cols)] for r in range(n_rows)]
        filled_columns = sum(1 for c in range(n_cols) if any(row[c] for row in rows))
        if filled_columns < 2:
            continue  # text in one column only: a page border or a frame around ruled answer lines
        tables.append(Table(box, [row for row in rows if any(row)]))
    return tables


def _in_reading_order(lines: list[TextLine]) -> list[TextLine]:
    """A cell's lines row by row, left to right in a row ("有 ______ 产生" stays in that order even
    when the blank's box starts a little higher than the words)."""
    return [line for row in group_rows(lines) for line in sorted(row, key=lambda l: l.x0)]


def replace_table_lines(lines: list[TextLine], tables: list[Table]) -> list[TextLine]:
    """The lines outside every table, plus one Markdown line per table where it stands."""
    def inside(line: TextLine, box: BBox) -> bool:
        cx, cy = (line.x0 + line.x1) / 2, (line.y0 + line.y1) / 2
        return box[0] < cx < box[2] and box[1] < cy < box[3]

    kept = [line for line in lines if not any(inside(line, t.bbox) for t in tables)]
    return kept + [TextLine(t.markdown(), t.bbox, 1.0) for t in tables if t.rows]
