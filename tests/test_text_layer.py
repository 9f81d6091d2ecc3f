"""Born-digital pages read from their text layer: line grouping on generated layouts, the verdict
that leaves scans and garbage layers to OCR, PDFs made here, the runtime hook, the real PDFs."""

from __future__ import annotations

import json
import random
import warnings
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from ocr_assets.evaluation import normalise
from ocr_assets.frames import write_frames
from ocr_assets.pages import enumerate_pages, load_page
from ocr_assets.structure import ocr_frames
from ocr_assets.text_layer import (
    OCR,
    SPLIT_GAP_EM,
    TEXT_LAYER,
    Glyph,
    classify_images,
    from_symbol_font,
    group_lines,
    is_suspect,
    layer_verdict,
    read_text_layer,
    reads_as_formula,
    scan_under_layer,
    uncovered_text_share,
)
from resources.engines.base import PageStructure, TextLine
from resources.hardware import derive_params, detect_hardware

EM = 24.0  # font height in pixels of the generated layouts


def typeset(text: str, x: float, y: float, em: float = EM, advance: float | None = None) -> list[Glyph]:
    """Glyphs of one line set from (x, y): CJK one em wide, Latin half; a space advances without a glyph."""
    glyphs, space = [], False
    for ch in text:
        width = advance or (em if ord(ch) > 0x2e80 else em / 2)
        if ch == " ":
            x += em / 3
            space = True
            continue
        band = (x, y, x + width, y + em)
        glyphs.append(Glyph(ch, (x + 1, y + 2, x + width - 1, y + em - 2), band, space))
        x += width
        space = False
    return glyphs


def random_words(rng: random.Random, n: int) -> str:
    pool = "下列说法正确的是化学变化实验溶液温度ABCDH2O"
    return "".join(rng.choice(pool) for _ in range(n))


@pytest.mark.parametrize("seed", range(12))
def test_two_columns_and_tab_stop_options_come_out_as_separate_lines_whatever_the_stream_order(seed):
    rng = random.Random(seed)
    em = rng.uniform(18, 34)
    gutter = rng.uniform(SPLIT_GAP_EM + 0.5, 6) * em
    expected, runs = [], []
    y = 50.0
    for row in range(rng.randint(4, 12)):
        left = f"{row + 1}. " + random_words(rng, rng.randint(3, 12))
        right = f"({row + 1})" + random_words(rng, rng.randint(2, 10))
        left_glyphs = typeset(left, 100, y, em)
        right_x = left_glyphs[-1].band[2] + gutter
        runs += [left_glyphs, typeset(right, right_x, y, em)]
        expected += [left, right]
        y += em * rng.uniform(1.3, 2.2)
    rng.shuffle(runs)  # a layer may write its runs in any order
    lines = group_lines([g for run in runs for g in run])
    assert sorted(line.text for line in lines) == sorted(expected)
    assert all(line.confidence == 1.0 for line in lines)


@pytest.mark.parametrize("seed", range(8))
def test_a_line_written_in_pieces_and_lowered_subscripts_stay_one_line(seed):
    rng = random.Random(100 + seed)
    em = rng.uniform(18, 34)
    head = typeset("2. 电解水产生的H", 80, 300, em)
    sub = typeset("2", head[-1].band[2], 300 + 0.3 * em, 0.6 * em)  # smaller, lowered
    tail = typeset("和O", sub[-1].band[2], 300, em)
    pieces = [head, sub, tail]
    rng.shuffle(pieces)
    lines = group_lines([g for piece in pieces for g in piece])
    assert [line.text for line in lines] == ["2. 电解水产生的H2和O"]
    x0, y0, x1, y1 = lines[0].bbox
    assert x0 <= head[0].box[0] and x1 >= tail[-1].box[2] and y1 >= sub[0].box[3]


def test_spaces_between_latin_words_none_between_typeset_chinese():
    glyphs = typeset("Cu-64 K-39", 0, 0)
    glyphs += typeset("重庆火锅", glyphs[-1].band[2] + 0.5 * EM, 0)  # a gap of half an em, no space in the layer
    x = glyphs[-1].band[2] + 0.6 * EM
    glyphs += [Glyph("x", (x + 1, 2, x + 11, 22), (x, 0, x + 12, 24))]
    assert [line.text for line in group_lines(glyphs)] == ["Cu-64 K-39 重庆火锅 x"]


