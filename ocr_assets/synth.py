"""Synthetic exam papers with exact ground truth, for scoring extraction with `ocr-assets eval`.

Real 全国卷 maths MCQs (GAOKAO-Bench text, GAOKAO-MM figures; read from ../shared/evaldata, never copied into
the repository) are flattened from LaTeX to plain text and drawn as exam pages in varied layouts (A4 one or two
columns, A3 two-page spreads), number forms (`1．` `1.` `1、`), option grids and scan effects. Every line, figure
and question box is recorded while drawing, so the ground truth is exact.

    python -m ocr_assets.synth OUT_DIR [--papers 6] [--seed 0]

writes OUT_DIR/papers/<paper>/page-NN.png|jpg and OUT_DIR/gt/<paper>.layout_questions.json, the format of
../shared/evaldata/gt (MANIFEST.md section 5); `ocr-assets eval OUT_DIR/gt` scores the pipeline on them.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from ocr_assets.sample_paper import (
    A4_MM,
    MM_PER_INCH,
    Box,
    CjkFont,
    FontNotFoundError,
    _PageWriter,
    _union,
    find_cjk_bold_font,
    find_cjk_font,
    greedy_wrap,
    missing_glyph,
)

EVALDATA = Path(__file__).resolve().parents[2] / "shared" / "evaldata"
DEFAULT_QUESTION_FILE = EVALDATA / "question_text" / "gaokao_bench_2010-2022_Math_I_MCQs.json"
DEFAULT_FIGURES_DIR = EVALDATA / "figures"
FIGURE_INDEX = "gaokao_mm_math_mcq_first20.json"

DPI = 150
A4_WIDTH = round(A4_MM[0] / MM_PER_INCH * DPI)  # 1240
LINE_PITCH = 1.5  # line pitch / body font size
LABELS = "ABCD"
MIN_PAGES, MAX_PAGES = 2, 4


class SynthDataError(RuntimeError):
    """The question text or figures the generator reads are missing or unusable."""


# ---------------------------------------------------------------------------------------------------------
# LaTeX → plain text that is drawn as is (and is therefore the ground truth)
# ---------------------------------------------------------------------------------------------------------
class Unflattenable(ValueError):
    """LaTeX this module does not turn into plain text faithfully; the question is skipped."""


SYMBOLS = {
    "pi": "π", "alpha": "α", "beta": "β", "gamma": "γ", "theta": "θ", "omega": "ω", "phi": "φ", "varphi": "φ",
    "lambda": "λ", "mu": "μ", "xi": "ξ", "rho": "ρ", "sigma": "σ", "Delta": "Δ", "delta": "δ", "epsilon": "ε",
    "in": "∈", "notin": "∉", "cap": "∩", "cup": "∪", "subseteq": "⊆", "subset": "⊂", "supset": "⊃",
    "emptyset": "∅", "varnothing": "∅", "neq": "≠", "ne": "≠", "leq": "≤", "le": "≤", "leqslant": "≤",
    "geq": "≥", "ge": "≥", "geqslant": "≥", "times": "×", "div": "÷", "pm": "±", "cdot": "·", "cdots": "⋯",
    "ldots": "…", "dots": "…", "perp": "⊥", "parallel": "∥", "vee": "∨", "wedge": "∧", "neg": "¬",
    "Leftrightarrow": "⇔", "Rightarrow": "⇒", "rightarrow": "→", "to": "→", "exists": "∃", "forall": "∀",
    "approx": "≈", "triangle": "△", "angle": "∠", "infty": "∞", "odot": "⊙", "mid": "|", "circ": "°",
    "prime": "′", "%": "%", "{": "{", "}": "}", "|": "|", "quad": " ", "qquad": " ", ",": " ", ";": " ",
    ":": " ", "!": "", " ": " ",
}
FUNCTIONS = {"sin", "cos", "tan", "cot", "ln", "log", "lg", "max", "min", "lim"}
STYLE_COMMANDS = {"mathrm", "text", "mathbf", "boldsymbol", "rm", "mathit", "textrm"}  # keep the argument
SUPERSCRIPTS = {"2": "²", "3": "³"}  # the only superscript digits Noto CJK draws besides ¹ and ⁴
# Letters, digits, roots and (simple bracket groups): what reads unambiguously as one fraction part or exponent.
ATOM = re.compile(r"(?:[0-9A-Za-zπαβγθωφλμξρσΔδε.′²³!√]|\([^()]*\))+")


def _is_atom(text: str) -> bool:
    return ATOM.fullmatch(text) is not None


def _wrapped(text: str) -> str:
    return text if _is_atom(text) else f"({text})"


class _MathReader:
    """Recursive reader over one $...$ segment."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.pos = 0

    def read_all(self) -> str:
        text = self._sequence(closing=None)
        if self.pos < len(self.source):
            raise Unflattenable(f"unbalanced braces in {self.source!r}")
        return text

    def _sequence(self, closing: str | None) -> str:
        out: list[str] = []
        while self.pos < len(self.source):
            char = self.source[self.pos]
            if char == closing:
                return "".join(out)
            if char == "}":
                raise Unflattenable(f"unbalanced braces in {self.source!r}")
            out.append(self._item(out))
        if closing is not None:
            raise Unflattenable(f"unclosed group in {self.source!r}")
        return "".join(out)

    def _group(self) -> str:
        """The next argument: a {group}, a command or one character."""
        self._skip_spaces()
        if self.pos >= len(self.source):
            raise Unflattenable(f"missing argument in {self.source!r}")
        if self.source[self.pos] == "{":
            self.pos += 1
            text = self._sequence("}")
            self.pos += 1
            return text
        return self._item([])

    def _skip_spaces(self) -> None:
        while self.pos < len(self.source) and self.source[self.pos] == " ":
            self.pos += 1

    def _item(self, before: list[str]) -> str:
        char = self.source[self.pos]
        if char == "{":
            return self._group()
        if char in " \n\t":
            self.pos += 1
            return ""
        if char == "~":
            self.pos += 1
            return " "
        if ord(char) < 32:
            raise Unflattenable("control character in question text")
        if char == "^":
            self.pos += 1
            argument = self._group().strip()
            if argument in SUPERSCRIPTS:
                return SUPERSCRIPTS[argument]
            if argument in ("°", "′", "′′"):
                return argument
            return "^" + _wrapped(argument)
        if char == "_":
            self.pos += 1
            argument = self._group().strip()
            if not re.fullmatch(r"[0-9A-Za-z]", argument):
                raise Unflattenable(f"subscript {argument!r} has no plain form")
            return argument
        if char != "\\":
            self.pos += 1
            return char
        match = re.compile(r"\\([A-Za-z]+|.)").match(self.source, self.pos)
        if match is None:
            raise Unflattenable("trailing backslash")
        self.pos = match.end()
        name = match.group(1)
        if name in ("left", "right"):
            self._skip_spaces()
            delimiter = self._item([])
            return "" if delimiter == "." else delimiter
        if name == "frac":
            numerator, denominator = self._group().strip(), self._group().strip()
            return f"{_wrapped(numerator)}/{_wrapped(denominator)}"
        if name == "sqrt":
            self._skip_spaces()
            if self.source.startswith("[", self.pos):
                raise Unflattenable("n-th roots have no plain form here")
            return "√" + _wrapped(self._group().strip())
        if name in STYLE_COMMANDS:
            return self._group()
        if name == "not":
            following = self._item([])
            if following == "∈":
                return "∉"
            if following == "=":
                return "≠"
            raise Unflattenable(f"\\not{following}")
        if name in FUNCTIONS:
            return name
        if name in SYMBOLS:
            return SYMBOLS[name]
        raise Unflattenable(f"\\{name}")


