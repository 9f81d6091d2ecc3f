"""Synthetic exam papers with exact ground truth, for scoring extraction with `ocr-assets eval`.

Real 全国卷 maths MCQs (GAOKAO-Bench text, GAOKAO-MM figures; read from ../shared/evaldata, never copied into
the repository) are flattened from LaTeX to plain text and drawn as exam pages in varied layouts (A4 one or two
columns, A3 two-page spreads), number forms (`1．` `1.` `1、`), option grids and scan effects. Every line, figure
and question box is recorded while drawing, so the ground truth is exact.

    python -m ocr_assets.synth OUT_DIR [--papers 6] [--seed 0] [--family gutter]

Layout families (FAMILIES) each render one kind of page that extraction must handle: gutters 4–20 mm, one to
three columns, A3 spreads with two columns a half, column-wide titles, section-restarting numbers, Taiwan-style
inline (A)–(E) options, traditional Chinese, English, answer keys at the end or in the middle (附加题/第Ⅱ卷
after them), teacher copies, answer-sheet pages, inline formulas with small lowered/raised scripts, scans.
Key families record each question's printed `answer` (and `analysis`); every question records its `options`.

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


SUB, SUP, END = "\x01", "\x02", "\x03"  # rich text: a lowered or raised run, drawn smaller
RICH_RUN = re.compile(f"([{SUB}{SUP}])([^{END}]*){END}")


def plain_text(text: str) -> str:
    """Rich text as it reads: the sub/superscript marks dropped, their characters kept in place."""
    return RICH_RUN.sub(lambda m: m.group(2), text)


class _MathReader:
    """Recursive reader over one $...$ segment. `rich`: sub/superscripts become marked runs (drawn lowered
    or raised) instead of plain characters."""

    def __init__(self, source: str, rich: bool = False) -> None:
        self.source = source
        self.pos = 0
        self.rich = rich

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

    def _run(self, mark: str, argument: str) -> str:
        if not argument or any(c in argument for c in (SUB, SUP, END)) or not _is_atom(argument.replace("+", "").replace("-", "")):
            raise Unflattenable(f"script {argument!r} has no drawable form")
        return f"{mark}{argument}{END}"

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
            if self.rich and argument not in ("°", "′", "′′"):
                return self._run(SUP, argument)
            if argument in SUPERSCRIPTS:
                return SUPERSCRIPTS[argument]
            if argument in ("°", "′", "′′"):
                return argument
            return "^" + _wrapped(argument)
        if char == "_":
            self.pos += 1
            argument = self._group().strip()
            if self.rich:
                return self._run(SUB, argument)
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


def flatten_math(source: str, rich: bool = False) -> str:
    """One $...$ segment as plain text: `\\frac{a}{b}`→a/b, `x^{2}`→x², `\\sqrt{3}`→√3, `\\le`→≤…
    With `rich`, `a_{n}`/`x^{2}` become marked runs (see SUB, SUP) drawn lowered/raised."""
    text = _MathReader(source, rich).read_all()
    return re.sub(r" {2,}", " ", text).strip()


CJK_OR_FULLWIDTH = r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef“”《》]"
HALF_TO_FULL = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！"}
ANSWER_BRACKET = "（　　）"


def flatten(source: str, rich: bool = False) -> str:
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
            out.append(flatten_math(piece, rich))
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
    answer: str | None = None  # the key's letter(s), "D" or "BD"
    analysis: str | None = None  # a short worked solution, as printed in a key or a teacher's copy


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


def parse_choice_question(raw: str, source: str = "", figure: Path | None = None, rich: bool = False) -> ChoiceItem:
    """A GAOKAO-Bench `question` string (number, score, stem, A.–D.) as a ChoiceItem of plain text
    (with `rich`, sub/superscripts as marked runs)."""
    body = QUESTION_HEAD.sub("", raw, count=1)
    starts = _option_starts(body)
    if starts is None:
        raise Unflattenable("options A–D not found")
    stem = QUESTION_HEAD.sub("", flatten(body[: starts[0][0]], rich), count=1)  # again: some heads hold a stray $
    options = []
    for (_, text_start), following in zip(starts, [s for s, _ in starts[1:]] + [len(body)]):
        option = flatten(body[text_start:following], rich)
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


ANALYSIS_MAX_CHARS = 70


def key_answer(raw) -> str | None:
    """GAOKAO-Bench's answer field ("['D']", ["B", "D"]) as printed in a key: "D", "BD"."""
    letters = re.findall(r"[A-E]", str(raw or ""))
    return "".join(letters) or None


def short_analysis(raw: str | None) -> str | None:
    """The worked solution's first paragraph as plain text, cut at a sentence or clause end within
    ANALYSIS_MAX_CHARS; None when it has no plain form."""
    if not raw:
        return None
    first = next((part for part in re.split(r"\n\s*\n", raw) if part.strip()), "")
    try:
        text = flatten(first.replace("\n", " "))
    except Unflattenable:
        return None
    text = re.sub(r"^(?:解|【解析】|解析)\s*[:：]\s*", "", text).strip()
    if len(text) > ANALYSIS_MAX_CHARS:
        cut = max(text.rfind(mark, 0, ANALYSIS_MAX_CHARS) for mark in "。，；")
        if cut < 12:
            return None
        text = text[: cut + 1]
    return text if len(text) >= 6 else None