@pytest.mark.parametrize("seed", range(6))
def test_a_vertical_rule_between_two_close_runs_splits_them_into_table_cells(seed):
    rng = random.Random(200 + seed)
    x, glyphs, expected, rules = 50.0, [], [], []
    for _ in range(rng.randint(2, 5)):
        cell = random_words(rng, rng.randint(1, 8))
        glyphs += typeset(cell, x, 100)
        expected.append(cell)
        gap = rng.uniform(0.2, 1.0) * EM  # closer than a column gap
        middle = glyphs[-1].band[2] + gap / 2
        rules.append((middle - 0.5, 90, middle + 0.5, 140))  # the cell border, the row's full height
        x = glyphs[-1].band[2] + gap
    assert [line.text for line in group_lines(glyphs, rules)] == expected
    assert len(group_lines(glyphs)) == 1  # without the rules it is one line
    short = [(r[0], 120, r[2], 125) for r in rules]  # a tick, not a border: no split
    assert len(group_lines(glyphs, short)) == 1


def test_rows_are_kept_apart_and_ordered_top_to_bottom():
    glyphs = typeset("第二行", 100, 200) + typeset("第一行", 100, 100) + typeset("第三行", 100, 300)
    assert [line.text for line in group_lines(glyphs)] == ["第一行", "第二行", "第三行"]


@pytest.mark.parametrize("text, expected", [
    ("", OCR),
    ("第一试卷网 提供下载", OCR),  # a footer is not a page's text
    ("重庆市2023年初中学业水平暨高中招生考试 化学试题（B卷） 注意事项：试题的答案书写在答题卡上", TEXT_LAYER),
    ("The quick brown fox jumps over the lazy dog, while the café owner smiles.", TEXT_LAYER),
    ("ÍÆ#(ØK)1õ œ (2016.06)Ã±: +°)1òK. z1, z2, z3 ¥¸†EÍ. ÍÆ ØK ÃÆ ÕÍ Øõ", OCR),  # a CJK font through a wrong map
    ("下列说法正确的是" * 3 + "\ue000\ue001\ue002\ue003\ue004", OCR),  # private-use codes
    ("下列说法正确的是" * 3 + "\x0e\x17\x02\x03\x01", OCR),  # control codes
    ("(cid:12)(cid:34) 下列说法正确的是下列说法正确的是", OCR),
])
def test_verdict_leaves_scans_and_garbage_layers_to_ocr(text, expected):
    read_by, reason = layer_verdict(text)
    assert read_by == expected, reason
    assert reason


def test_symbol_font_private_use_codes_read_as_their_characters():
    assert "".join(map(from_symbol_font, "2KClO\uf0ad \uf0b4 \uf044H \uf061 下")) == "2KClO↑ × ΔH α 下"
    assert is_suspect(from_symbol_font("\uf001")) and is_suspect(from_symbol_font("\ue000"))
    assert layer_verdict("下列说法正确的是" * 3 + "\uf0ad" * 10)[0] == TEXT_LAYER


def test_verdict_counts_characters_pdfium_could_not_map():
    text = "下列说法正确的是" * 5
    assert layer_verdict(text, unmapped=0)[0] == TEXT_LAYER
    assert layer_verdict(text, unmapped=10)[0] == OCR


def test_images_in_a_text_line_are_read_by_the_engine_larger_ones_are_figures_a_scan_under_its_layer_is_neither():
    glyphs = typeset("量分数为", 100, 500) + typeset("生成的个数比为", 100, 900)
    formula = (200, 490, 300, 540)  # beside 量分数为, about two lines tall
    drawing = (600, 100, 1000, 400)  # nothing on its rows
    assert classify_images([formula, drawing], glyphs, 1240, 1754) == ([drawing], [formula])
    page_scan = (0, 0, 1240, 1754)
    assert classify_images([page_scan], glyphs, 1240, 1754) == ([], [])
    assert classify_images([(10, 10, 14, 14)], glyphs, 1240, 1754) == ([], [])  # a speck


