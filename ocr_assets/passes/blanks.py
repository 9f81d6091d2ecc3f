"""Answer blanks: underlines and rows of answer boxes found on the page image, then written into the
line the OCR read across them."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from ocr_assets.blanks import ANSWER_BOX, drop_misread_boxes, find_answer_boxes, find_blanks, place_blanks
from ocr_assets.figures import split_figure_text
from ocr_assets.passes import scaled

if TYPE_CHECKING:
    from ocr_assets.page_analysis import AnalysedPage, DocumentContext


def find(page: AnalysedPage) -> AnalysedPage:
    """Adds `blanks` (page pixels) and `blanks_in_frame`; none without the page image."""
    if not page.image.decodable:
        return page
    lines = page.lines_in_frame
    spaces = find_blanks(page.image.gray(), lines) + find_answer_boxes(page.image.gray(), lines)
    return replace(page, blanks=scaled(spaces, 1 / page.scale), blanks_in_frame=spaces)


def place(page: AnalysedPage, context: DocumentContext) -> AnalysedPage:
    """A blank outside the figures goes into the text of the line it stands in; a row of answer boxes
    the OCR misread ("0000") replaces that misreading."""
    spaces = [blank for blank in page.blanks if not split_figure_text([blank], page.figures)[1]]
    body = drop_misread_boxes(page.text, [b for b in spaces if b.text.startswith(ANSWER_BOX)])
    return replace(page, body=place_blanks(body, spaces))