def load_items(question_file: Path, figures_dir: Path, font: CjkFont, rich: bool = False) -> tuple[list[ChoiceItem], list[ChoiceItem]]:
    """(questions without figures, questions with one figure), each flattened and drawable with `font`,
    with the key's answer and a short analysis where the source has them."""
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
        text = plain_text(item.stem + "".join(item.options) + (item.analysis or ""))
        return not any(missing(char) for char in text)

    def with_key(item: ChoiceItem, entry: dict) -> ChoiceItem:
        return replace(item, answer=key_answer(entry.get("answer")), analysis=short_analysis(entry.get("analysis")))

    plain = []
    for entry in json.loads(question_file.read_text(encoding="utf-8"))["example"]:
        if "图" in entry["question"]:  # refers to a figure this file does not have
            continue
        try:
            item = with_key(parse_choice_question(entry["question"], f"{question_file.name}#{entry.get('index')}",
                                                  rich=rich), entry)
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
            item = with_key(parse_choice_question(entry["question"], f"{index_file.name}#{entry.get('index')}",
                                                  picture, rich), entry)
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
class PaperTexts:
    """Every fixed string a paper prints, in one language."""

    titles: tuple[str, ...]
    subject: str
    full_score: str
    secret: str
    notice_heading: str
    notices: tuple[str, ...]
    section_names: tuple[str, ...]  # 一、二、三、 / I. II. III.
    choice_task: str  # "{name}选择题：本题共{count}小题…"
    key_heading: str
    part_key_heading: str  # a key for part Ⅰ only
    part_two: tuple[str, ...]  # what follows a key in the middle: 附加题, 第Ⅱ卷
    answer_label: str
    analysis_label: str
    key_table_labels: tuple[str, str]
    none_of_the_above: str
    sheet_title: str
    sheet_label: str

    def footer(self, number: int, total: int) -> str:
        if self.subject.isascii():
            return f"Mathematics  Page {number} of {total}"
        return f"{self.subject.replace('　', '')}试题 第{number}页（共{total}页）"


CHINESE = PaperTexts(
    titles=TITLES, subject="数　学", full_score="本试卷满分150分，考试用时120分钟。", secret="绝密★启用前",
    notice_heading="注意事项：", notices=NOTICES, section_names=("一、", "二、", "三、", "四、"),
    choice_task="{name}选择题：本题共{count}小题，每小题5分，共{total}分。在每小题给出的四个选项中，只有一项是符合题目要求的。",
    key_heading="参考答案", part_key_heading="第Ⅰ卷参考答案", part_two=("附加题", "第Ⅱ卷"),
    answer_label="【答案】", analysis_label="【解析】", key_table_labels=("题号", "答案"),
    none_of_the_above="以上皆非", sheet_title="答题卡", sheet_label="选择题答题区（每小题5分）",
)
ENGLISH = PaperTexts(
    titles=("Grade 11 Mathematics Final Examination", "Senior High School Mathematics Midterm Test",
            "Mathematics Practice Paper (Set B)"),
    subject="Mathematics", full_score="Total: 150 points. Time allowed: 120 minutes.", secret="CONFIDENTIAL",
    notice_heading="Instructions:",
    notices=("Write your name and candidate number on the answer sheet before you begin.",
             "Mark your answers to the multiple-choice questions on the answer sheet with a pencil.",
             "Hand in this paper and the answer sheet at the end of the examination."),
    section_names=("I. ", "II. ", "III. ", "IV. "),
    choice_task="{name}Multiple Choice: {count} questions, 5 points each, {total} points in total. Choose the one correct answer.",
    key_heading="Answer Key", part_key_heading="Answer Key to Part I", part_two=("Additional Questions", "Part II"),
    answer_label="Answer: ", analysis_label="Solution: ", key_table_labels=("No.", "Key"),
    none_of_the_above="None of the above", sheet_title="Answer Sheet", sheet_label="Multiple choice (5 points each)",
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
    layout: str  # single_column, two_column, three_column (A4) or a3_spread (columns per half below)
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
    family: str = "mixed"
    columns: int = 1  # text columns per A4 page, or per half of an A3 spread
    gutter_px: int | None = None  # white space between columns; None: two body characters
    title_in_column: bool = False  # the title block set in the first column, as wide as the column
    numbering: str = "continuous"  # "restart": every section numbers its questions from 1
    option_layout: str = "grid"  # "inline": (A)…(E) run on in the stem's lines, wrapped (Taiwan style)
    script: str = "simplified"  # "traditional": every Chinese string converted (OpenCC s2t)
    language: str = "zh"  # "en": English papers
    answers: str = "none"  # "key_end", "key_middle" (附加题/第Ⅱ卷 after it), "teacher" (after each question)
    answer_sheet: bool = False  # a last page of numbered empty answer boxes, which are not questions
    formula_runs: bool = False  # sub/superscripts drawn small and lowered/raised, single letters italic
    bare_first_label: bool = False  # option A typed without its mark ("A NaCl  B. KNO3"), as in some docx papers

    @property
    def texts(self) -> PaperTexts:
        return ENGLISH if self.language == "en" else CHINESE


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
                columns=2 if layout == "two_column" else 1,
            )
        )
    return styles


# ---------------------------------------------------------------------------------------------------------
# Layout families: one kind of page each, selectable by name, every paper a function of (family, seed, index)
# ---------------------------------------------------------------------------------------------------------
GUTTER_MM = (4, 5, 6, 8, 10, 12, 16, 20)
KEY_FAMILIES = ("key_end", "key_middle", "teacher_copy")
FAMILIES = {
    "gutter": "two columns, gutter 4–20 mm, the title often set in the left column as wide as it",
    "columns": "one, two or three columns on A4",
    "a3_columns": "A3 spreads, two columns on each half",
    "wide_titles": "two columns, narrow gutter, the title and headings run up to the gutter",
    "section_restart": "three sections, each numbering its questions from 1",
    "inline_options": "Taiwan style: (A)–(E) run on in the stem's lines, wrapped, in traditional Chinese",
    "traditional": "traditional Chinese, options in a grid",
    "english": "English papers (generated arithmetic and algebra questions)",
    "key_end": "an answer key (list, table or with 解析) after the last question",
    "key_middle": "a key after part Ⅰ, then 附加题 or 第Ⅱ卷 continuing the numbers, sometimes a second key",
    "teacher_copy": "teacher's copy: 【答案】 and 【解析】 printed after each question",
    "answer_sheet": "a last page of numbered empty answer boxes (not questions)",
    "formulas": "stems with inline formulas: sub/superscripts small and lowered/raised, letters italic",
    "bare_labels": "option A typed without its mark (A NaCl  B. KNO3), options 4, 2 or 1 to a row",
    "scan": "two columns scanned: grey paper, blur, noise, skew, JPEG",
    "mixed": "the original round robin over layouts, number forms and scans",
}


def _mm_px(mm: float) -> int:
    return round(mm / MM_PER_INCH * DPI)


