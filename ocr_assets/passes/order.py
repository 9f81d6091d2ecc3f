"""Reading order: the body's lines column by column (A3 spreads half by half), as a reader reads them."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from ocr_assets.reading_order import reading_order

if TYPE_CHECKING:
    from ocr_assets.page_analysis import AnalysedPage, DocumentContext


def reading(page: AnalysedPage, context: DocumentContext) -> AnalysedPage:
    """Adds `ordered`: the body in reading order, what the question pass reads."""
    return replace(page, ordered=reading_order(page.text, page.width, page.height, page.blocks))