def flatten_math(source: str) -> str:
    """One $...$ segment as plain text: `\\frac{a}{b}`→a/b, `x^{2}`→x², `\\sqrt{3}`→√3, `\\le`→≤…"""
    text = _MathReader(source).read_all()
    return re.sub(r" {2,}", " ", text).strip()


CJK_OR_FULLWIDTH = r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef“”《》]"
HALF_TO_FULL = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！"}
ANSWER_BRACKET = "（　　）"


def flatten(source: str) -> str:
    """Question text with $...$ maths as plain text, Chinese punctuation full width, the answer bracket
    as （　　）. Raises Unflattenable for what cannot be drawn as plain text."""
    if "$$" in source or "\\begin" in source or "![" in source:
        raise Unflattenable("display maths, environments or images")
    pieces = source.split("$")
    if len(pieces) % 2 == 0:
        raise Unflattenable("odd number of $")
    out = []
    for index, piece in enumerate(pieces):
        if index % 2:
            out.append(flatten_math(piece))
        else:
            if "\\" in piece.replace("\\quad", ""):
                raise Unflattenable("LaTeX outside $...$")
            piece = piece.replace("\\quad", " ")
            piece = re.sub(r"\s*([,;:?!])\s*", lambda m: HALF_TO_FULL[m.group(1)], piece)
            out.append(piece)
    text = " ".join(part.strip() for part in out if part.strip())
    text = re.sub(r"\s+", " ", text)
    # no space beside Chinese characters and full-width punctuation (the source has them around $...$)
    text = re.sub(rf"\s+(?={CJK_OR_FULLWIDTH})|(?<={CJK_OR_FULLWIDTH})\s+", "", text)
    text = re.sub(r"[（(]\s*[)）]", ANSWER_BRACKET, text)
    if "\\" in text or "$" in text:
        raise Unflattenable("LaTeX left after flattening")
    return text.strip()