def family_style(family: str, seed: int, index: int) -> PaperStyle:
    """Paper `index` (0-based) of a family for a seed; the same arguments give the same paper."""
    if family not in FAMILIES:
        raise ValueError(f"unknown layout family {family!r}; choose one of {', '.join(FAMILIES)}")
    if family == "mixed":
        return paper_styles(index + 1, seed)[index]
    rng = random.Random(f"{family}:{seed}:{index}")
    layout, columns = ("two_column", 2) if rng.random() < 0.7 else ("single_column", 1)
    changes: dict = {}
    if family == "gutter":
        layout, columns = "two_column", 2
        changes = dict(gutter_px=_mm_px(GUTTER_MM[(seed * 3 + index) % len(GUTTER_MM)]), title_in_column=rng.random() < 0.5)
    elif family == "columns":
        columns = (1, 2, 3)[(seed + index) % 3]
        layout = ("single_column", "two_column", "three_column")[columns - 1]
    elif family == "a3_columns":
        layout, columns = "a3_spread", 2
    elif family == "wide_titles":
        layout, columns = "two_column", 2
        changes = dict(gutter_px=_mm_px(rng.uniform(4, 8)), title_in_column=True)
    elif family == "section_restart":
        changes = dict(numbering="restart")
    elif family == "inline_options":
        changes = dict(option_layout="inline", script="traditional")
    elif family == "traditional":
        changes = dict(script="traditional")
    elif family == "english":
        changes = dict(language="en")
    elif family == "key_end":
        changes = dict(answers="key_end")
    elif family == "key_middle":
        changes = dict(answers="key_middle")
    elif family == "teacher_copy":
        changes = dict(answers="teacher")
    elif family == "answer_sheet":
        changes = dict(answer_sheet=True)
    elif family == "formulas":
        changes = dict(formula_runs=True)
    elif family == "bare_labels":
        changes = dict(bare_first_label=True)
    scan_kind = rng.choice(("noisy", "rotated_jpeg")) if family == "scan" else "clean"
    body_px = rng.randint(22, 24) if columns == 3 else rng.randint(25, 28)
    count = {1: 14, 2: 20, 3: 24}[columns] * (2 if layout == "a3_spread" else 1) + rng.randint(-2, 2)
    language = changes.get("language", "zh")
    return PaperStyle(
        name=f"{family}_s{seed}_{index + 1:02d}",
        layout=layout,
        number_form=rng.choice(NUMBER_FORMS[:2] if language == "en" else NUMBER_FORMS),
        option_form=rng.choice(OPTION_FORMS),
        body_px=body_px,
        hanging_indent=rng.random() < 0.5,
        question_count=count,
        figure_count=0 if language == "en" else rng.randint(0, 2),
        second_section_at=None,
        title=rng.choice((ENGLISH if language == "en" else CHINESE).titles),
        running_header=rng.random() < 0.5,
        scan=_scan_style(scan_kind, rng),
        family=family,
        columns=columns,
        **changes,
    )


def family_styles(family: str, n_papers: int, seed: int) -> list[PaperStyle]:
    return [family_style(family, seed, index) for index in range(n_papers)]


ENGLISH_NAMES = ("Tom", "Anna", "Li Ming", "Sara", "David", "Emma")


def english_items(rng: random.Random, count: int = 80) -> list[ChoiceItem]:
    """Generated English multiple-choice questions with their answers (the key is known by construction)."""
    items = []
    for n in range(count):
        kind = n % 6
        a, b, c = rng.randint(2, 9), rng.randint(1, 20), rng.randint(2, 12)
        if kind == 0:
            x = rng.randint(1, 12)
            stem, right = f"If {a}x + {b} = {a * x + b}, what is the value of x?", x
        elif kind == 1:
            stem, right = f"A rectangle is {a + 3} cm long and {c} cm wide. What is its area in square centimetres?", (a + 3) * c
        elif kind == 2:
            stem, right = f"What is the sum of the first {c + 3} positive integers?", (c + 3) * (c + 4) // 2
        elif kind == 3:
            stem, right = f"If f(x) = {a}x² + {b}, then f({c % 5 + 1}) equals", a * (c % 5 + 1) ** 2 + b
        elif kind == 4:
            name = rng.choice(ENGLISH_NAMES)
            stem = f"{name} buys {a} notebooks at {c} dollars each and pays with a {a * c + b}-dollar note. How much change is given?"
            right = b
        else:
            values = [rng.randint(1, 20) for _ in range(4)]
            stem, right = f"The mean of {values[0]}, {values[1]}, {values[2]} and {values[3]} is", sum(values) / 4
        right_text = f"{right:g}"
        wrong = set()
        while len(wrong) < 3:
            candidate = f"{right + rng.choice((-3, -2, -1, 1, 2, 4, 5)) * rng.choice((1, 1, 2)):g}"
            if candidate != right_text:
                wrong.add(candidate)
        options = sorted(wrong | {right_text}, key=lambda v: float(v))
        answer = LABELS[options.index(right_text)]
        items.append(ChoiceItem(stem, tuple(options), f"english#{n}", None, answer,
                                f"Work it out step by step: the result is {right_text}."))
    return items


_OPENCC = None


def to_traditional(text: str) -> str:
    """Simplified → traditional Chinese, character by character (OpenCC s2t); rich-text marks kept."""
    global _OPENCC
    if _OPENCC is None:
        import opencc

        _OPENCC = opencc.OpenCC("s2t")
    return _OPENCC.convert(text)


def _traditional_item(item: ChoiceItem) -> ChoiceItem:
    return replace(item, stem=to_traditional(item.stem), options=tuple(to_traditional(o) for o in item.options),
                   analysis=to_traditional(item.analysis) if item.analysis else None)


def _traditional_texts(texts: PaperTexts) -> PaperTexts:
    changed = {}
    for name, value in vars(texts).items():
        changed[name] = tuple(map(to_traditional, value)) if isinstance(value, tuple) else to_traditional(value)
    return PaperTexts(**changed)


