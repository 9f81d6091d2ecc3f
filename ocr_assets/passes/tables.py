"""Ruled tables: found on the page image, then standing in for the lines read in their cells."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from ocr_assets.tables import Table, find_tables, replace_table_lines

if TYPE_CHECKING:
    from ocr_assets.page_analysis import AnalysedPage, DocumentContext


def find(page: AnalysedPage) -> AnalysedPage:
    """Adds `tables` (page pixels); a blank in a cell is part of the cell's text ("有 ______ 产生")."""
    if not page.image.decodable:
        return page
    found = find_tables(page.image.gray(), page.lines_in_frame + page.blanks_in_frame, page.figures_in_frame)
    return replace(page, tables=[Table(tuple(v / page.scale for v in t.bbox), t.rows) for t in found])


def place(page: AnalysedPage, context: DocumentContext) -> AnalysedPage:
    """Each table's cell lines become one Markdown line where the table stands."""
    return replace(page, body=replace_table_lines(page.text, page.tables))