@dataclass(frozen=True)
class ChoiceItem:
    """One MCQ as it will be printed: stem (ends with the answer bracket) and four option texts."""

    stem: str
    options: tuple[str, str, str, str]
    source: str  # where it came from, for messages
    figure: Path | None = None


QUESTION_HEAD = re.compile(r"^\s*(?:\d{1,2}\s*[.．、]\s*)?(?:[（(]\s*\d+\s*分\s*[)）])?\s*")


def _option_starts(text: str) -> list[tuple[int, int]] | None:
    """(label start, text start) of A–D, in order, outside $...$; None when not all four are found."""
    found = []
    position = 0
    for label in LABELS:
        pattern = re.compile(rf"(?<![A-Za-z\\{{]){label}\s*[.．]")
        for match in pattern.finditer(text, position):
            if text.count("$", 0, match.start()) % 2 == 0:
                found.append((match.start(), match.end()))
                position = match.end()
                break
        else:
            return None
    return found


def parse_choice_question(raw: str, source: str = "", figure: Path | None = None) -> ChoiceItem:
    """A GAOKAO-Bench `question` string (number, score, stem, A.–D.) as a ChoiceItem of plain text."""
    body = QUESTION_HEAD.sub("", raw, count=1)
    starts = _option_starts(body)
    if starts is None:
        raise Unflattenable("options A–D not found")
    stem = QUESTION_HEAD.sub("", flatten(body[: starts[0][0]]), count=1)  # again: some heads hold a stray $
    options = []
    for (_, text_start), following in zip(starts, [s for s, _ in starts[1:]] + [len(body)]):
        option = flatten(body[text_start:following])
        if not option or "\n" in option:
            raise Unflattenable("empty option")
        options.append(option)
    if not stem.endswith(ANSWER_BRACKET):
        if not re.search(r"[)）]$", stem):
            stem = stem + ANSWER_BRACKET
        else:
            raise Unflattenable(f"stem does not end with an answer bracket: {stem[-12:]!r}")
    if any(re.search(r"[A-D]\s*[.．]", option) for option in options):
        raise Unflattenable("option text holds another option label")
    if stem.count(ANSWER_BRACKET) != 1 or re.search(r"[（(]\s*1\s*[)）]", stem):
        # garbled source, or (1)…(4) statements that a reader takes for sub-questions
        raise Unflattenable("stem with several answer brackets or numbered statements")
    return ChoiceItem(stem, tuple(options), source, figure)  # type: ignore[arg-type]


def load_items(question_file: Path, figures_dir: Path, font: CjkFont) -> tuple[list[ChoiceItem], list[ChoiceItem]]:
    """(questions without figures, questions with one figure), each flattened and drawable with `font`."""
    if not question_file.is_file():
        raise SynthDataError(
            f"{question_file}: question text not found. It ships in ../shared/evaldata beside the repository "
            "(MANIFEST.md section 3); pass question_file= / --questions to use another copy."
        )
    index_file = figures_dir / FIGURE_INDEX
    if not index_file.is_file():
        raise SynthDataError(
            f"{index_file}: figure index not found; pass figures_dir= / --figures with {FIGURE_INDEX} and its PNGs."
        )
    missing = missing_glyph(font.load(24))

    def usable(item: ChoiceItem) -> bool:
        return not any(missing(char) for char in item.stem + "".join(item.options))

    plain = []
    for entry in json.loads(question_file.read_text(encoding="utf-8"))["example"]:
        if "图" in entry["question"]:  # refers to a figure this file does not have
            continue
        try:
            item = parse_choice_question(entry["question"], f"{question_file.name}#{entry.get('index')}")
        except Unflattenable:
            continue
        if usable(item):
            plain.append(item)
    with_figure = []
    for entry in json.loads(index_file.read_text(encoding="utf-8"))["example"]:
        if len(entry.get("picture", [])) != 1:  # several pictures: picture options, not drawable as text
            continue
        picture = figures_dir / entry["picture"][0]
        if not picture.is_file():
            continue
        try:
            item = parse_choice_question(entry["question"], f"{index_file.name}#{entry.get('index')}", picture)
        except Unflattenable:
            continue
        if usable(item):
            with_figure.append(item)
    if len(plain) < 40:
        raise SynthDataError(f"{question_file}: only {len(plain)} questions could be flattened; need 40 or more")
    return plain, with_figure