def glyph_ink(rows: list[tuple[int, int, int]], size=(1000, 800), em=20) -> tuple[np.ndarray, list[TextLine]]:
    """A page of glyph-sized ink marks: per row (y, x0, count), and one layer line over each row."""
    gray = np.full(size[::-1], 255, dtype=np.uint8)
    lines = []
    for y, x0, count in rows:
        for k in range(count):
            x = x0 + k * int(1.2 * em)
            gray[y: y + em, x: x + em - 4] = 0
        lines.append(TextLine("x" * count, (x0, y, x0 + count * int(1.2 * em), y + em), 1.0))
    return gray, lines


@pytest.mark.parametrize("seed", range(6))
def test_uncovered_share_counts_the_glyph_ink_no_layer_line_covers(seed):
    rng = random.Random(seed)
    rows = [(40 + 40 * i, rng.randint(20, 100), rng.randint(10, 30)) for i in range(rng.randint(6, 14))]
    gray, lines = glyph_ink(rows)
    assert uncovered_text_share(gray, lines, []) == 0.0
    missing = rng.randint(1, len(lines) - 1)
    expected = sum(r[2] for r in rows[:missing]) / sum(r[2] for r in rows)
    assert uncovered_text_share(gray, lines[missing:], []) == pytest.approx(expected)
    # a drawing's rules and large shapes are no glyphs; an image's own ink is the image's
    gray[700:705, 50:950] = 0
    gray[600:690, 600:700] = 0
    assert uncovered_text_share(gray, lines, []) == 0.0
    assert uncovered_text_share(gray, lines[missing:], [(0, 0, 1000, 39 + 40 * missing)]) == 0.0


def test_a_page_size_image_without_layer_text_is_a_scan_one_under_an_invisible_layer_is_not():
    footer = typeset("第一试卷网 Shijuan1.Com 提供下载", 300, 1700)
    assert scan_under_layer([(0, 0, 1240, 1690)], footer, 1240, 1754) == (0, 0, 1240, 1690)
    body = typeset("下列说法正确的是" * 4, 100, 300)  # an OCR'd scan's invisible text lies on its picture
    assert scan_under_layer([(0, 0, 1240, 1754)], footer + body, 1240, 1754) is None
    assert scan_under_layer([(100, 100, 600, 600)], footer, 1240, 1754) is None  # a figure


# ---- PDFs made here --------------------------------------------------------------------------

PAGE_LINES = [  # (x, y from the top, text) in inches on an A4 page; two columns and options at tab stops
    (1.0, 1.0, "1. Which of these changes is chemical?"),
    (1.0, 1.5, "A. cutting"), (3.0, 1.5, "B. washing"), (5.0, 1.5, "C. boiling"),
    (1.0, 2.2, "Left column text"), (4.6, 2.2, "Right column text"),
    (1.0, 2.7, "2. 下列说法正确的是"),
]


