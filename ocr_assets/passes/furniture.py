"""Page furniture: what is printed on the page but belongs to no question. Logos and the boxes of a
binding margin go first, with the text inside them; running headers, page numbers and margin text
go once blanks and tables have had their lines."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from ocr_assets.figures import split_figure_text
from ocr_assets.reading_order import drop_page_furniture, in_side_margin, is_running_header

if TYPE_CHECKING:
    from ocr_assets.page_analysis import AnalysedPage, DocumentContext


def drop_logos(page: AnalysedPage, context: DocumentContext) -> AnalysedPage:
    """Adds `logos` (a figure repeated on many pages, boxes in a binding margin such as 座位号 □□,
    QR codes) and `figures` (the rest); the lines OCR read inside a logo leave the body."""
    logos = [box for box in page.found_figures
             if (page.index, box) in context.logos or in_side_margin(box, page.width) or box in page.qr_codes]
    figures = [box for box in page.found_figures if box not in logos]
    return replace(page, logos=logos, figures=figures, body=split_figure_text(page.text, logos)[0])


def drop_headers(page: AnalysedPage, context: DocumentContext) -> AnalysedPage:
    """Running headers (and the first page's titles when a later page repeats them), page numbers,
    binding-margin text and site watermarks leave the body."""
    titles = context.titles if page.index != context.first_page else []
    body = [line for line in page.text if not is_running_header(line, page.height, context.running, titles)]
    return replace(page, body=drop_page_furniture(body, page.width, page.height))