# ---------------------------------------------------------------------------------------------------------
# Paper styles (all choices made here, from the seed)
# ---------------------------------------------------------------------------------------------------------
LAYOUTS = ("single_column", "two_column", "a3_spread")
NUMBER_FORMS = ("{n}．", "{n}. ", "{n}、")
OPTION_FORMS = ("{label}．", "{label}. ")
SCANS = ("clean", "noisy", "rotated_jpeg", "jpeg")
TITLES = ("高三年级第一次质量检测", "普通高中毕业班教学质量监测", "高三数学模拟考试（二）", "高三年级期末联考")
NOTICES = (
    "答卷前，考生务必将自己的姓名、准考证号填写在答题卡上。",
    "回答选择题时，选出每小题答案后，用铅笔把答题卡上对应题目的答案标号涂黑。",
    "考试结束后，将本试卷和答题卡一并交回。",
)


@dataclass(frozen=True)
class ScanStyle:
    kind: str
    paper_tone: int = 255  # background grey level
    blur_radius: float = 0.0
    noise_sigma: float = 0.0
    rotation_deg: float = 0.0  # counter-clockwise, about the page centre
    jpeg_quality: int | None = None


@dataclass(frozen=True)
class PaperStyle:
    name: str
    layout: str
    number_form: str
    option_form: str
    body_px: int
    hanging_indent: bool  # stem continuation lines align with the text after the number
    question_count: int
    figure_count: int
    second_section_at: int | None  # question number that opens 二、选择题, if any
    title: str
    running_header: bool
    scan: ScanStyle


def _scan_style(kind: str, rng: random.Random) -> ScanStyle:
    if kind == "noisy":
        return ScanStyle(kind, rng.randint(238, 250), rng.uniform(0.4, 0.8), rng.uniform(4, 8))
    if kind == "rotated_jpeg":
        angle = rng.choice((-1, 1)) * rng.uniform(0.3, 0.7)
        return ScanStyle(kind, rng.randint(240, 252), rng.uniform(0.3, 0.7), rng.uniform(3, 6), angle,
                         rng.randint(55, 72))
    if kind == "jpeg":
        return ScanStyle(kind, 255, rng.uniform(0.0, 0.5), 0.0, 0.0, rng.randint(35, 55))
    return ScanStyle("clean")