@pytest.fixture(scope="module")
def made_pdf(tmp_path_factory) -> Path:
    """Page 1 has a text layer (TrueType text); page 2 is only a picture, as a scan is."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    path = tmp_path_factory.mktemp("pdf") / "made.pdf"
    with warnings.catch_warnings(), matplotlib.rc_context({"pdf.fonttype": 42}):
        warnings.simplefilter("ignore")  # DejaVu has no CJK glyphs; the layer holds the characters all the same
        with PdfPages(path) as pdf:
            page = plt.figure(figsize=(8.27, 11.69), dpi=72)
            for x, y, text in PAGE_LINES:
                page.text(x / 8.27, 1 - y / 11.69, text, fontsize=12, family="DejaVu Sans", va="top")
            pdf.savefig(page)
            plt.close(page)
            scan = plt.figure(figsize=(8.27, 11.69), dpi=72)
            pixels = np.full((400, 300), 255, dtype=np.uint8)
            pixels[40:60, 30:270] = 0  # a dark bar where a scan would have a line of print
            scan.figimage(pixels, xo=100, yo=300, cmap="gray")
            pdf.savefig(scan)
            plt.close(scan)
            downloaded = plt.figure(figsize=(8.27, 11.69), dpi=72)  # a scan with a site's footer as its only text
            downloaded.figimage(np.full((700, 560), 230, dtype=np.uint8), xo=10, yo=80, cmap="gray", vmin=0, vmax=255)
            downloaded.text(0.3, 0.03, "Downloaded from an exam paper site, www.example.com", fontsize=10)
            pdf.savefig(downloaded)
            plt.close(downloaded)
    return path


def test_a_text_layer_page_reads_as_its_lines_with_boxes_over_the_ink(made_pdf):
    page = read_text_layer(str(made_pdf), 0, 150)
    assert page.read_by == TEXT_LAYER, page.reason
    assert sorted(line.text for line in page.lines) == sorted(text for _, _, text in PAGE_LINES)
    ref = enumerate_pages(made_pdf, pdf_dpi=150)[0]
    gray = np.asarray(load_page(ref).convert("L"))
    assert (page.width, page.height) == (gray.shape[1], gray.shape[0])
    ink = gray < 128
    covered = np.zeros_like(ink)
    for line in page.lines:
        x0, y0, x1, y1 = (int(round(v)) for v in line.bbox)
        covered[max(0, y0 - 2): y1 + 2, max(0, x0 - 2): x1 + 2] = True
        assert ink[y0:y1, x0:x1].any(), line.text
    assert ink[covered].sum() == ink.sum()  # every printed pixel lies in a line box
    by_text = {line.text: line for line in page.lines}
    for x, y, text in PAGE_LINES:  # where it was set: left edge and top in pixels at 150 dpi
        assert abs(by_text[text].x0 - x * 150) < 6 and abs(by_text[text].y0 - y * 150) < 12, text


def test_an_image_only_page_is_left_to_ocr(made_pdf):
    page = read_text_layer(str(made_pdf), 1, 150)
    assert page.read_by == OCR and "0 characters" in page.reason
    assert page.lines == []


def test_a_scan_whose_layer_is_a_footer_is_left_to_ocr(made_pdf):
    page = read_text_layer(str(made_pdf), 2, 150)
    assert page.read_by == OCR and "scan" in page.reason


def test_text_the_layer_lacks_on_the_page_image_sends_the_page_to_ocr(made_pdf):
    ref = enumerate_pages(made_pdf, pdf_dpi=150)[0]
    gray = np.asarray(load_page(ref).convert("L")).copy()
    assert read_text_layer(str(made_pdf), 0, 150, gray).read_by == TEXT_LAYER
    # the same lines printed again below, as outlines the layer does not hold
    gray[900:1400] = gray[100:600]
    page = read_text_layer(str(made_pdf), 0, 150, gray)
    assert page.read_by == OCR and "misses" in page.reason


def invisible_layer_over_a_scan(path: Path, marks_under_text: bool) -> Path:
    """A scan (an image the size of the page) under an invisible OCR text layer of two lines; the scan
    shows glyph-sized marks under those lines, or elsewhere (text the layer does not hold)."""
    import ctypes

    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c
    from PIL import Image, ImageDraw

    scan = Image.new("RGB", (595, 842), (250, 250, 250))  # one pixel per point
    draw = ImageDraw.Draw(scan)
    for row, marks in ((0, 25), (1, 15)):  # as long as the two lines
        top = 74 + 20 * row if marks_under_text else 400 + 20 * row
        for k in range(marks):
            draw.rectangle((72 + 8 * k, top, 72 + 8 * k + 5, top + 8), fill=(0, 0, 0))
    pdf = pdfium.PdfDocument.new()
    page = pdf.new_page(595, 842)
    image = pdfium.PdfImage.new(pdf)
    image.set_bitmap(pdfium.PdfBitmap.from_pil(scan))
    image.set_matrix(pdfium.PdfMatrix().scale(595, 842))
    page.insert_obj(image)
    for row, text in enumerate(["1. Which of these changes is chemical?", "A. cutting the vegetables"]):
        obj = pdfium_c.FPDFPageObj_NewTextObj(pdf, b"Helvetica", ctypes.c_float(12))
        wide = ctypes.create_string_buffer((text + "\x00").encode("utf-16-le"))
        pdfium_c.FPDFText_SetText(obj, ctypes.cast(wide, ctypes.POINTER(pdfium_c.FPDF_WCHAR)))
        pdfium_c.FPDFTextObj_SetTextRenderMode(obj, pdfium_c.FPDF_TEXTRENDERMODE_INVISIBLE)
        pdfium_c.FPDFPageObj_Transform(obj, 1, 0, 0, 1, 72, 760 - 20 * row)
        pdfium_c.FPDFPage_InsertObject(page, obj)
    page.gen_content()
    pdf.save(str(path))
    return path


@pytest.mark.parametrize("marks_under_text, read_by", [(True, TEXT_LAYER), (False, OCR)])
def test_an_invisible_ocr_layer_over_a_scan_is_used_where_it_covers_the_scans_text(tmp_path, marks_under_text, read_by):
    path = invisible_layer_over_a_scan(tmp_path / "scan.pdf", marks_under_text)
    ref = enumerate_pages(path, pdf_dpi=150)[0]
    gray = np.asarray(load_page(ref).convert("L"))
    page = read_text_layer(str(path), 0, 150, gray)
    assert page.read_by == read_by, page.reason
    if read_by == TEXT_LAYER:
        assert [l.text for l in page.lines] == ["1. Which of these changes is chemical?", "A. cutting the vegetables"]
        assert page.figures == [] and page.regions == []  # the scan itself is no figure


class EngineDouble:
    """Stands in for EnginePool: says which frames it was given."""

    instances = 1

    def __init__(self, text="read by the engine"):
        self.seen = []
        self.text = text

    def predict(self, frames):
        self.seen += [frame.shape for frame in frames]
        return [PageStructure(f.shape[1], f.shape[0], [TextLine(self.text, (10, 10, 200, 40), 0.9)], [], "double")
                for f in frames]

    def free_cache(self):
        pass


def test_text_layer_pages_skip_the_engine_and_come_back_in_page_order(made_pdf, tmp_path):
    refs = enumerate_pages(made_pdf, pdf_dpi=150)
    frames = write_frames(refs, tmp_path / "frames")
    params = derive_params(detect_hardware(), env={})
    engine = EngineDouble()
    results, stats, usage = ocr_frames(frames, engine, params, refs)
    assert [r.index for r in results] == [1, 2, 3] and all(r.status == "ok" for r in results)
    assert results[0].structure.engine == TEXT_LAYER
    assert sorted(l.text for l in results[0].structure.lines) == sorted(t for _, _, t in PAGE_LINES)
    assert [l.text for l in results[1].structure.lines] == ["read by the engine"]
    assert sorted(engine.seen) == [(f.height, f.width, 3) for f in frames[1:]]  # only the scanned pages
    assert usage["read_by"][1] == TEXT_LAYER and usage["read_by"][2].startswith(OCR) and usage["read_by"][3].startswith(OCR)
    assert stats.pages == 3 and stats.failed == 0
    from ocr_assets.pipeline import page_entries

    assert [p["read_by"] for p in page_entries(frames, results)] == [TEXT_LAYER, OCR, OCR]


def test_without_refs_every_page_goes_to_the_engine(made_pdf, tmp_path):
    refs = enumerate_pages(made_pdf, pdf_dpi=150)
    frames = write_frames(refs, tmp_path / "frames")
    engine = EngineDouble()
    results, _, usage = ocr_frames(frames, engine, derive_params(detect_hardware(), env={}))
    assert len(engine.seen) == 3 and all(r.structure.engine == "double" for r in results)
    assert set(usage["read_by"].values()) == {OCR}


def test_a_page_whose_layer_cannot_be_read_is_ocrd_not_lost(made_pdf, tmp_path, monkeypatch):
    import ocr_assets.structure as structure

    def broken(*args):
        raise RuntimeError("damaged content stream")

    monkeypatch.setattr(structure, "read_text_layer", broken)
    refs = enumerate_pages(made_pdf, pdf_dpi=150)
    frames = write_frames(refs, tmp_path / "frames")
    engine = EngineDouble()
    results, _, usage = ocr_frames(frames, engine, derive_params(detect_hardware(), env={}), refs)
    assert [r.status for r in results] == ["ok"] * 3 and len(engine.seen) == 3
    assert "damaged content stream" in usage["read_by"][1]


def formula_pdf(path: Path) -> Path:
    """A born-digital A4 page: two text lines, the first ending in a formula set as a picture."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    page = plt.figure(figsize=(8.27, 11.69), dpi=72)
    page.text(1.0 / 8.27, 1 - 2.0 / 11.69, "The mass fraction of the salt is", fontsize=12, va="top")
    page.text(1.0 / 8.27, 1 - 3.0 / 11.69, "3. Which of these gases is the lightest one?", fontsize=12, va="top")
    formula = np.full((24, 60), 255, dtype=np.uint8)
    formula[11:13, 5:55] = 0  # a fraction bar, as a picture
    page.figimage(formula, xo=300, yo=round(11.69 * 72 - 140 - 24), cmap="gray", vmin=0, vmax=255)
    page.savefig(path)
    plt.close(page)
    return path