# ---------------------------------------------------------------------------------------------------------
# Drawing
# ---------------------------------------------------------------------------------------------------------
@dataclass
class _QuestionGt:
    """What was drawn for one question, per page: (text, box) lines in reading order and figure boxes."""

    qnum: int
    lines: dict[int, list[tuple[str, Box]]] = field(default_factory=dict)
    figures: dict[int, list[Box]] = field(default_factory=dict)
    section: int = 1
    options: list[tuple[str, str]] = field(default_factory=list)
    item: ChoiceItem | None = None
    answer: str | None = None  # set only where the paper prints it
    analysis: str | None = None

    def add_line(self, page: int, text: str, box: Box) -> None:
        self.lines.setdefault(page, []).append((text, box))

    def add_figure(self, page: int, box: Box) -> None:
        self.figures.setdefault(page, []).append(box)


WRAP_TOKEN = re.compile(rf"[{SUB}{SUP}][^{END}]*{END}|{ANSWER_BRACKET}|\([A-E]\)|[A-Za-z0-9.]+|.", re.S)
NO_LINE_START = "，。；：、）？！,.;:)" + SUB + SUP
ITALIC_LETTER = re.compile(r"(?<![A-Za-z])[A-Za-z](?![A-Za-z])")  # a lone maths letter…
OPTION_LABEL = re.compile(r"\([A-E]\)|[A-H](?=\s*[.．])")  # …unless it is an option label
ITALIC_FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif-Italic.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSerif-Italic.ttf",
    "/usr/share/fonts/truetype/liberation2/LiberationSerif-Italic.ttf",
)
SCRIPT_SCALE = 0.66  # a sub/superscript's size against the body
SUB_DROP, SUP_RISE = 0.22, 0.42  # baseline shift, share of the body size


class _ExamWriter(_PageWriter):
    """The sample paper's writer, flowing through text columns (frames) of A4 pages or A3 spreads."""

    def __init__(self, style: PaperStyle, body: CjkFont, bold: CjkFont) -> None:
        super().__init__(DPI, body, bold)
        self.style = style
        traditional = style.script == "traditional"
        self.texts = _traditional_texts(style.texts) if traditional else style.texts
        self.title = to_traditional(style.title) if traditional else style.title
        self.body_px = style.body_px
        self.pitch = round(style.body_px * LINE_PITCH)
        self.indent = 2 * style.body_px
        self.body, self.bold = body, bold
        self.font = body.load(self.body_px)
        self.heading_font = bold.load(self.body_px)
        self.title_font = bold.load(round(self.body_px * 1.5))
        self.small_font = body.load(round(self.body_px * 0.8))
        self.script_fonts: dict[int, ImageFont.FreeTypeFont] = {}
        italic = next((p for p in ITALIC_FONT_CANDIDATES if Path(p).is_file()), None)
        self.italic_font = ImageFont.truetype(italic, self.body_px) if italic and style.formula_runs else None
        margin = self.margin
        gutter = style.gutter_px if style.gutter_px is not None else 2 * style.body_px
        if style.layout == "a3_spread":
            self.width = 2 * A4_WIDTH
            self.halves = [(0, A4_WIDTH), (A4_WIDTH, self.width)]
        else:
            self.halves = [(0, self.width)]
        self.frames = []
        for x0, x1 in self.halves:
            left, right = x0 + margin, x1 - margin
            column_width = (right - left - gutter * (style.columns - 1)) / style.columns
            for column in range(style.columns):
                start = left + column * (column_width + gutter)
                self.frames.append((round(start), round(start + column_width)))
        self.pages.clear()
        self.lines.clear()
        self.figures: list[list[Box]] = []
        self.start_page()

    # -- rich text: sub/superscripts and italic letters --
    def _script_font(self, font: ImageFont.FreeTypeFont) -> ImageFont.FreeTypeFont:
        size = max(8, round(font.size * SCRIPT_SCALE))
        if size not in self.script_fonts:
            self.script_fonts[size] = self.body.load(size)
        return self.script_fonts[size]

    def _runs(self, text: str, font: ImageFont.FreeTypeFont) -> list[tuple[str, ImageFont.FreeTypeFont, float]]:
        """(text, font, baseline shift in px, + is down) pieces of a line."""
        runs = []
        position = 0
        for match in RICH_RUN.finditer(text):
            runs += self._upright_runs(text[position: match.start()], font)
            shift = SUB_DROP * font.size if match.group(1) == SUB else -SUP_RISE * font.size
            runs.append((match.group(2), self._script_font(font), shift))
            position = match.end()
        return runs + self._upright_runs(text[position:], font)

    def _upright_runs(self, text: str, font):
        if not text:
            return []
        if self.italic_font is None or font is not self.font:
            return [(text, font, 0.0)]
        runs, position = [], 0
        labels = {m.start() + (m.group().startswith("(")) for m in OPTION_LABEL.finditer(text)}
        for match in ITALIC_LETTER.finditer(text):
            if match.start() in labels:
                continue
            if match.start() > position:
                runs.append((text[position: match.start()], font, 0.0))
            runs.append((match.group(), self.italic_font, 0.0))
            position = match.end()
        return runs + ([(text[position:], font, 0.0)] if position < len(text) else [])

    def measure(self, text: str, font: ImageFont.FreeTypeFont | None = None) -> float:
        font = font or self.font
        if not RICH_RUN.search(text) and self.italic_font is None:
            return self.draw.textlength(text, font=font)
        return sum(self.draw.textlength(piece, font=piece_font) for piece, piece_font, _ in self._runs(text, font))

    def text(self, x: int, y: int, text: str, font: ImageFont.FreeTypeFont | None = None) -> Box:
        font = font or self.font
        if not RICH_RUN.search(text) and self.italic_font is None:
            return super().text(x, y, text, font)
        baseline = y + font.getmetrics()[0]
        box, cursor = None, float(x)
        for piece, piece_font, shift in self._runs(text, font):
            top = round(baseline + shift - piece_font.getmetrics()[0])
            self.draw.text((round(cursor), top), piece, fill=0, font=piece_font)
            piece_box = self.draw.textbbox((round(cursor), top), piece, font=piece_font)
            if piece.strip():
                box = _union(box, tuple(int(v) for v in piece_box))
            cursor += self.draw.textlength(piece, font=piece_font)
        if box[3] > self.bottom or box[2] > self.right:
            raise RuntimeError(f"synthetic paper layout overflows page {self.page_number}: {plain_text(text)!r}")
        self.lines[-1].append({"text": plain_text(text), "bbox": list(box)})
        return box

    # -- flow --
    def start_page(self) -> None:
        self.new_page()
        self.figures.append([])
        self.column = 0
        self.column_tops = [self.margin] * len(self.frames)
        if self.style.running_header and self.page_number > 1:
            for x0, x1 in self.halves:  # in the top margin, centred over each A4 half
                text = f"{self.title}·{self.texts.subject.replace('　', '')}"
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
        """Title block: across the page for A4, across the left half of a spread, or in the first column."""
        self.left = self.frames[0][0]
        if self.style.title_in_column:
            self.right = self.frames[0][1]
        elif self.style.layout == "a3_spread":
            self.right = self.frames[self.style.columns - 1][1]
        else:
            self.right = self.frames[-1][1]

    def title_font_for(self, text: str) -> ImageFont.FreeTypeFont:
        """The title font; in a column it is sized to fill the column, so it runs up to the gutter."""
        if not self.style.title_in_column:
            return self.title_font
        room = (self.right - self.left) * 0.985
        size = self.title_font.size * room / self.draw.textlength(text, font=self.title_font)
        font = self.bold.load(max(self.body_px, min(round(size), 3 * self.body_px)))
        while self.draw.textlength(text, font=font) > room and font.size > self.body_px:
            font = self.bold.load(font.size - 1)
        return font

    def begin_columns(self) -> None:
        """Columns start below the title block where it stands above them; others at the top margin."""
        tops = []
        for index in range(len(self.frames)):
            below_title = index == 0 or (
                not self.style.title_in_column and (self.style.layout != "a3_spread" or index < self.style.columns)
            )
            tops.append(self.y if below_title else self.margin)
        self.column_tops = tops
        self.column = 0
        self.left, self.right = self.frames[0]

    # -- drawing with ground-truth tags --
    def put(self, x: int, text: str, font: ImageFont.FreeTypeFont | None = None, **tags) -> Box:
        box = self.text(x, self.y, text, font)
        self.lines[-1][-1].update(tags)
        return box

    def centered_here(self, text: str, font: ImageFont.FreeTypeFont, pitch: int, **tags) -> Box:
        self.ensure_room(pitch)
        width = self.measure(text, font)
        box = self.put(round((self.left + self.right - width) / 2), text, font, **tags)
        self.y += pitch
        return box

    def paragraph(self, prefix: str, text: str, offset: int, hanging: bool, font=None, **first_tags) -> list[tuple[int, str, Box]]:
        """Wrapped lines of prefix + text, `offset` px right of the column's left edge (whichever column each
        line lands in); returns (page, text as read, box) per line drawn."""
        font = font or self.font
        prefix_width = round(self.measure(prefix, font)) if hanging else 0
        available = self.right - self.left - offset - self.body_px // 6  # room for a glyph's overhang
        wrapped = [line.strip() for line in self._wrap(prefix + text, available, available - prefix_width, font)]
        drawn = []
        for index, line in enumerate(part for part in wrapped if part):
            self.ensure_room(self.pitch)
            line_x = self.left + offset + (prefix_width if index else 0)
            box = self.put(line_x, line, font, **(first_tags if index == 0 else {}))
            drawn.append((self.page_number, plain_text(line), box))
            self.y += self.pitch
        return drawn

    def wrap(self, text: str, first_width: float, width: float) -> list[str]:
        """Greedy wrap that keeps the answer bracket, (A) labels, sub/superscript runs and runs of
        letters/digits whole and closing punctuation off the start of a line."""
        tokens = []
        for token in WRAP_TOKEN.findall(text):
            too_wide = self.measure(token, self.font) > min(first_width, width)
            tokens.extend(token if too_wide else [token])
        return greedy_wrap(tokens, first_width, width, lambda t: self.measure(t, self.font), NO_LINE_START)

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
            text = self.texts.footer(number, len(halves))
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
    widths = [writer.measure(option, writer.font) for option in options]
    for per_line in (4, 2):
        if max(widths) <= available / per_line - writer.body_px:
            return per_line
    return 1 if max(widths) <= available else None


