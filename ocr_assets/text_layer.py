"""A born-digital PDF page read from its text layer instead of OCR.

The layer's characters and boxes become the same TextLines the engine gives (page pixels at the
render dpi, y down, confidence 1.0), grouped into lines as a reader sees them. A page is left to OCR
when its layer is missing or unreadable (wrong ToUnicode maps, private-use or control characters),
when the page is rotated, when a page-size image holds no layer text (a scan with a site's footer),
or when the page image shows glyph ink the layer does not cover (text drawn as outlines). A scan
under an invisible OCR layer is read from that layer. An image set in a line of text (a formula as
a picture) is what the layer lacks: it is returned as a region for the engine to read; other images
become figure blocks, so a text-layer page needs no layout model.
"""

from __future__ import annotations

import bisect
import math
import re
import time
import unicodedata
from dataclasses import dataclass, field
from statistics import median
from typing import Callable

import numpy as np

from ocr_assets.pages import _PDFIUM_LOCK  # PDFium is not thread-safe: one lock with the renders
from resources.engines.base import BBox, Block, TextLine

TEXT_LAYER = "text_layer"  # PageStructure.engine and pages[].read_by of a page read this way
OCR = "ocr"
MIN_LAYER_CHARS = 20  # fewer visible characters: a scan, a cover picture or a blank page; OCR it
MAX_SUSPECT_SHARE = 0.05  # more unmappable/private-use/control characters than this: a garbage layer
MAX_ACCENTED_SHARE = 0.25  # Latin-1 letters (ÍÆØ…) as a quarter of the letters: a CJK font read through a wrong map
ROW_OVERLAP = 0.5  # two characters share a row when their font boxes overlap this much of the smaller height
SPACE_GAP_EM = 0.25  # a wider gap between two characters on a line is a space
SPLIT_GAP_EM = 2.0  # a wider gap is two lines: columns, or options set at tab stops
LINE_PAD_PX = 1.0  # ink boxes are tight; the engine's boxes hold a pixel or two of paper
FULL_PAGE_IMAGE_SHARE = 0.5  # an image this large under the text is a scan with an invisible layer
INLINE_IMAGE_EM = 4.0  # an image in a text line no taller than this many font heights is part of the text
IMAGE_TEXT_CHARS = 3  # an image with this many layer characters over it is read already
MIN_REGION_PX = 8  # smaller images (rules, bullets) hold no text
INK_LEVEL = 160  # grey level below which a pixel is printed
GLYPH_MIN_EM, GLYPH_MAX_EM = 0.35, 1.5  # an ink mark of a glyph's size, in line heights
MAX_UNCOVERED_SHARE = 0.1  # more of those marks outside the layer's lines and images: OCR the page (36 real text-layer pages: 0.0)
RULE_MAX_WIDTH_PT, RULE_MIN_HEIGHT_PT = 2.0, 6.0  # a path this thin and tall is a vertical rule
MAX_GLYPH_STRETCH = 3.0  # a letter's ink this many times wider than its font is tall is not printed text


@dataclass(frozen=True)
class Glyph:
    """One character of the layer in page pixels (y down)."""

    text: str
    box: BBox  # the ink, tight
    band: BBox  # the font's box: decides rows and gaps, the same for every character of a font
    space_before: bool = False  # the layer has a space (its own or PDFium's) just before it


@dataclass
class TextLayerPage:
    width: int
    height: int
    lines: list[TextLine] = field(default_factory=list)
    figures: list[BBox] = field(default_factory=list)  # images that are figures
    regions: list[BBox] = field(default_factory=list)  # images in text lines, to OCR: what the layer lacks
    read_by: str = OCR
    reason: str = ""
    chars: int = 0
    elapsed_s: float = 0.0

    def blocks(self) -> list[Block]:
        return [Block("figure", box, 1.0) for box in self.figures]


# Word's Symbol font puts its characters at U+F020–F0FF (private use): the common ones of exam papers,
# by their Symbol-encoding byte (the gas ↑ and precipitate ↓ of a chemical equation, ×, ≤, Greek)
SYMBOL_FONT = dict(zip(
    [0xAD, 0xAF, 0xAE, 0xAC, 0xAB, 0xB4, 0xB8, 0xB1, 0xA3, 0xB3, 0xB9, 0xBB, 0xB0, 0xD6, 0xA5, 0xBA, 0xB7, 0x2D, 0x3D,
     0x2B, 0x44, 0x57, 0x61, 0x62, 0x67, 0x64, 0x65, 0x71, 0x6C, 0x6D, 0x70, 0x72, 0x73, 0x66, 0x77, 0xD0, 0xE5, 0x5C, 0x5E],
    "↑↓→←↔×÷±≤≥≠≈°√∞≡•−=+ΔΩαβγδεθλμπρσφω∠∑∴⊥",
))