def test_an_image_set_in_a_text_line_is_read_by_the_engine_and_its_lines_land_on_the_page(tmp_path):
    path = formula_pdf(tmp_path / "formula.pdf")
    refs = enumerate_pages(path, pdf_dpi=150)
    layer = read_text_layer(str(path), 0, 150)
    assert layer.read_by == TEXT_LAYER and len(layer.regions) == 1 and layer.figures == []
    x0, y0, x1, y1 = layer.regions[0]
    assert abs(x0 - 300 * 150 / 72) < 3 and abs(y0 - 140 * 150 / 72) < 3
    frames = write_frames(refs, tmp_path / "frames")
    engine = EngineDouble("20/(20+14+4)")
    results, _, usage = ocr_frames(frames, engine, derive_params(detect_hardware(), env={}), refs)
    assert usage["read_by"][1] == TEXT_LAYER
    # one engine call: the region (padded with paper), not the page
    assert len(engine.seen) == 1 and engine.seen[0][0] < 200 and engine.seen[0][1] < 200
    from_engine = [l for l in results[0].structure.lines if l.text == engine.text]
    assert len(from_engine) == 1 and results[0].structure.blocks == []
    # the double's line starts 10 px into the padded stack: that is REGION_PAD_PX - 10 px left of the image
    from ocr_assets.structure import REGION_PAD_PX
    assert from_engine[0].x0 == pytest.approx(round(x0) - REGION_PAD_PX + 10, abs=1)
    assert from_engine[0].y0 == pytest.approx(round(y0) - REGION_PAD_PX + 10, abs=1)
    # a picture the engine reads as no formula is a figure, its reading dropped
    results, _, _ = ocr_frames(frames, EngineDouble("C十"), derive_params(detect_hardware(), env={}), refs)
    assert [l.text for l in results[0].structure.lines if l.text == "C十"] == []
    assert [b.label for b in results[0].structure.blocks] == ["figure"]