def paper_styles(n_papers: int, seed: int) -> list[PaperStyle]:
    """Round-robin over layouts, number forms and scan effects (so six papers cover each), order from the seed."""
    rng = random.Random(seed)
    layouts, forms, scans = list(LAYOUTS), list(NUMBER_FORMS), list(SCANS)
    for values in (layouts, forms, scans):
        rng.shuffle(values)
    styles = []
    for index in range(n_papers):
        paper_rng = random.Random(seed * 1009 + index)
        layout = layouts[index % len(layouts)]
        count = {"single_column": 16, "two_column": 22, "a3_spread": 28}[layout] + paper_rng.randint(-2, 2)
        styles.append(
            PaperStyle(
                name=f"synth_s{seed}_{index + 1:02d}_{layout}",
                layout=layout,
                number_form=forms[(index + index // len(layouts)) % len(forms)],
                option_form=OPTION_FORMS[paper_rng.randrange(len(OPTION_FORMS))],
                body_px=paper_rng.randint(25, 28),
                hanging_indent=paper_rng.random() < 0.5,
                question_count=count,
                figure_count=paper_rng.randint(1, 3),
                second_section_at=count - 3 if paper_rng.random() < 0.4 else None,
                title=paper_rng.choice(TITLES),
                running_header=paper_rng.random() < 0.5,
                scan=_scan_style(scans[index % len(scans)], paper_rng),
            )
        )
    return styles


# ---------------------------------------------------------------------------------------------------------
# Drawing
# ---------------------------------------------------------------------------------------------------------
@dataclass
class _QuestionGt:
    """What was drawn for one question, per page: (text, box) lines in reading order and figure boxes."""

    qnum: int
    lines: dict[int, list[tuple[str, Box]]] = field(default_factory=dict)
    figures: dict[int, list[Box]] = field(default_factory=dict)

    def add_line(self, page: int, text: str, box: Box) -> None:
        self.lines.setdefault(page, []).append((text, box))

    def add_figure(self, page: int, box: Box) -> None:
        self.figures.setdefault(page, []).append(box)


WRAP_TOKEN = re.compile(rf"{ANSWER_BRACKET}|[A-Za-z0-9.]+|.", re.S)
NO_LINE_START = "，。；：、）？！,.;:)"


class _ExamWriter(_PageWriter):
    """The sample paper's writer, flowing through text columns (frames) of A4 pages or A3 spreads."""

    def __init__(self, style: PaperStyle, body: CjkFont, bold: CjkFont) -> None:
        super().__init__(DPI, body, bold)
        self.style = style
        self.body_px = style.body_px
        self.pitch = round(style.body_px * LINE_PITCH)
        self.indent = 2 * style.body_px
        self.font = body.load(self.body_px)
        self.heading_font = bold.load(self.body_px)
        self.title_font = bold.load(round(self.body_px * 1.5))
        self.small_font = body.load(round(self.body_px * 0.8))
        margin = self.margin
        if style.layout == "a3_spread":
            self.width = 2 * A4_WIDTH
            self.frames = [(margin, A4_WIDTH - margin), (A4_WIDTH + margin, self.width - margin)]
            self.halves = [(0, A4_WIDTH), (A4_WIDTH, self.width)]
        elif style.layout == "two_column":
            half_gutter = self.body_px
            self.frames = [(margin, self.width // 2 - half_gutter), (self.width // 2 + half_gutter, self.width - margin)]
            self.halves = [(0, self.width)]
        else:
            self.frames = [(margin, self.width - margin)]
            self.halves = [(0, self.width)]
        self.pages.clear()
        self.lines.clear()
        self.figures: list[list[Box]] = []
        self.start_page()

    # -- flow --
    def start_page(self) -> None:
        self.new_page()
        self.figures.append([])
        self.column = 0
        self.column_tops = [self.margin] * len(self.frames)
        if self.style.running_header and self.page_number > 1:
            for x0, x1 in self.halves:  # in the top margin, centred over each A4 half
                text = f"{self.style.title}·数学"
                width = self.draw.textlength(text, font=self.small_font)
                self.right = x1
                self.text(round((x0 + x1 - width) / 2), round(self.margin * 0.45), text, self.small_font)
        self.left, self.right = self.frames[0]

    def ensure_room(self, height: int) -> None:
        if self.y + height > self.bottom:
            self.next_column()

    def next_column(self) -> None:
        if self.column + 1 < len(self.frames):
            self.column += 1
            self.left, self.right = self.frames[self.column]
            self.y = self.column_tops[self.column]
        else:
            self.start_page()

    def header_width(self) -> None:
        """Title block: across the page for A4, across the left half of a spread."""
        self.left = self.frames[0][0]
        self.right = self.frames[0][1] if self.style.layout == "a3_spread" else self.frames[-1][1]

    def begin_columns(self) -> None:
        """Columns start below the title block; a spread's right half starts at the top margin."""
        self.column_tops = [self.y] + [self.y if self.style.layout == "two_column" else self.margin] * (
            len(self.frames) - 1
        )
        self.left, self.right = self.frames[0]

    # -- drawing with ground-truth tags --
    def put(self, x: int, text: str, font: ImageFont.FreeTypeFont | None = None, **tags) -> Box:
        box = self.text(x, self.y, text, font)
        self.lines[-1][-1].update(tags)
        return box

    def centered_here(self, text: str, font: ImageFont.FreeTypeFont, pitch: int) -> None:
        self.ensure_room(pitch)
        width = self.draw.textlength(text, font=font)
        self.put(round((self.left + self.right - width) / 2), text, font)
        self.y += pitch

    def paragraph(self, prefix: str, text: str, offset: int, hanging: bool, font=None, **first_tags) -> list[tuple[int, str, Box]]:
        """Wrapped lines of prefix + text, `offset` px right of the column's left edge (whichever column each
        line lands in); returns (page, text, box) per line drawn."""
        font = font or self.font
        prefix_width = round(self.draw.textlength(prefix, font=font)) if hanging else 0
        available = self.right - self.left - offset
        wrapped = [line.strip() for line in self._wrap(prefix + text, available, available - prefix_width, font)]
        drawn = []
        for index, line in enumerate(part for part in wrapped if part):
            self.ensure_room(self.pitch)
            line_x = self.left + offset + (prefix_width if index else 0)
            box = self.put(line_x, line, font, **(first_tags if index == 0 else {}))
            drawn.append((self.page_number, line, box))
            self.y += self.pitch
        return drawn

    def wrap(self, text: str, first_width: float, width: float) -> list[str]:
        """Greedy wrap that keeps the answer bracket and runs of letters/digits whole and closing punctuation
        off the start of a line."""
        tokens = []
        for token in WRAP_TOKEN.findall(text):
            too_wide = self.draw.textlength(token, font=self.font) > min(first_width, width)
            tokens.extend(token if too_wide else [token])
        return greedy_wrap(tokens, first_width, width, lambda t: self.draw.textlength(t, font=self.font), NO_LINE_START)

    def _wrap(self, text: str, first_width: float, width: float, font) -> list[str]:
        saved, self.font = self.font, font
        try:
            return self.wrap(text, first_width, width)
        finally:
            self.font = saved

    def paste_figure(self, image: Image.Image, x: int, y: int) -> Box:
        box: Box = (x, y, x + image.width, y + image.height)
        if box[2] > self.right or box[3] > self.bottom:
            raise RuntimeError(f"figure overflows page {self.page_number} at {box}")
        self.pages[-1].paste(image, (x, y))
        self.figures[-1].append(box)
        return box

    def footers(self) -> None:
        halves = [(page, half) for page in range(len(self.pages)) for half in self.halves]
        for number, (page, (x0, x1)) in enumerate(halves, start=1):
            self.draw = ImageDraw.Draw(self.pages[page])
            text = f"数学试题 第{number}页（共{len(halves)}页）"
            width = self.draw.textlength(text, font=self.small_font)
            x, y = round((x0 + x1 - width) / 2), self.footer_y
            self.draw.text((x, y), text, fill=0, font=self.small_font)
            box = self.draw.textbbox((x, y), text, font=self.small_font)
            self.lines[page].append({"text": text, "bbox": [int(v) for v in box]})


def _load_figure(path: Path, max_width: int, max_height: int) -> Image.Image:
    """The figure cropped to its ink (so its box hugs what is printed) and scaled to fit."""
    image = Image.open(path).convert("L")
    ink = np.array(image) < 200
    ys, xs = np.nonzero(ink)
    if len(xs):
        pad = 4
        image = image.crop((max(0, xs.min() - pad), max(0, ys.min() - pad),
                            min(image.width, xs.max() + pad + 1), min(image.height, ys.max() + pad + 1)))
    scale = min(max_width / image.width, max_height / image.height)
    return image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))), Image.LANCZOS)


