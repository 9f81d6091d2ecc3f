"""The page analysis as one chain of passes (ocr_assets/page_analysis.py): the passes run in their
order, each adds its part to the page, and each frame is decoded once per stage."""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np
import pytest
from PIL import Image

from ocr_assets.blanks import BLANK
from ocr_assets.frames import Frame
from ocr_assets.page_analysis import (
    IMAGE_PASSES,
    LINE_PASSES,
    PAGE_PASSES,
    AnalysedPage,
    DocumentContext,
    analyse_pages,
)
from ocr_assets.passes import blanks, figures, formulas, furniture, order, tables
from ocr_assets.pipeline import questions_from
from tests.figure_crops import crop_figures
from ocr_assets.runtime import PageResult
from resources.engines.base import PageStructure, TextLine

W, H = 1240, 1754


def glyphs(gray: np.ndarray, box: tuple) -> None:
    """Glyph-like ink under a text box: a small crossed square per character."""
    x0, y0, x1, y1 = (int(v) for v in box)
    em, x = y1 - y0, x0
    while x + em * 0.6 <= x1:
        cv2.rectangle(gray, (int(x + 2), y0 + 2), (int(x + em - 3), y1 - 2), 0, 1)
        cv2.line(gray, (int(x + 2), (y0 + y1) // 2), (int(x + em - 3), (y0 + y1) // 2), 0, 1)
        x += em


def exam_page(tmp_path, index: int = 1) -> tuple[PageStructure, Frame]:
    """A page with one of everything a pass looks for: a blank in a row, a drawing with its label, a ruled
    table, a formula piece read on its own beside its row, and a page-number footer."""
    gray = np.full((H, W), 255, dtype=np.uint8)
    n = 3 * (index - 1)  # page 2 holds questions 4-6, its drawing further right
    dx = 350 * (index - 1)
    lines = [
        TextLine(f"{n + 1}. {'空气' if index == 1 else '地壳'}中含量最多的气体是", (100, 100, 500, 130), 0.99),
        TextLine("。", (700, 100, 730, 130), 0.99),
        TextLine(f"{n + 2}. 如图所示，下列说法正确的是", (120, 540, 900, 575), 0.99),
        TextLine("石油", (300 + dx, 690, 345 + dx, 715), 0.9),  # a label inside the drawing
        TextLine("选项", (120, 1115, 200, 1145), 0.99), TextLine("实验目的", (320, 1115, 500, 1145), 0.99),
        TextLine("A", (120, 1175, 140, 1205), 0.99), TextLine("除去盐酸中的少量硫酸", (320, 1175, 700, 1205), 0.99),
        TextLine(f"{n + 3}. 若则等于", (100, 1400, 100 + 30 * 6, 1430), 0.95),
        TextLine("S₃=9", (100 + 30 * 3 + 2, 1397, 100 + 30 * 3 + 8, 1431.5), 0.95),  # in the row's gap
        TextLine("第1页 共2页", (560, 1700, 700, 1725), 0.99),
    ]
    for line in lines[:3]:
        glyphs(gray, line.bbox)
    cv2.line(gray, (520, 129), (690, 129), 0, 2)  # the blank between the two pieces of text
    cv2.circle(gray, (400 + dx, 700), 90, 0, 3)  # a drawing: circle with a diagonal
    cv2.line(gray, (330 + dx, 640), (470 + dx, 760), 0, 3)
    for y in (1100, 1160, 1220):
        cv2.line(gray, (100, y), (900, y), 0, 2)
    for x in (100, 300, 900):
        cv2.line(gray, (x, 1100), (x, 1220), 0, 2)
    path = tmp_path / f"page-{index:04d}.png"
    Image.fromarray(gray).convert("RGB").save(path)
    frame = Frame(index, f"p{index}.png", str(path), W, H, 150, 1.0, None, "ok")
    return PageStructure(W, H, lines, [], "test"), frame


def texts(lines) -> list[str]:
    return [line.text for line in lines]


def test_the_chain_is_image_passes_then_line_passes_in_this_order():
    assert PAGE_PASSES == IMAGE_PASSES + LINE_PASSES
    assert IMAGE_PASSES == (figures.find, blanks.find, tables.find)  # tables read the blanks in their cells
    assert LINE_PASSES == (furniture.drop_logos, figures.take_labels, blanks.place, tables.place,
                           furniture.drop_headers, formulas.join, order.reading)


def test_each_pass_adds_its_part_to_the_page(tmp_path):
    structure, frame = exam_page(tmp_path)
    page = AnalysedPage.of(1, structure, frame)

    page = figures.find(page)
    [drawing] = page.found_figures
    assert drawing[0] <= 312 and drawing[1] <= 612 and drawing[2] >= 488 and drawing[3] <= 1100
    assert page.qr_codes == [] and page.blanks == [] and page.tables == []
    page = blanks.find(page)
    [blank] = page.blanks
    assert blank.text == BLANK and 515 <= blank.x0 <= 525 and page.tables == []
    page = tables.find(page)
    [table] = page.tables
    assert table.rows == [["选项", "实验目的"], ["A", "除去盐酸中的少量硫酸"]]
    assert page.body is None  # the image passes leave the lines alone

    context = DocumentContext.of([page])
    page = furniture.drop_logos(page, context)
    assert page.logos == [] and page.figures == [drawing] and texts(page.body) == texts(structure.lines)
    page = figures.take_labels(page, context)
    assert "石油" not in texts(page.body)
    assert not any(BLANK in text for text in texts(page.body))
    page = blanks.place(page, context)
    assert [text for text in texts(page.body) if BLANK in text] == [BLANK]  # on its row, between the two texts
    page = tables.place(page, context)
    assert table.markdown() in texts(page.body) and "实验目的" not in texts(page.body)
    page = furniture.drop_headers(page, context)
    assert "第1页 共2页" not in texts(page.body)
    page = formulas.join(page, context)
    assert "3. 若S₃=9则等于" in texts(page.body) and "S₃=9" not in texts(page.body)
    assert page.ordered is None
    page = order.reading(page, context)
    assert sorted(texts(page.ordered)) == sorted(texts(page.body))
    assert texts(page.ordered)[0].startswith("1. 空气")


def test_a_pass_is_pure_it_returns_a_new_page_and_leaves_its_input_alone(tmp_path):
    structure, frame = exam_page(tmp_path)
    before = AnalysedPage.of(1, structure, frame)
    after = figures.find(before)
    assert before.found_figures == [] and after.found_figures
    context = DocumentContext.of([after])
    dropped = furniture.drop_headers(after, context)
    assert after.body is None and "第1页 共2页" not in texts(dropped.body)


def test_image_passes_run_page_by_page_before_any_line_pass_and_the_context_sees_every_page(tmp_path):
    """A figure at one place on every page is a logo: the document context is gathered from all pages'
    image passes, before the first line pass."""
    calls = []
    logo = (50.0, 50.0, 150.0, 150.0)

    def finds(page):
        calls.append(("find", page.index, page.image.decodable))
        return replace(page, found_figures=[logo, (400.0, 300.0 * page.index, 500.0, 300.0 * page.index + 100)])

    def drops(page, context):
        calls.append(("line", page.index, None))
        return furniture.drop_logos(page, context)

    pages = []
    for index in (1, 2, 3):
        structure, frame = exam_page(tmp_path, index)
        pages.append(AnalysedPage.of(index, structure, frame))
    pages[0].image.gray()  # decoded: the runner lets it go before the next page
    done = analyse_pages(pages, image_passes=(finds,), line_passes=(drops,))
    assert [c[:2] for c in calls] == [("find", 1), ("find", 2), ("find", 3), ("line", 1), ("line", 2), ("line", 3)]
    assert pages[0].image._image is None and pages[0].image._gray is None
    assert all(page.logos == [logo] and len(page.figures) == 1 for page in done)


def _count_opens(monkeypatch) -> list[str]:
    opened = []
    real_open = Image.open

    def counting(path, *args, **kwargs):
        opened.append(str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(Image, "open", counting)
    return opened


def test_stage_4_decodes_each_frame_once_for_all_its_passes_and_its_figure_crops(tmp_path, monkeypatch):
    pages = [exam_page(tmp_path, index) for index in (1, 2)]
    results = [PageResult(frame.index, "ok", structure) for structure, frame in pages]
    frames = [frame for _, frame in pages]
    opened = _count_opens(monkeypatch)
    questions = questions_from(results, frames, tmp_path / "figures")
    assert sorted(opened) == sorted(frame.path for frame in frames)
    saved = [figure for q in questions for figure in q["figures"]]
    assert len(saved) == 2 and all(figure["image"] for figure in saved)
    # the crops cut during the analysis are the ones cut from the frame files afterwards
    crop_figures(questions, {f.index: f for f in frames}, tmp_path / "again")
    for figure in saved:
        name = figure["image"].split("/", 1)[1]
        assert (tmp_path / "figures" / name).read_bytes() == (tmp_path / "again" / name).read_bytes()


def test_without_a_frame_the_image_passes_find_only_layout_figures(tmp_path, monkeypatch):
    structure, _ = exam_page(tmp_path)
    opened = _count_opens(monkeypatch)
    [page] = analyse_pages([AnalysedPage.of(1, structure, None)])
    assert opened == [] and page.found_figures == [] and page.blanks == [] and page.tables == []
    assert page.ordered


def test_stage_3_checks_a_text_layer_and_cuts_its_image_regions_from_one_decode(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    from ocr_assets.frames import write_frames
    from ocr_assets.pages import enumerate_pages
    from ocr_assets.structure import ocr_frames
    from ocr_assets.text_layer import TEXT_LAYER
    from resources.hardware import derive_params, detect_hardware
    from tests.test_text_layer import EngineDouble, formula_pdf

    path = formula_pdf(tmp_path / "formula.pdf")
    refs = enumerate_pages(path, pdf_dpi=150)
    frames = write_frames(refs, tmp_path / "frames")
    opened = _count_opens(monkeypatch)
    engine = EngineDouble("20/(20+14+4)")
    results, _, usage = ocr_frames(frames, engine, derive_params(detect_hardware(), env={}), refs)
    assert usage["read_by"][1] == TEXT_LAYER and len(engine.seen) == 1  # the region stack, read
    assert [l.text for l in results[0].structure.lines].count(engine.text) == 1
    assert opened == [frames[0].path]  # the ink check and the region stack: one decode