def from_symbol_font(ch: str) -> str:
    """The character a Symbol-font private-use code stands for; any other character as it is."""
    code = ord(ch)
    return SYMBOL_FONT.get(code - 0xF000, ch) if 0xF020 <= code <= 0xF0FF else ch


def is_cjk(ch: str) -> bool:
    return "\u2e80" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" or "\uff00" <= ch <= "\uffef" or "\u3000" <= ch <= "\u303f"


def is_suspect(ch: str) -> bool:
    """A character no printed page means: private use, unassigned, a control code, U+FFFD."""
    category = unicodedata.category(ch)
    return category in ("Co", "Cn", "Cs") or (category == "Cc" and ch not in "\t\n\r") or ch == "\ufffd"


def layer_verdict(text: str, unmapped: int = 0) -> tuple[str, str]:
    """(read_by, reason) from the layer's visible characters: enough of them, and readable."""
    visible = [from_symbol_font(ch) for ch in text if not ch.isspace()]
    if len(visible) < MIN_LAYER_CHARS:
        return OCR, f"text layer holds {len(visible)} characters (< {MIN_LAYER_CHARS}): scanned or image page"
    if "(cid:" in text:
        return OCR, "text layer has (cid:…) placeholders: its fonts have no Unicode map"
    suspect = sum(1 for ch in visible if is_suspect(ch)) + unmapped
    if suspect > MAX_SUSPECT_SHARE * len(visible):
        return OCR, f"text layer unreadable: {suspect} of {len(visible)} characters unmapped, private-use or control codes"
    letters = [ch for ch in visible if ch.isalpha()]
    accented = sum(1 for ch in letters if "\u00c0" <= ch <= "\u024f")
    if letters and accented > MAX_ACCENTED_SHARE * len(letters):
        return OCR, f"text layer unreadable: {accented} of {len(letters)} letters are accented Latin (a wrong ToUnicode map)"
    return TEXT_LAYER, "text layer"


def _rows_overlap(a: BBox, b: BBox) -> bool:
    overlap = min(a[3], b[3]) - max(a[1], b[1])
    return overlap >= ROW_OVERLAP * max(min(a[3] - a[1], b[3] - b[1]), 1e-6)


def _union(a: BBox, b: BBox) -> BBox:
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


