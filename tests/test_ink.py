"""Uncovered text-like ink (ocr_assets/ink.py) on generated formula pages: what no line box covers is
found where the formulas were drawn, figures and rules never count, and a second read through the
real engine brings the formula text back."""

import numpy as np
import pytest
from PIL import ImageDraw

from ocr_assets.ink import group_boxes, pack_regions, recover_uncovered_ink, uncovered_ink, unpack_lines
from resources.engines.base import Block, PageStructure, TextLine, boxes_overlap
from tests.formula_pages import italic_font_path, render_formula_page

pytestmark = pytest.mark.skipif(italic_font_path() is None, reason="no italic Latin font (DejaVu/Liberation Serif Italic)")


def row_lines(page, pad=2.0):
    return [TextLine(text, (x0 - pad, y0 - pad, x1 + pad, y1 + pad), 0.99) for text, (x0, y0, x1, y1) in page.rows]


def lines_missing_formulas(page):
    """Line boxes around the Chinese segments of each row only: as if the detector had missed the
    italic, raised and lowered formula runs between them."""
    lines = []
    for text, (x0, y0, x1, y1) in page.rows:
        inside = [b for b in page.formula_boxes if y0 - 20 <= b[1] <= y1]
        if not inside:
            lines.append(TextLine(text, (x0, y0, x1, y1), 0.99))
            continue
        cuts = sorted(inside)
        x = x0
        for bx0, _, bx1, _ in cuts:
            if bx0 - 1 > x:
                lines.append(TextLine("segment", (x, y0, bx0 - 1, y1), 0.99))
            x = bx1 + 1
        lines.append(TextLine("segment", (x, y0, x1, y1), 0.99))
    return lines


@pytest.mark.parametrize("seed", range(4))
def test_rows_covered_by_their_lines_leave_no_text_ink(seed):
    page = render_formula_page(seed)
    report = uncovered_ink(np.asarray(page.image), row_lines(page))
    assert report.text_ink_px > 0
    assert report.uncovered_components == 0 and report.uncovered_share == 0.0


@pytest.mark.parametrize("seed", range(4))
def test_missed_formulas_are_found_where_they_were_drawn(seed):
    page = render_formula_page(seed)
    report = uncovered_ink(np.asarray(page.image), lines_missing_formulas(page))
    assert report.uncovered_components >= len(page.formula_boxes)
    assert 0.0 < report.uncovered_share < 0.3
    found = [f for f in page.formula_boxes if any(boxes_overlap(f, region) for region in report.regions)]
    assert len(found) >= 0.8 * len(page.formula_boxes)  # a narrow italic letter may sit in a box's padding
    for region in report.regions:  # and nowhere else
        assert any(boxes_overlap(formula, region) for formula in page.formula_boxes)


def test_figures_and_rules_are_not_text_ink():
    page = render_formula_page(0)
    image = page.image.copy()
    draw = ImageDraw.Draw(image)
    draw.line((100, 1200, 1100, 1200), fill="black", width=3)  # a rule
    draw.line((900, 700, 900, 1100), fill="black", width=2)
    figure = (200, 1300, 700, 1650)
    draw.ellipse((250, 1350, 450, 1550), outline="black", width=2)
    from ocr_assets.sample_paper import find_cjk_font

    label_font = find_cjk_font().load(24)
    for x in range(470, 690, 30):  # axis labels of a chart: text-size ink, inside a figure
        draw.text((x, 1600), "12", font=label_font, fill="black")
    for x in range(120, 600, 34):  # a row of answer boxes □□□ and a table's short vertical edges
        draw.rectangle((x, 1100, x + 26, 1126), outline="black", width=2)
        draw.line((x, 1140, x, 1175), fill="black", width=1)
    lines = row_lines(page)
    report = uncovered_ink(np.asarray(image), lines, [Block("figure", figure, 0.9)])
    assert report.uncovered_components == 0
    without_figure_block = uncovered_ink(np.asarray(image), lines)
    assert without_figure_block.uncovered_components > 0  # the same ink counts once no block says figure


