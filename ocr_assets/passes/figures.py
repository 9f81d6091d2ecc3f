"""Figures: found on the page image (layout-model figures and drawings, grown over their labels),
then their labels taken out of the text a question reads."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from ocr_assets.figures import find_figures, is_qr_code, split_figure_text

if TYPE_CHECKING:
    from ocr_assets.page_analysis import AnalysedPage, DocumentContext


def crop_box(bbox, scale: float) -> tuple[int, int, int, int]:
    """A figure's box (page pixels) as the frame pixels its crop takes."""
    x0, y0, x1, y1 = (v * scale for v in bbox)
    return int(x0), int(y0), int(x1 + 0.5), int(y1 + 0.5)


def find(page: AnalysedPage) -> AnalysedPage:
    """Adds `found_figures` (every figure, page pixels), `figures_in_frame`, `qr_codes` (figures that
    decode as a QR code) and, with `keep_crops`, each figure's crop from the frame file."""
    scale = page.scale
    gray = page.image.gray() if page.image.decodable else None
    found = find_figures(gray, page.lines_in_frame, page.blocks_in_frame, page.width * scale, page.height * scale)
    figures = [tuple(round(v / scale, 1) for v in box) for box in found]
    codes = [] if gray is None else [box for box, in_frame in zip(figures, found) if is_qr_code(gray, in_frame)]
    crops = {}
    if page.keep_crops and page.image.decodable:
        for box in figures:  # as attach_figures rounds a figure's box
            key = tuple(round(v) for v in box)
            crops[key] = page.image.image().crop(crop_box(key, scale))
    return replace(page, found_figures=figures, figures_in_frame=found, qr_codes=codes, crops=crops)


def take_labels(page: AnalysedPage, context: DocumentContext) -> AnalysedPage:
    """The lines inside a question figure (diagram labels, chart axes) leave the body."""
    return replace(page, body=split_figure_text(page.text, page.figures)[0])