def test_an_image_region_the_engine_fails_on_is_noted_and_kept_as_a_figure(tmp_path, made_pdf):
    class FailsOnRegions(EngineDouble):
        def read_lines(self, frames):
            raise RuntimeError("engine crashed")

    path = tmp_path / "formula.pdf"
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    page = plt.figure(figsize=(8.27, 11.69), dpi=72)
    page.text(1.0 / 8.27, 1 - 2.0 / 11.69, "The mass fraction of the salt is", fontsize=12, va="top")
    page.figimage(np.zeros((24, 60), dtype=np.uint8), xo=300, yo=round(11.69 * 72 - 140 - 24), cmap="gray")
    page.savefig(path)
    plt.close(page)
    refs = enumerate_pages(path, pdf_dpi=150)
    frames = write_frames(refs, tmp_path / "frames")
    results, stats, _ = ocr_frames(frames, FailsOnRegions(), derive_params(detect_hardware(), env={}), refs)
    assert results[0].status == "ok" and "engine crashed" in results[0].error
    assert [b.label for b in results[0].structure.blocks] == ["figure"]
    assert [l.text for l in results[0].structure.lines] == ["The mass fraction of the salt is"]
    assert stats.failed == 0


@pytest.mark.parametrize("text, confidence, formula", [
    ("20/(20+14+4)×100%", 0.95, True), ("Na2CO3", 0.9, True), ("ΔH=-57.3", 0.9, True),
    ("C十", 0.95, False), ("", 0.95, False), ("x+1", 0.5, False), ("溶质的质量", 0.99, False),
])
def test_what_an_image_in_a_text_line_reads_as_decides_formula_or_figure(text, confidence, formula):
    assert reads_as_formula([TextLine(text, (0, 0, 10, 10), confidence)] if text else []) is formula