def test_group_boxes_merges_neighbours_only():
    boxes = [(0, 0, 10, 10), (15, 0, 25, 10), (100, 0, 110, 10), (0, 50, 10, 60)]
    assert group_boxes(boxes, 8, 4) == [(0, 0, 25, 10), (100, 0, 110, 10), (0, 50, 10, 60)]


def test_pack_and_unpack_map_canvas_lines_back_to_the_page():
    image = np.full((400, 600, 3), 255, np.uint8)
    regions = [(100, 50, 160, 80), (300, 200, 420, 240)]
    canvas, placements = pack_regions(image, regions, margin=10)
    assert canvas is not None and len(placements) == 2
    found = []
    for place, (x0, y0, x1, y1) in zip(placements, regions):  # a line exactly on each region, in canvas pixels
        dx, dy = 24 - place.page_box[0], place.canvas_y - place.page_box[1]
        found.append(TextLine("aₙ", (x0 + dx, y0 + dy, x1 + dx, y1 + dy), 0.9))
    assert [l.bbox for l in unpack_lines(found, placements)] == [tuple(map(float, r)) for r in regions]


def test_a_second_read_through_the_engine_recovers_the_missed_formulas():
    from resources.engines.rapid import RapidEngine, RapidSettings

    engine = RapidEngine(RapidSettings(use_layout=False))
    engine.load()
    page = render_formula_page(3)
    image = np.asarray(page.image)
    lines = lines_missing_formulas(page)
    structure = PageStructure(image.shape[1], image.shape[0], lines, [], "rapidocr")
    recovered, report, added = recover_uncovered_ink(image, structure, engine.read_lines)
    engine.close()
    assert report.uncovered_components > 0
    assert len(recovered.lines) == len(lines) + len(added)
    read = "".join(line.text for line in added)
    letters = sum(ch.isalnum() for ch in read)
    assert letters >= len(page.formula_boxes)  # at least a letter or digit per missed run
    for line in added:  # every added line lies on a missed formula
        assert any(boxes_overlap(line.bbox, formula) for formula in page.formula_boxes)


def test_a_label_in_a_drawing_away_from_the_rows_is_measured_but_not_re_read():
    page = render_formula_page(1)
    image = page.image.copy()
    from ocr_assets.sample_paper import find_cjk_font

    ImageDraw.Draw(image).text((900, 1400), "T7", font=find_cjk_font().load(26), fill="black")  # no block says figure
    report = uncovered_ink(np.asarray(image), row_lines(page))
    assert report.uncovered_components > 0 and report.regions == []


@pytest.mark.parametrize("seed", range(3))
def test_a_long_run_missed_between_two_found_pieces_of_a_row_is_re_read_whole(seed):
    # the detector found only each row's first and last few characters: the middle of the row stands far
    # from both (more than ROW_REACH line heights), yet it continues them along the row
    page = render_formula_page(seed)
    lines, middles = [], []
    for text, (x0, y0, x1, y1) in page.rows:
        if x1 - x0 < 400:
            lines.append(TextLine(text, (x0 - 2, y0 - 2, x1 + 2, y1 + 2), 0.99))
            continue
        lines += [TextLine("head", (x0 - 2, y0 - 2, x0 + 80, y1 + 2), 0.99),
                  TextLine("tail", (x1 - 80, y0 - 2, x1 + 2, y1 + 2), 0.99)]
        middles.append((x0 + 80, y0, x1 - 80, y1))
    assert middles
    report = uncovered_ink(np.asarray(page.image), lines)
    for x0, y0, x1, y1 in middles:
        on_row = [r for r in report.regions if r[1] < y1 and r[3] > y0]
        assert on_row and min(r[0] for r in on_row) <= x0 + 30 and max(r[2] for r in on_row) >= x1 - 30
        covered = sum(max(0.0, min(r[2], x1) - max(r[0], x0)) for r in on_row)
        assert covered >= 0.8 * (x1 - x0)  # the middle too, not only the ink beside the two pieces
