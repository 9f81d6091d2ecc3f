"""Formula pieces: a raised 2 or a lowered n the OCR read on its own goes into the line it belongs to."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from ocr_assets.formula_lines import join_formula_pieces

if TYPE_CHECKING:
    from ocr_assets.page_analysis import AnalysedPage, DocumentContext


def join(page: AnalysedPage, context: DocumentContext) -> AnalysedPage:
    """Pieces of a formula read as lines of their own join the line they stand in or beside."""
    return replace(page, body=join_formula_pieces(page.text))