# ---- the real born-digital PDFs in ../shared (skipped when absent) ----------------------------

def _real_pdf_ground_truths(evaldata: Path):
    for name in ("p04_chongqing2023_chem_B", "guangdong2022_zhongkao_chem_render", "guangzhou2022_zhongkao_chem_render",
                 "exammaster_test3_zhejiang2015_gaokao_chinese_render"):
        gt = json.loads((evaldata / "gt" / f"{name}.layout_questions.json").read_text(encoding="utf-8"))
        yield evaldata / gt["source_pdf"], gt


def test_real_born_digital_pages_read_from_their_layer_hold_exactly_the_ground_truth_characters(evaldata):
    """Ground truth: the same layers read by PyMuPDF. Characters compared as a multiset (line
    splitting differs between the two readers). Of ≈21,400, a mis-mapped footer dash and one dot
    differ, and two Symbol-font ↑ that the ground truth keeps as private-use codes (U+F0AD), so the
    tolerance is a few characters per paper, not a rate."""
    for pdf, gt in _real_pdf_ground_truths(evaldata):
        ours, theirs = Counter(), Counter()
        for gt_page in gt["pages"]:
            page = read_text_layer(str(pdf), gt_page["page"] - 1, gt["dpi"])
            assert page.read_by == TEXT_LAYER, (pdf.name, gt_page["page"], page.reason)
            assert abs(page.width - gt_page["width"]) <= 1 and abs(page.height - gt_page["height"]) <= 1
            ours.update(normalise("".join(line.text for line in page.lines)))
            theirs.update(normalise("".join(line["text"] for line in gt_page["lines"])))
        differing = (ours - theirs) + (theirs - ours)
        assert sum(differing.values()) <= 4, (pdf.name, differing)


def test_real_pdf_with_a_wrongly_mapped_layer_is_left_to_ocr(evaldata):
    pdf = evaldata / "source_docs" / "mineru_ordinary_textbook_1d9a8476.pdf"
    page = read_text_layer(str(pdf), 0, 150)
    assert page.read_by == OCR and "unreadable" in page.reason


def test_real_born_digital_paper_through_the_pipeline_with_the_real_engine(evaldata, tmp_path):
    """The Chongqing PDF end to end: every page read from its layer (the engine only reads images set
    in text lines, without its layout model), the 24 questions found, options exact."""
    from ocr_assets.pipeline import extract_paper
    from resources.ocr_engine import EngineSpec, get_worker

    pdf = evaldata / "source_docs" / "chongqing2023_zhongkao_chem_B_cropped.pdf"
    params = derive_params(detect_hardware(), env={})
    doc, stats, usage = extract_paper(pdf, "chongqing", get_worker(EngineSpec()), params, tmp_path, 150)
    assert [p["read_by"] for p in doc["pages"]] == [TEXT_LAYER] * 6 and stats.failed == 0
    assert [q["number"] for q in doc["questions"]] == [str(n) for n in range(1, 25)]
    q1 = doc["questions"][0]
    assert q1["stem"] == "重庆火锅备受追捧。下列火锅底料的制作过程中一定涉及化学变化的是"
    assert [o["text"] for o in q1["options"]] == ["刀切原料", "清水洗涤", "大火熬制", "成品装袋"]