def _options_per_line(writer: _ExamWriter, options: list[str], available: int) -> int | None:
    """4, 2 or 1 options a line, the most that fit with a gap; None when one option alone is too wide."""
    widths = [writer.draw.textlength(option, font=writer.font) for option in options]
    for per_line in (4, 2):
        if max(widths) <= available / per_line - writer.body_px:
            return per_line
    return 1 if max(widths) <= available else None


def _draw_question(writer: _ExamWriter, qnum: int, item: ChoiceItem, rng: random.Random) -> _QuestionGt | None:
    """Draw one question at the writer's position; None (nothing drawn) when its options cannot fit."""
    style = writer.style
    prefix = style.number_form.format(n=qnum)
    options = [style.option_form.format(label=label) + text for label, text in zip(LABELS, item.options)]
    indent = round(writer.draw.textlength(prefix, font=writer.font)) if style.hanging_indent else writer.indent
    column_width = min(right - left for left, right in writer.frames)
    placement = rng.choice(("beside", "below", "after")) if item.figure else None
    figure = None
    if placement == "beside":
        figure = _load_figure(item.figure, round(column_width * 0.36), 8 * writer.pitch)
        text_width = column_width - figure.width - writer.body_px
        if _options_per_line(writer, options, text_width - indent) is None or text_width < 12 * writer.body_px:
            placement = "below"
    if placement in ("below", "after"):
        figure = _load_figure(item.figure, round(column_width * 0.6), 7 * writer.pitch)
        text_width = column_width
    if placement is None:
        text_width = column_width
    per_line = _options_per_line(writer, options, text_width - indent)
    if per_line is None:
        return None

    if figure is not None:
        # a question with a figure is kept in one column, as typesetters do (when it fits in one)
        prefix_width = writer.draw.textlength(prefix, font=writer.font) if style.hanging_indent else 0
        stem_lines = len(writer.wrap(prefix + item.stem, text_width, text_width - prefix_width))
        text_height = (stem_lines + 4 // per_line) * writer.pitch
        height = max(text_height, figure.height) if placement == "beside" else text_height + figure.height + writer.pitch
        if height <= writer.bottom - writer.margin:
            writer.ensure_room(height)

    gt = _QuestionGt(qnum)
    text_right = None
    if placement == "beside":
        writer.ensure_room(figure.height + writer.pitch)
        box = writer.paste_figure(figure, writer.right - figure.width, writer.y)
        gt.add_figure(writer.page_number, box)
        figure_at = (writer.page_number, writer.column, box)
        text_right = box[0] - writer.body_px

    if text_right is not None:
        writer.right = text_right  # until the flow moves to another column (next_column resets it)
    for page, text, box in writer.paragraph(prefix, item.stem, 0, style.hanging_indent,
                                            kind="question_start", qnum=qnum):
        gt.add_line(page, text, box)

    def draw_figure_here() -> None:
        writer.ensure_room(figure.height + writer.pitch // 2)
        box = writer.paste_figure(figure, writer.left + indent, writer.y + writer.pitch // 4)
        gt.add_figure(writer.page_number, box)
        writer.y = box[3] + writer.pitch // 2

    if placement == "below":
        draw_figure_here()
    slot = (writer.right - writer.left - indent) // per_line
    for row in range(0, 4, per_line):
        writer.ensure_room(writer.pitch)
        for column, index in enumerate(range(row, row + per_line)):
            box = writer.put(writer.left + indent + column * slot, options[index], kind="option")
            gt.add_line(writer.page_number, options[index], box)
        writer.y += writer.pitch
    if text_right is not None:
        writer.right = writer.frames[writer.column][1]
        page, column, box = figure_at
        if (writer.page_number, writer.column) == (page, column):
            writer.y = max(writer.y, box[3] + writer.pitch // 2)
    if placement == "after":
        draw_figure_here()
    return gt


def _pick_items(style: PaperStyle, plain: list[ChoiceItem], with_figure: list[ChoiceItem], rng: random.Random):
    """Items in print order: a shuffled supply of plain questions with figure questions spread among them."""
    supply = plain[:]
    rng.shuffle(supply)
    figures = rng.sample(with_figure, min(style.figure_count, len(with_figure)))
    slots = sorted(rng.sample(range(2, style.question_count + 1), len(figures)))
    return supply, dict(zip(slots, figures))


def _draw_paper(style: PaperStyle, plain, with_figure, body: CjkFont, bold: CjkFont):
    rng = random.Random(style.name)
    writer = _ExamWriter(style, body, bold)
    writer.header_width()
    if rng.random() < 0.6:
        writer.put(writer.left, "绝密★启用前", writer.small_font)
        writer.y += writer.pitch
    writer.centered_here(style.title, writer.title_font, round(writer.pitch * 1.4))
    writer.centered_here("数　学", writer.title_font, round(writer.pitch * 1.4))
    writer.centered_here("本试卷满分150分，考试用时120分钟。", writer.font, writer.pitch)
    writer.put(writer.left, "注意事项：", writer.heading_font)
    writer.y += writer.pitch
    for number, notice in enumerate(NOTICES, start=1):
        writer.paragraph(style.number_form.format(n=number), notice, writer.indent, True,
                         kind="numbered_line_not_question")
    writer.y += writer.pitch // 3
    writer.begin_columns()

    supply, figure_slots = _pick_items(style, plain, with_figure, rng)
    first_count = (style.second_section_at or style.question_count + 1) - 1
    questions: list[_QuestionGt] = []
    for qnum in range(1, style.question_count + 1):
        if qnum in (1, style.second_section_at):
            count = first_count if qnum == 1 else style.question_count - first_count
            heading = (
                f"一、选择题：本题共{count}小题，每小题5分，共{5 * count}分。在每小题给出的四个选项中，只有一项是符合题目要求的。"
                if qnum == 1
                else f"二、选择题：本题共{count}小题，每小题5分，共{5 * count}分。在每小题给出的选项中，有多项符合题目要求。"
            )
            writer.y += writer.pitch // 4
            writer.paragraph("", heading, 0, False, writer.heading_font, kind="section")
        item = figure_slots.get(qnum)
        gt = _draw_question(writer, qnum, item, rng) if item else None
        while gt is None:
            if not supply:
                raise SynthDataError("ran out of questions whose options fit the layout")
            gt = _draw_question(writer, qnum, supply.pop(), rng)
        questions.append(gt)
        writer.y += writer.pitch // 4
    writer.footers()
    return writer, questions


def _fit_pages(style: PaperStyle, plain, with_figure, body, bold):
    """Draw, adding or removing questions until the paper has 2–4 page images."""
    for _ in range(8):
        writer, questions = _draw_paper(style, plain, with_figure, body, bold)
        pages = len(writer.pages)
        if MIN_PAGES <= pages <= MAX_PAGES:
            return writer, questions
        step = 4 if pages < MIN_PAGES else -4
        second = style.second_section_at + step if style.second_section_at else None
        style = replace(style, question_count=style.question_count + step, second_section_at=second)
    raise RuntimeError(f"{style.name}: could not lay out {MIN_PAGES}–{MAX_PAGES} pages")


# ---------------------------------------------------------------------------------------------------------
# Scan effects and the ground truth they imply
# ---------------------------------------------------------------------------------------------------------
def _rotate_box(box: Box, angle_deg: float, width: int, height: int) -> Box:
    """Axis-aligned hull of `box` after PIL's Image.rotate(angle) about the centre, clipped to the page."""
    if not angle_deg:
        return box
    theta = math.radians(angle_deg)
    cos, sin = math.cos(theta), math.sin(theta)
    cx, cy = width / 2, height / 2
    xs, ys = [], []
    for x, y in ((box[0], box[1]), (box[2], box[1]), (box[0], box[3]), (box[2], box[3])):
        xs.append(cx + (x - cx) * cos + (y - cy) * sin)
        ys.append(cy - (x - cx) * sin + (y - cy) * cos)
    return (max(0, math.floor(min(xs))), max(0, math.floor(min(ys))),
            min(width, math.ceil(max(xs))), min(height, math.ceil(max(ys))))


def _scan(image: Image.Image, scan: ScanStyle, rng: np.random.Generator) -> Image.Image:
    if scan.paper_tone < 255:
        image = image.point(lambda v: round(v * scan.paper_tone / 255))
    if scan.rotation_deg:
        image = image.rotate(scan.rotation_deg, resample=Image.BICUBIC, fillcolor=scan.paper_tone)
    if scan.blur_radius:
        image = image.filter(ImageFilter.GaussianBlur(scan.blur_radius))
    if scan.noise_sigma:
        pixels = np.asarray(image, dtype=np.float32) + rng.normal(0, scan.noise_sigma, (image.height, image.width))
        image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    return image


def _ground_truth(style: PaperStyle, writer: _ExamWriter, questions: list[_QuestionGt]) -> dict:
    width, height = writer.width, writer.height

    def moved(box) -> list[int]:
        return list(_rotate_box(tuple(box), style.scan.rotation_deg, width, height))

    rotation = (
        f"pages rotated {style.scan.rotation_deg:+.2f}° about their centre; every box is the axis-aligned hull "
        "of the rotated box" if style.scan.rotation_deg else "no rotation"
    )
    pages = []
    for index, lines in enumerate(writer.lines):
        pages.append({
            "page": index + 1,
            "width": width,
            "height": height,
            "lines": [{**line, "bbox": moved(line["bbox"])} for line in lines],
            "figures": [moved(box) for box in writer.figures[index]],
        })
    out_questions = []
    for question in questions:
        parts = []
        for page in sorted(set(question.lines) | set(question.figures)):
            lines = question.lines.get(page, [])
            figures = [moved(box) for box in question.figures.get(page, [])]
            bbox = None
            for box in [moved(b) for _, b in lines] + figures:
                bbox = _union(bbox, tuple(box))
            parts.append({"page": page, "bbox": list(bbox), "text": "\n".join(text for text, _ in lines),
                          "figures": figures})
        out_questions.append({"qnum": question.qnum, "parts": parts})
    return {
        "source_pdf": f"papers/{style.name}",
        "dpi": DPI,
        "note": (
            f"synthetic paper (ocr_assets.synth): layout {style.layout}, numbers {style.number_form.format(n=1).strip()!r}, "
            f"scan {style.scan.kind}; text, line boxes, figure boxes and question parts are exact, recorded while "
            f"drawing; {rotation}"
        ),
        "pages": pages,
        "questions": out_questions,
    }


# ---------------------------------------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------------------------------------
def generate(
    out_dir: Path,
    n_papers: int = 6,
    seed: int = 0,
    question_file: Path | None = None,
    figures_dir: Path | None = None,
) -> list[Path]:
    """Render n_papers papers into out_dir/papers/<name>/ and their ground truth into out_dir/gt/;
    return the ground-truth paths. The same arguments give the same pages and ground truth."""
    body = find_cjk_font()
    bold = find_cjk_bold_font(body)
    plain, with_figure = load_items(Path(question_file or DEFAULT_QUESTION_FILE),
                                    Path(figures_dir or DEFAULT_FIGURES_DIR), body)
    out_dir = Path(out_dir)
    (out_dir / "gt").mkdir(parents=True, exist_ok=True)
    written = []
    for index, style in enumerate(paper_styles(n_papers, seed)):
        writer, questions = _fit_pages(style, plain, with_figure, body, bold)
        paper_dir = out_dir / "papers" / style.name
        paper_dir.mkdir(parents=True, exist_ok=True)
        for stale in paper_dir.glob("page-*"):
            stale.unlink()
        noise = np.random.default_rng(seed * 1009 + index)
        for number, page in enumerate(writer.pages, start=1):
            image = _scan(page, style.scan, noise)
            if style.scan.jpeg_quality:
                image.save(paper_dir / f"page-{number:02d}.jpg", quality=style.scan.jpeg_quality)
            else:
                image.save(paper_dir / f"page-{number:02d}.png", optimize=True)
        gt_path = out_dir / "gt" / f"{style.name}.layout_questions.json"
        document = _ground_truth(style, writer, questions)
        gt_path.write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        written.append(gt_path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Render synthetic exam papers with exact layout/question ground truth.")
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--papers", type=int, default=6)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--questions", type=Path, default=None, help=f"default: {DEFAULT_QUESTION_FILE}")
    parser.add_argument("--figures", type=Path, default=None, help=f"default: {DEFAULT_FIGURES_DIR}")
    args = parser.parse_args(argv)
    try:
        paths = generate(args.out_dir, args.papers, args.seed, args.questions, args.figures)
    except (FontNotFoundError, SynthDataError) as error:
        print(f"synth: {error}", file=sys.stderr)
        return 2
    for path in paths:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