def _draw_question(writer: _ExamWriter, qnum: int, item: ChoiceItem, rng: random.Random) -> _QuestionGt | None:
    """Draw one question at the writer's position; None (nothing drawn) when its options cannot fit."""
    style = writer.style
    if style.option_layout == "inline":
        return _draw_inline_question(writer, qnum, item)
    prefix = style.number_form.format(n=qnum)
    options = [(f"{label} " if style.bare_first_label and label == "A" else style.option_form.format(label=label)) + text
               for label, text in zip(LABELS, item.options)]
    indent = round(writer.measure(prefix, writer.font)) if style.hanging_indent else writer.indent
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
        prefix_width = writer.measure(prefix, writer.font) if style.hanging_indent else 0
        stem_lines = len(writer.wrap(prefix + item.stem, text_width, text_width - prefix_width))
        text_height = (stem_lines + 4 // per_line) * writer.pitch
        height = max(text_height, figure.height) if placement == "beside" else text_height + figure.height + writer.pitch
        if height <= writer.bottom - writer.margin:
            writer.ensure_room(height)

    gt = _QuestionGt(qnum, item=item, options=[(label, plain_text(text)) for label, text in zip(LABELS, item.options)])
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
            gt.add_line(writer.page_number, plain_text(options[index]), box)
        writer.y += writer.pitch
    if text_right is not None:
        writer.right = writer.frames[writer.column][1]
        page, column, box = figure_at
        if (writer.page_number, writer.column) == (page, column):
            writer.y = max(writer.y, box[3] + writer.pitch // 2)
    if placement == "after":
        draw_figure_here()
    return gt


def _draw_inline_question(writer: _ExamWriter, qnum: int, item: ChoiceItem) -> _QuestionGt:
    """Taiwan style: stem then (A)…(E) run on in the same wrapped lines, labels mid-line."""
    options = [*item.options, writer.texts.none_of_the_above]
    stem = item.stem.removesuffix(ANSWER_BRACKET)
    text = stem + "".join(f"({label}){option}" + ("　" if label != "E" else "") for label, option in zip("ABCDE", options))
    gt = _QuestionGt(qnum, item=item, options=[(label, plain_text(o)) for label, o in zip("ABCDE", options)])
    prefix = writer.style.number_form.format(n=qnum)
    for page, line, box in writer.paragraph(prefix, text, 0, writer.style.hanging_indent, kind="question_start", qnum=qnum):
        gt.add_line(page, line, box)
    return gt


def _draw_teacher_answer(writer: _ExamWriter, gt: _QuestionGt) -> None:
    """A teacher's copy prints 【答案】 and 【解析】 right after the question."""
    item, texts = gt.item, writer.texts
    if item is None or not item.answer:
        return
    indent = writer.indent
    writer.paragraph("", texts.answer_label + item.answer, indent, False, kind="answer", qnum=gt.qnum)
    gt.answer = item.answer
    if item.analysis:
        writer.paragraph(texts.analysis_label, item.analysis, indent, True, kind="analysis", qnum=gt.qnum)
        gt.analysis = item.analysis


def _draw_key(writer: _ExamWriter, questions: list[_QuestionGt], heading: str, rng: random.Random) -> None:
    """An answer key for `questions`: a list of N．X in slots, a ruled 题号/答案 table, or one line per
    question with its 解析. Sets each question's printed answer (and analysis)."""
    keyed = [q for q in questions if q.item is not None and q.item.answer]
    if not keyed:
        return
    form = rng.choice(("list", "table", "detailed"))
    writer.y += writer.pitch // 3
    writer.centered_here(heading, writer.heading_font, writer.pitch, kind="answer_key")
    number_form = writer.style.number_form
    if form == "detailed":
        for q in keyed:
            analysis = q.item.analysis
            text = q.item.answer + ("　" + analysis if analysis else "")
            writer.paragraph(number_form.format(n=q.qnum), text, 0, True, kind="answer_key", qnum=q.qnum)
            q.answer, q.analysis = q.item.answer, analysis
        return
    if form == "list":
        entries = [f"{number_form.format(n=q.qnum).strip()}{q.item.answer}" for q in keyed]
        slot = max(writer.measure(e) for e in entries) + 1.5 * writer.body_px
        per_row = max(1, int((writer.right - writer.left) // slot))
        for start in range(0, len(entries), per_row):
            writer.ensure_room(writer.pitch)
            for column, entry in enumerate(entries[start: start + per_row]):
                writer.put(round(writer.left + column * slot), entry, kind="answer_key")
            writer.y += writer.pitch
    else:
        label_width = max(writer.measure(t) for t in writer.texts.key_table_labels) + writer.body_px
        cell = 2.2 * writer.body_px
        per_row = max(1, int((writer.right - writer.left - label_width) // cell))
        row_height = round(writer.pitch * 1.2)
        for start in range(0, len(keyed), per_row):
            chunk = keyed[start: start + per_row]
            writer.ensure_room(2 * row_height + 4)
            top = writer.y
            right = round(writer.left + label_width + cell * len(chunk))
            for row, (label, values) in enumerate(zip(writer.texts.key_table_labels,
                                                      ([str(q.qnum) for q in chunk], [q.item.answer for q in chunk]))):
                writer.y = top + row * row_height + (row_height - writer.body_px) // 2 - 2
                writer.put(writer.left + writer.body_px // 3, label, kind="answer_key")
                for column, value in enumerate(values):
                    width = writer.measure(value)
                    x = round(writer.left + label_width + cell * column + (cell - width) / 2)
                    writer.put(x, value, kind="answer_key")
            for row in range(3):
                y = top + row * row_height
                writer.draw.line((writer.left, y, right, y), fill=0, width=2)
            for x in [writer.left] + [round(writer.left + label_width + cell * c) for c in range(len(chunk) + 1)]:
                writer.draw.line((x, top, x, top + 2 * row_height), fill=0, width=2)
            writer.y = top + 2 * row_height + writer.pitch // 2
    for q in keyed:
        q.answer = q.item.answer


def _draw_answer_sheet(writer: _ExamWriter, count: int) -> None:
    """A last page of numbered empty boxes, one per question: a place to write answers, not questions."""
    writer.start_page()
    writer.left, writer.right = writer.halves[0][0] + writer.margin, writer.halves[0][1] - writer.margin
    writer.centered_here(writer.texts.sheet_title, writer.title_font, round(writer.pitch * 1.6), kind="answer_sheet")
    writer.put(writer.left, writer.texts.sheet_label, writer.heading_font, kind="answer_sheet")
    writer.y += round(writer.pitch * 1.3)
    per_row = 5
    cell = (writer.right - writer.left) / per_row
    box_height = round(writer.pitch * 1.4)
    for start in range(1, count + 1, per_row):
        writer.ensure_room(box_height + writer.pitch)
        for column, number in enumerate(range(start, min(count, start + per_row - 1) + 1)):
            x = round(writer.left + column * cell)
            writer.put(x, f"{number}", kind="answer_sheet")
            label_width = writer.measure(f"{number}") + writer.body_px // 2
            writer.draw.rectangle((x + label_width, writer.y - box_height // 4, round(x + cell - writer.body_px),
                                   writer.y - box_height // 4 + box_height), outline=0, width=2)
        writer.y += box_height + writer.pitch // 2


def _pick_items(style: PaperStyle, plain: list[ChoiceItem], with_figure: list[ChoiceItem], rng: random.Random):
    """Items in print order: a shuffled supply of plain questions with figure questions spread among them."""
    supply = plain[:]
    rng.shuffle(supply)
    if style.formula_runs:  # questions with sub/superscripts first
        supply.sort(key=lambda item: RICH_RUN.search(item.stem + "".join(item.options)) is not None)
    figures = rng.sample(with_figure, min(style.figure_count, len(with_figure)))
    slots = sorted(rng.sample(range(2, style.question_count + 1), len(figures)))
    return supply, dict(zip(slots, figures))


@dataclass(frozen=True)
class _Section:
    heading: str
    numbers: list[int]
    part_heading: str | None = None  # 第Ⅱ卷 / 附加题 above the section
    key_after: str | None = None  # the heading of an answer key printed after the section


def _sections(style: PaperStyle, texts: PaperTexts, rng: random.Random) -> list[_Section]:
    count = style.question_count

    def task(index: int, size: int) -> str:
        return texts.choice_task.format(name=texts.section_names[index], count=size, total=5 * size)

    if style.numbering == "restart":
        sizes = [count // 3, count // 3, count - 2 * (count // 3)]
        return [_Section(task(i, size), list(range(1, size + 1))) for i, size in enumerate(sizes)]
    if style.answers == "key_middle":
        first = max(4, round(count * rng.uniform(0.5, 0.7)))
        part_two = rng.choice(texts.part_two)
        second_key = texts.key_heading if rng.random() < 0.5 else None
        return [_Section(task(0, first), list(range(1, first + 1)), key_after=texts.part_key_heading),
                _Section(task(1, count - first), list(range(first + 1, count + 1)), part_heading=part_two,
                         key_after=second_key)]
    key = texts.key_heading if style.answers == "key_end" else None
    if style.second_section_at:
        first = style.second_section_at - 1
        second = (f"二、选择题：本题共{count - first}小题，每小题5分，共{5 * (count - first)}分。"
                  "在每小题给出的选项中，有多项符合题目要求。")
        return [_Section(task(0, first), list(range(1, first + 1))),
                _Section(second, list(range(first + 1, count + 1)), key_after=key)]
    return [_Section(task(0, count), list(range(1, count + 1)), key_after=key)]


def _draw_paper(style: PaperStyle, plain, with_figure, body: CjkFont, bold: CjkFont):
    rng = random.Random(style.name)
    writer = _ExamWriter(style, body, bold)
    texts = writer.texts
    writer.header_width()
    if rng.random() < 0.6:
        writer.put(writer.left, texts.secret, writer.small_font)
        writer.y += writer.pitch
    title_font = writer.title_font_for(writer.title)
    writer.centered_here(writer.title, title_font, round(title_font.size * 1.4 / 1.5 * LINE_PITCH))
    writer.centered_here(texts.subject, writer.title_font, round(writer.pitch * 1.4))
    if not style.title_in_column:
        writer.centered_here(texts.full_score, writer.font, writer.pitch)
    writer.put(writer.left, texts.notice_heading, writer.heading_font)
    writer.y += writer.pitch
    for number, notice in enumerate(texts.notices, start=1):
        writer.paragraph(style.number_form.format(n=number), notice, writer.indent, True,
                         kind="numbered_line_not_question")
    writer.y += writer.pitch // 3
    writer.begin_columns()

    supply, figure_slots = _pick_items(style, plain, with_figure, rng)
    questions: list[_QuestionGt] = []
    for section_index, section in enumerate(_sections(style, texts, rng), start=1):
        if section.part_heading:
            writer.y += writer.pitch // 3
            writer.centered_here(section.part_heading, writer.heading_font, writer.pitch, kind="part")
        writer.y += writer.pitch // 4
        writer.paragraph("", section.heading, 0, False, writer.heading_font, kind="section")
        drawn = []
        for qnum in section.numbers:
            position = len(questions) + len(drawn) + 1  # figures go by print position, whatever the numbering
            item = figure_slots.get(position)
            gt = _draw_question(writer, qnum, item, rng) if item else None
            while gt is None:
                if not supply:
                    raise SynthDataError("ran out of questions whose options fit the layout")
                gt = _draw_question(writer, qnum, supply.pop(), rng)
            gt.section = section_index
            if style.answers == "teacher":
                _draw_teacher_answer(writer, gt)
            drawn.append(gt)
            writer.y += writer.pitch // 4
        if section.key_after:
            _draw_key(writer, drawn, section.key_after, rng)
        questions += drawn
    if style.answer_sheet:
        _draw_answer_sheet(writer, len(questions))
    writer.footers()
    return writer, questions


def _fit_pages(style: PaperStyle, plain, with_figure, body, bold):
    """Draw, adding or removing questions until the paper has 2–4 page images (besides an answer sheet)."""
    for _ in range(8):
        writer, questions = _draw_paper(style, plain, with_figure, body, bold)
        pages = len(writer.pages) - style.answer_sheet
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
        out_questions.append({
            "qnum": question.qnum, "section": question.section, "parts": parts,
            "options": [{"label": label, "text": text} for label, text in question.options],
            "answer": question.answer, "analysis": question.analysis,
        })
    return {
        "source_pdf": f"papers/{style.name}",
        "dpi": DPI,
        "note": (
            f"synthetic paper (ocr_assets.synth): layout {style.layout}, numbers {style.number_form.format(n=1).strip()!r}, "
            f"scan {style.scan.kind}; text, line boxes, figure boxes and question parts are exact, recorded while "
            f"drawing; {rotation}"
        ),
        "family": style.family,
        "style": {key: value for key, value in vars(style).items() if key not in ("name", "scan", "title")},
        "pages": pages,
        "questions": out_questions,
    }


# ---------------------------------------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------------------------------------
def _items_for(style: PaperStyle, question_file: Path, figures_dir: Path, body: CjkFont, cache: dict):
    """(plain, with_figure) items the style draws: GAOKAO-Bench maths (rich for formula runs, converted for
    traditional script) or generated English questions."""
    key = (style.language, style.formula_runs, style.script)
    if key not in cache:
        if style.language == "en":
            cache[key] = (english_items(random.Random(7)), [])
        else:
            plain, with_figure = load_items(question_file, figures_dir, body, rich=style.formula_runs)
            if style.script == "traditional":
                plain, with_figure = [_traditional_item(i) for i in plain], [_traditional_item(i) for i in with_figure]
            cache[key] = (plain, with_figure)
    return cache[key]


def generate(
    out_dir: Path,
    n_papers: int = 6,
    seed: int = 0,
    question_file: Path | None = None,
    figures_dir: Path | None = None,
    family: str | None = None,
) -> list[Path]:
    """Render n_papers papers into out_dir/papers/<name>/ and their ground truth into out_dir/gt/;
    return the ground-truth paths. `family` (see FAMILIES) picks one kind of layout; None: the mixed set.
    The same arguments give the same pages and ground truth."""
    body = find_cjk_font()
    bold = find_cjk_bold_font(body)
    question_file = Path(question_file or DEFAULT_QUESTION_FILE)
    figures_dir = Path(figures_dir or DEFAULT_FIGURES_DIR)
    styles = paper_styles(n_papers, seed) if family in (None, "mixed") else family_styles(family, n_papers, seed)
    out_dir = Path(out_dir)
    (out_dir / "gt").mkdir(parents=True, exist_ok=True)
    written, cache = [], {}
    for index, style in enumerate(styles):
        plain, with_figure = _items_for(style, question_file, figures_dir, body, cache)
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
    parser.add_argument("--family", choices=sorted(FAMILIES), default=None,
                        help="one layout family (default: the mixed set); " + "; ".join(f"{k}: {v}" for k, v in FAMILIES.items()))
    args = parser.parse_args(argv)
    try:
        paths = generate(args.out_dir, args.papers, args.seed, args.questions, args.figures, args.family)
    except (FontNotFoundError, SynthDataError) as error:
        print(f"synth: {error}", file=sys.stderr)
        return 2
    for path in paths:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())


# ---------------------------------------------------------------------------------------------------------
# Equation rows: the formula family that reproduces runs the detector misses at side 960
# ---------------------------------------------------------------------------------------------------------
SERIF_CANDIDATES = (
    "/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf",
    "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
)
# (text, kind): "" plain serif, "_" subscript, "^=" a reaction condition stacked over the sign before it
REACTIONS = (
    (("2NaHCO", ""), ("3", "_"), ("=", ""), ("Δ", "^="), ("Na", ""), ("2", "_"), ("CO", ""), ("3", "_"), ("+H", ""), ("2", "_"),
     ("O+CO", ""), ("2", "_"), ("↑", "")),
    (("2H", ""), ("2", "_"), ("O", ""), ("2", "_"), ("=", ""), ("MnO₂", "^="), ("2H", ""), ("2", "_"), ("O+O", ""),
     ("2", "_"), ("↑", "")),
    (("CaCO", ""), ("3", "_"), ("=", ""), ("高温", "^="), ("CaO+CO", ""), ("2", "_"), ("↑", "")),
    (("3Fe+2O", ""), ("2", "_"), ("=", ""), ("点燃", "^="), ("Fe", ""), ("3", "_"), ("O", ""), ("4", "_")),
    (("2KMnO", ""), ("4", "_"), ("=", ""), ("Δ", "^="), ("K", ""), ("2", "_"), ("MnO", ""), ("4", "_"), ("+MnO", ""),
     ("2", "_"), ("+O", ""), ("2", "_"), ("↑", "")),
    (("Zn+H", ""), ("2", "_"), ("SO", ""), ("4", "_"), ("=ZnSO", ""), ("4", "_"), ("+H", ""), ("2", "_"), ("↑", "")),
)
EQUATION_LEADS = ("加热时发生的反应为", "实验室制取气体的反应为", "写出化学方程式：", "已知：")
EQUATION_LINKS = ("，继续加热又发生", "，随后发生", "，再经过反应")
EQUATION_TAILS = ("。试计算：", "。", "，该反应属于分解反应。")


@dataclass
class EquationRow:
    text: str  # the row as read: Chinese and equations, subscripts as Unicode (₂), conditions left out
    box: Box
    formulas: list[tuple[str, Box]]  # each equation as read, and where it was drawn


def equation_page(seed: int, dpi: int = 150) -> tuple[Image.Image, list[EquationRow]]:
    """An A4 page of chemistry rows as a Word equation object sets them: Chinese at 10.5 pt, the equation
    in a larger Times-like serif with thin strokes, subscripts small and lowered, a reaction condition
    (Δ, 高温, MnO₂) stacked small over the sign — one or two equations per row, scanned at `dpi`."""
    serif_path = next((p for p in SERIF_CANDIDATES if Path(p).is_file()), None)
    if serif_path is None:
        raise SynthDataError("no serif Latin font (Liberation/DejaVu Serif): apt-get install fonts-liberation")
    rng = random.Random(f"equations:{seed}:{dpi}")
    body = round(10.5 / 72 * dpi)
    big = round(body * rng.uniform(1.15, 1.35))
    cjk, cjk_small = find_cjk_font().load(body), find_cjk_font().load(round(body * 0.6))
    serif, script = ImageFont.truetype(serif_path, big), ImageFont.truetype(serif_path, round(big * 0.62))
    width, height = round(A4_MM[0] / MM_PER_INCH * dpi), round(A4_MM[1] / MM_PER_INCH * dpi)
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    left, y, rows = round(0.75 * dpi), round(0.8 * dpi), []

    def equation(x: float, reaction) -> tuple[float, str, Box]:
        read, x0 = "", x
        for text, kind in reaction:
            if kind == "_":
                draw.text((x, y + big * 0.42), text, font=script, fill=0)
                x += draw.textlength(text, font=script)
                read += text.translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))
            elif kind == "^=":
                font = cjk_small if not text.isascii() else script
                sign = draw.textlength("=", font=serif)
                w = draw.textlength(text, font=font)
                draw.text((x - sign / 2 - w / 2, y - big * 0.45), text, font=font, fill=0)
            else:
                draw.text((x, y), text, font=serif, fill=0)
                x += draw.textlength(text, font=serif)
                read += text
        return x, read, (x0, y - big * 0.45, x, y + big * 1.2)

    def measure(parts) -> float:
        return sum(draw.textlength(part, font=cjk) if isinstance(part, str) else sum(
            draw.textlength(text, font=script if kind == "_" else serif) for text, kind in part if kind != "^=")
            for part in parts)

    while y < height - dpi:
        x, text, formulas = left, "", []
        parts = [rng.choice(EQUATION_LEADS), rng.choice(REACTIONS)]
        if rng.random() < 0.5:
            parts += [rng.choice(EQUATION_LINKS), rng.choice(REACTIONS)]
        parts.append(rng.choice(EQUATION_TAILS))
        if left + measure(parts) > width - left:
            parts = parts[:2] + parts[-1:]  # one equation where two do not fit
        for part in parts:
            if isinstance(part, str):
                draw.text((x, y + (big - body) * 0.6), part, font=cjk, fill=0)
                x += draw.textlength(part, font=cjk)
                text += part
            else:
                x, read, box = equation(x, part)
                formulas.append((read, box))
                text += read
        if x > width - left:
            break
        rows.append(EquationRow(text, (left, y - big * 0.45, x, y + big * 1.2), formulas))
        y += round(big * rng.uniform(2.0, 2.6))
    return image, rows