@dataclass
class _Run:
    glyphs: list[Glyph]
    band: BBox
    box: BBox
    heights: list[float] = field(default_factory=list)  # the glyphs' font heights, sorted: the median is the run's em

    def __post_init__(self) -> None:
        self.heights = sorted(g.band[3] - g.band[1] for g in self.glyphs)

    @property
    def em(self) -> float:
        return median(self.heights) if len(self.heights) < 3 else self.heights[len(self.heights) // 2]

    def add(self, glyph: Glyph) -> None:
        self.glyphs.append(glyph)
        bisect.insort(self.heights, glyph.band[3] - glyph.band[1])
        self.band, self.box = _union(self.band, glyph.band), _union(self.box, glyph.box)


def _needs_space(left: Glyph, right: Glyph, gap: float, em: float) -> bool:
    if right.space_before:
        return True
    # typeset CJK is spaced by the layout, not by spaces; a reader (and the engine) sees none
    return gap > SPACE_GAP_EM * em and not (is_cjk(left.text[-1]) and is_cjk(right.text[0]))


def _text(run: _Run) -> str:
    em = run.em
    parts = [run.glyphs[0].text]
    for left, right in zip(run.glyphs, run.glyphs[1:]):
        if _needs_space(left, right, right.band[0] - left.band[2], em):
            parts.append(" ")
        parts.append(right.text)
    return re.sub(r" {2,}", " ", "".join(parts)).strip()


def _ruled_between(left: BBox, right: BBox, rules: list[BBox]) -> bool:
    """A vertical rule (a table's cell border) stands in the gap between two boxes of one row."""
    x0, x1 = min(left[2], right[0]), max(left[2], right[0])
    top, bottom = max(left[1], right[1]), min(left[3], right[3])
    return any(x0 - 1 <= (r[0] + r[2]) / 2 <= x1 + 1 and r[1] <= top + 1 and r[3] >= bottom - 1 for r in rules)


def group_lines(glyphs: list[Glyph], rules: list[BBox] = ()) -> list[TextLine]:
    """Characters -> lines: runs in the layer's order while they stay on one row and close, then runs
    that share a row and stand close are joined (a layer written out of order); a wide gap or a
    vertical rule keeps two runs apart (two columns, options at tab stops, table cells). Lines come
    top to bottom, left to right."""
    rules = list(rules)
    runs: list[_Run] = []
    for glyph in glyphs:
        if not glyph.text.strip():
            continue
        last = runs[-1] if runs else None
        if last is not None and _rows_overlap(last.band, glyph.band):
            gap, em = glyph.band[0] - last.band[2], last.em
            if -0.5 * em <= gap <= SPLIT_GAP_EM * em and not (rules and _ruled_between(last.glyphs[-1].band, glyph.band, rules)):
                last.add(glyph)
                continue
        runs.append(_Run([glyph], glyph.band, glyph.box))
    runs = _join_runs_on_a_row(runs, rules)
    runs.sort(key=lambda r: (round(r.band[1]), r.band[0]))
    lines = []
    for run in runs:
        text = _text(run)
        if text:
            x0, y0, x1, y1 = run.box
            box = (x0 - LINE_PAD_PX, y0 - LINE_PAD_PX, x1 + LINE_PAD_PX, y1 + LINE_PAD_PX)
            lines.append(TextLine(text, tuple(round(v, 1) for v in box), 1.0))
    return lines


def _join_runs_on_a_row(runs: list[_Run], rules: list[BBox]) -> list[_Run]:
    """Join runs that sit on one row with a gap of less than SPLIT_GAP_EM and no rule, left to right."""
    runs = sorted(runs, key=lambda r: r.band[0])
    joined: list[_Run] = []
    for run in runs:
        for target in joined:
            if not _rows_overlap(target.band, run.band):
                continue
            gap, em = run.band[0] - target.band[2], max(target.em, run.em)
            if -0.5 * em <= gap <= SPLIT_GAP_EM * em and not (rules and _ruled_between(target.band, run.band, rules)):
                for glyph in run.glyphs:
                    target.add(glyph)
                break
        else:
            joined.append(run)
    return joined


def classify_images(images: list[BBox], glyphs: list[Glyph], width: float, height: float) -> tuple[list[BBox], list[BBox]]:
    """(figures, regions to OCR) among a page's images. An image the layer's text already covers (a
    scan under an invisible OCR layer) is neither. An image set in a line of text, no taller than a
    few lines (a formula or a molecule set as a picture), holds what the layer lacks: the engine reads
    it. Any other image is a figure, whose labels the figure code needs no engine for."""
    ems = [g.band[3] - g.band[1] for g in glyphs]
    em = median(ems) if ems else 0.0
    figures, regions = [], []
    for box in images:
        x0, y0, x1, y1 = max(box[0], 0.0), max(box[1], 0.0), min(box[2], width), min(box[3], height)
        if x1 - x0 < MIN_REGION_PX or y1 - y0 < MIN_REGION_PX:
            continue
        box = (x0, y0, x1, y1)
        if _glyphs_inside(box, glyphs) >= IMAGE_TEXT_CHARS and (x1 - x0) * (y1 - y0) >= FULL_PAGE_IMAGE_SHARE * width * height:
            continue  # the page is a scan and the layer is its text
        beside = any(g.box[1] < y1 and g.box[3] > y0 and (g.box[2] <= x0 or g.box[0] >= x1) for g in glyphs)
        if beside and y1 - y0 <= INLINE_IMAGE_EM * em:
            regions.append(box)
        else:
            figures.append(box)
    return figures, regions


FORMULA_CHARS = set("0123456789+-−×÷=()（）[].,/%^<>≤≥±√∞°′'·:：△Δ↑↓→⇌ ") | set("₀₁₂₃₄₅₆₇₈₉⁰¹²³⁴⁵⁶⁷⁸⁹")
MIN_FORMULA_CONFIDENCE = 0.8


def reads_as_formula(lines: list[TextLine]) -> bool:
    """The engine's reading of an image set in a text line is a formula (20/(20+14+4)×100%, Na₂CO₃),
    read confidently: keep it as text. Anything else (a drawing read as "C十", a molecule read as
    nothing) makes the image a figure."""
    text = "".join(line.text for line in lines).replace(" ", "")
    if not text or any(line.confidence < MIN_FORMULA_CONFIDENCE for line in lines):
        return False
    formula = sum(1 for ch in text if ch in FORMULA_CHARS or ch.isascii() and ch.isalpha() or "\u0391" <= ch <= "\u03c9")
    return formula >= 0.8 * len(text)


def _glyphs_inside(box: BBox, glyphs: list[Glyph]) -> int:
    x0, y0, x1, y1 = box
    return sum(1 for g in glyphs if x0 <= (g.box[0] + g.box[2]) / 2 <= x1 and y0 <= (g.box[1] + g.box[3]) / 2 <= y1)


def scan_under_layer(images: list[BBox], glyphs: list[Glyph], width: float, height: float) -> BBox | None:
    """A page-size image no layer text lies on: the page is a scan whose layer holds only furniture
    (a download site's footer); its text is in the picture."""
    for box in images:
        area = max(0.0, min(box[2], width) - max(box[0], 0.0)) * max(0.0, min(box[3], height) - max(box[1], 0.0))
        if area >= FULL_PAGE_IMAGE_SHARE * width * height and _glyphs_inside(box, glyphs) < IMAGE_TEXT_CHARS:
            return box
    return None


def page_glyphs(page, scale: float) -> tuple[list[Glyph], int, str]:
    """The page's characters in page pixels (y down), how many PDFium could not map to Unicode, and
    the layer's text as PDFium reads it. The caller holds the PDFium lock."""
    import pypdfium2.raw as pdfium_c

    left, _, _, top = page.get_cropbox()
    textpage = page.get_textpage()
    try:
        count = textpage.count_chars()
        glyphs, unmapped, space = [], 0, False
        for index in range(count):
            ch = from_symbol_font(chr(pdfium_c.FPDFText_GetUnicode(textpage, index)))
            if ch.isspace() or ch == "\x00":
                space = space or ch in " \u3000\t"
                continue
            unmapped += pdfium_c.FPDFText_HasUnicodeMapError(textpage, index) == 1
            l, b, r, t = textpage.get_charbox(index)
            ll, lb, lr, lt = textpage.get_charbox(index, loose=True)
            box = ((l - left) * scale, (top - t) * scale, (r - left) * scale, (top - b) * scale)
            band = ((ll - left) * scale, (top - lt) * scale, (lr - left) * scale, (top - lb) * scale)
            if is_suspect(ch) or ch.isalnum() and box[2] - box[0] > MAX_GLYPH_STRETCH * max(band[3] - band[1], 1e-6):
                continue  # a control code in the text, or a ghost (a character stretched over its line, clipped away)
            glyphs.append(Glyph(ch, box, band, space))
            space = False
        text = textpage.get_text_range()
    finally:
        textpage.close()
    return glyphs, unmapped, text


def page_images_and_rules(page, scale: float) -> tuple[list[BBox], list[BBox]]:
    """Boxes of the page's images, and of its thin vertical paths (a table's cell borders drawn as
    rules), in page pixels; form XObjects are looked into. Raw PDFium calls: a page of text holds
    thousands of objects, and a Python wrapper per object would cost more than reading the text."""
    import ctypes

    import pypdfium2.raw as pdfium_c

    left, _, _, top = page.get_cropbox()
    images, rules = [], []
    l, b, r, t = (ctypes.c_float() for _ in range(4))

    def visit(count, get, depth):
        for index in range(count):
            obj = get(index)
            kind = pdfium_c.FPDFPageObj_GetType(obj)
            if kind == pdfium_c.FPDF_PAGEOBJ_FORM and depth < 4:
                visit(pdfium_c.FPDFFormObj_CountObjects(obj), lambda i, o=obj: pdfium_c.FPDFFormObj_GetObject(o, i), depth + 1)
                continue
            if kind not in (pdfium_c.FPDF_PAGEOBJ_IMAGE, pdfium_c.FPDF_PAGEOBJ_PATH):
                continue
            if not pdfium_c.FPDFPageObj_GetBounds(obj, l, b, r, t):
                continue
            box = ((l.value - left) * scale, (top - t.value) * scale, (r.value - left) * scale, (top - b.value) * scale)
            if kind == pdfium_c.FPDF_PAGEOBJ_IMAGE:
                images.append(box)
            elif r.value - l.value <= RULE_MAX_WIDTH_PT and t.value - b.value >= RULE_MIN_HEIGHT_PT:
                rules.append(box)

    visit(pdfium_c.FPDFPage_CountObjects(page), lambda i: pdfium_c.FPDFPage_GetObject(page, i), 0)
    return images, rules


def read_text_layer(pdf_path: str, page_index: int, dpi: int, gray: np.ndarray | Callable[[], np.ndarray] | None = None,
                    gray_scale: float = 1.0) -> TextLayerPage:
    """One PDF page's text layer as lines, with the verdict whether it can stand in for OCR. With
    the page's image (`gray`, at `gray_scale` × the render; a callable is only called when the layer
    passed every other test), the layer must also cover its text ink."""
    import pypdfium2 as pdfium

    started = time.perf_counter()
    scale = dpi / 72
    with _PDFIUM_LOCK:
        pdf = pdfium.PdfDocument(pdf_path)
        try:
            page = pdf[page_index]
            try:
                # the size PDFium renders the page at (pages.load_page), so boxes and frame agree
                width, height = math.ceil(page.get_width() * scale), math.ceil(page.get_height() * scale)
                rotation = page.get_rotation()
                glyphs, unmapped, text = page_glyphs(page, scale)
                images, rules = page_images_and_rules(page, scale)
            finally:
                page.close()
        finally:
            pdf.close()
    read_by, reason = layer_verdict(text, unmapped)
    if read_by == TEXT_LAYER and rotation:
        read_by, reason = OCR, f"page rotated by {rotation}°: the layer's boxes are not mapped for it"
    if read_by == TEXT_LAYER and scan_under_layer(images, glyphs, width, height):
        read_by, reason = OCR, f"a page-size image holds no layer text (the layer has {len(glyphs)} characters elsewhere): a scan"
    result = TextLayerPage(width, height, read_by=read_by, reason=reason, chars=len(glyphs))
    if read_by == TEXT_LAYER:
        result.lines = group_lines(glyphs, rules)
        result.figures, result.regions = classify_images(images, glyphs, width, height)
        if gray is not None:
            image = gray() if callable(gray) else gray
            share = uncovered_text_share(image, result.lines, result.figures + result.regions, gray_scale)
            if share > MAX_UNCOVERED_SHARE:
                result.read_by = OCR
                result.reason = f"text layer misses {share:.0%} of the page's glyph-sized ink: text drawn as outlines or scanned"
    result.elapsed_s = time.perf_counter() - started
    return result


def uncovered_text_share(gray: np.ndarray, lines: list[TextLine], images: list[BBox], scale: float = 1.0) -> float:
    """Share of the page's glyph-sized ink marks that no layer line and no image covers: text the
    layer lacks (text drawn as outlines, a scan under a footer-only layer). Marks of drawings and
    rules are larger or smaller than a glyph and do not count. `gray` is the page at `scale` × the
    lines' pixels; it is read at half size (a glyph stays a glyph, the page costs a quarter)."""
    import cv2

    if not lines:
        return 1.0
    half = cv2.resize(gray, (max(1, gray.shape[1] // 2), max(1, gray.shape[0] // 2)), interpolation=cv2.INTER_AREA)
    factor = scale / 2
    em = median(line.height for line in lines) * factor
    _, _, stats, _ = cv2.connectedComponentsWithStats((half < INK_LEVEL).astype(np.uint8), connectivity=8)
    x, y, w, h = (stats[1:, i] for i in (cv2.CC_STAT_LEFT, cv2.CC_STAT_TOP, cv2.CC_STAT_WIDTH, cv2.CC_STAT_HEIGHT))
    glyph_like = (h >= GLYPH_MIN_EM * em) & (h <= GLYPH_MAX_EM * em) & (w <= GLYPH_MAX_EM * em)
    covered = np.zeros(half.shape, dtype=bool)
    for box in [line.bbox for line in lines] + list(images):
        x0, y0, x1, y1 = (int(round(v * factor)) for v in box)
        covered[max(0, y0 - 1): y1 + 2, max(0, x0 - 1): x1 + 2] = True
    centre_x = np.clip(x + w // 2, 0, half.shape[1] - 1)
    centre_y = np.clip(y + h // 2, 0, half.shape[0] - 1)
    glyphs = int(glyph_like.sum())
    uncovered = int((glyph_like & ~covered[centre_y, centre_x]).sum())
    return uncovered / glyphs if glyphs else 0.0
