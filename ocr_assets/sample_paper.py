"""Render the project's own sample exam paper and the questions it contains.

The paper is an original 七年级数学 exercise (no copied exam text): a 2-page A4 PDF of grayscale page images,
plus `sample_paper.expected.json` in the question format of CONTRACT.md, with every bbox recorded while drawing.

    python -m ocr_assets.sample_paper OUT_DIR [--dpi 200]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

PAPER_NAME = "sample_paper"
A4_MM = (210.0, 297.0)
MM_PER_INCH = 25.4

# Known places of a Simplified-Chinese font, most exam-like (宋体-style serif) first.
CJK_FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
)
# Headings in 黑体 style; falls back to the body font.
CJK_BOLD_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Bold.ttc",
)
# Fixed PDF dates so that the same input gives the same bytes.
PDF_DATE = time.strptime("2024-09-01 08:00:00", "%Y-%m-%d %H:%M:%S")
JPEG_QUALITY = 70


class FontNotFoundError(RuntimeError):
    pass


@dataclass(frozen=True)
class CjkFont:
    path: str
    index: int  # face inside a .ttc collection
    name: str  # family name, e.g. "Noto Serif CJK SC"

    def load(self, size_px: int) -> ImageFont.FreeTypeFont:
        return ImageFont.truetype(self.path, size_px, index=self.index)


def _simplified_chinese_face(path: str) -> CjkFont | None:
    """The SC face of a font file (collections hold JP/KR/SC/TC/HK faces), or its first face."""
    first: CjkFont | None = None
    for index in range(16):
        try:
            family, _style = ImageFont.truetype(path, 12, index=index).getname()
        except OSError:
            break
        face = CjkFont(path, index, family or Path(path).stem)
        first = first or face
        if face.name.endswith(" SC"):
            return face
    return first


def _fc_match(pattern: str) -> str | None:
    if shutil.which("fc-match") is None:
        return None
    try:
        result = subprocess.run(
            ["fc-match", "-f", "%{file}", pattern], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    found = result.stdout.strip()
    return found if found and Path(found).is_file() else None


def missing_glyph(font: ImageFont.FreeTypeFont):
    """A test for characters the font would draw as the .notdef box."""
    notdef = bytes(font.getmask("\U0010fffd"))
    cache: dict[str, bool] = {}

    def missing(char: str) -> bool:
        if char not in cache:
            cache[char] = not char.isspace() and bytes(font.getmask(char)) == notdef
        return cache[char]

    return missing


def _draws_chinese(face: CjkFont) -> bool:
    missing = missing_glyph(face.load(24))
    return not any(missing(char) for char in "试卷题")


def find_cjk_font() -> CjkFont:
    """The body font: a known Noto CJK / WenQuanYi path, else what fontconfig offers for Noto Sans CJK SC
    (fontconfig answers with its nearest match, often a Latin-only font, so the face must draw Chinese)."""
    for path in (*CJK_FONT_CANDIDATES, _fc_match("Noto Sans CJK SC")):
        if path and Path(path).is_file():
            face = _simplified_chinese_face(path)
            if face is not None and _draws_chinese(face):
                return face
    raise FontNotFoundError(
        "no Chinese (CJK) font found for rendering the sample paper; searched "
        + ", ".join(CJK_FONT_CANDIDATES)
        + " and `fc-match 'Noto Sans CJK SC'`. Install one with `apt-get install fonts-noto-cjk`."
    )


def find_cjk_bold_font(body: CjkFont) -> CjkFont:
    for path in CJK_BOLD_CANDIDATES:
        if Path(path).is_file():
            face = _simplified_chinese_face(path)
            if face is not None:
                return face
    return body


# ---------------------------------------------------------------------------------------------------------
# Paper content (original text). Choice questions: (number prefix as printed, stem, options, options per line).
# ---------------------------------------------------------------------------------------------------------
TITLE = "七年级数学单元练习卷"
SUBTITLE = "（满分 50 分，考试时间 40 分钟）"
NAME_LINE = "班级________    姓名________    学号________"
NOTICE_HEADING = "注意事项："
NOTICES = (
    "1．本卷共三大题，12 小题，请在答题卷上作答。",
    "2．答题前，请先在答题卷上填写班级、姓名和学号。",
    "3．考试结束后，只交答题卷，本卷自己保留。",
)

SECTION_CHOICE = "一、选择题"
SECTION_CHOICE_HEADING = "一、选择题（本题共 6 小题，每小题 2 分，共 12 分）"
CHOICE_QUESTIONS = (
    ("1．", "下列各数中，最小的数是", ("-3", "0", "2", "-1"), 4),
    ("2. ", "一个长方形的长是 8 厘米，宽是 5 厘米，它的周长是", ("13 厘米", "26 厘米", "40 厘米", "18 厘米"), 4),
    (
        "3、",
        "下列说法中，正确的是",
        ("两点之间，线段最短", "延长直线 AB 到点 C", "一个角的补角一定是钝角", "相等的角一定是对顶角"),
        2,
    ),
    ("4．", "如果 x = 2 是方程 3x + a = 10 的解，那么 a 的值是", ("2", "4", "6", "8"), 4),
    (
        "5. ",
        "某班有学生 40 人，其中女生占 45%，下列能算出男生人数的式子是",
        ("40 × 45%", "40 × (1 - 45%)", "40 ÷ 45%", "40 - 45%"),
        2,
    ),
    (
        "6、",
        "对于一组数据 3，5，5，7，10，下列说法正确的是",
        ("这组数据的平均数是 5", "这组数据的众数是 5，中位数也是 5", "这组数据的中位数是 7", "这组数据的极差是 5"),
        1,
    ),
)

SECTION_BLANK = "二、填空题"
BLANK = "______"
BLANK_QUESTIONS = (  # (prefix, stem, number of blanks)
    ("7．", f"在 -5、0、3 这三个数中，{BLANK}最大，{BLANK}最小。", 2),
    ("8．", f"小华身高 1.5 米，合{BLANK}厘米；小明比小华高 8 厘米，小明身高{BLANK}厘米。", 2),
    ("9．", f"一个正方形的边长是 6 厘米，它的周长是{BLANK}厘米，面积是{BLANK}平方厘米。", 2),
)
POINTS_PER_BLANK = 1  # 每空 1 分: a fill-in question is worth this times its blanks
SECTION_BLANK_HEADING = (
    f"二、填空题（每空 {POINTS_PER_BLANK} 分，共 {POINTS_PER_BLANK * sum(n for _, _, n in BLANK_QUESTIONS)} 分）"
)

SECTION_FREE = "三、解答题"
SECTION_FREE_HEADING = "三、解答题（本题共 3 小题，共 32 分）"


@dataclass(frozen=True)
class FreeQuestion:
    prefix: str
    score: int
    stem: str
    sub_questions: tuple[str, ...]
    answer_lines: float  # blank space left under each sub-question, in line pitches
    with_figure: bool = False


FREE_QUESTIONS = (
    FreeQuestion("10．", 8, "计算：", ("（1）(-3) + 7 - (-5)；", "（2）4 × (-2) - 12 ÷ 3。"), answer_lines=1.0),
    FreeQuestion(
        "11．",
        12,
        "学校组织 120 名学生参加植树活动，学生分成甲、乙两组，甲组的人数比乙组人数的 2 倍少 30 人。",
        ("（1）设乙组有 x 人，用含 x 的式子表示甲组的人数，并列出方程；", "（2）解这个方程，求甲、乙两组各有多少人。"),
        answer_lines=1.5,
    ),
    FreeQuestion(
        "12．",
        12,
        "如图，一块长方形菜地长 8 米、宽 5 米，菜地中间修了一条宽 1 米的小路（图中阴影部分），其余部分种菜。",
        ("（1）求这块菜地的总面积；", "（2）求种菜部分的面积；", "（3）如果每平方米收获青菜 3 千克，一共能收获青菜多少千克？"),
        answer_lines=1.5,
        with_figure=True,
    ),
)


# ---------------------------------------------------------------------------------------------------------
# Layout
# ---------------------------------------------------------------------------------------------------------
Box = tuple[int, int, int, int]


def _union(a: Box | None, b: Box) -> Box:
    if a is None:
        return b
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


@dataclass
class _Question:
    number: str
    section: str
    type: str
    score: float | None
    stem: str
    options: list[dict] = field(default_factory=list)
    sub_questions: list[dict] = field(default_factory=list)
    spans: dict[int, Box] = field(default_factory=dict)
    figures: list[tuple[int, Box]] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "number": self.number,
            "section": self.section,
            "type": self.type,
            "score": self.score,
            "stem": self.stem,
            "options": self.options,
            "sub_questions": self.sub_questions,
            "spans": [{"page": page, "bbox": list(box)} for page, box in sorted(self.spans.items())],
            "figures": [{"page": page, "bbox": list(box)} for page, box in self.figures],
        }


NO_LINE_START = "，。；：、）？！"  # closing punctuation that must not begin a line
NO_LINE_END = "（(“《√"  # opening brackets and a root sign stay with what follows ("√\n5.P…" reads as question 5)


def greedy_wrap(tokens: list[str], first_width: float, width: float, measure, no_line_start: str = NO_LINE_START) -> list[str]:
    """Fill each line with tokens (characters, or words kept whole) until the next would not fit;
    closing punctuation never starts a line and an opening bracket never ends one: the last character
    moves down to the next line."""
    lines: list[str] = []
    current = ""
    limit = first_width
    for token in tokens:
        if current.strip() and measure(current + token) > limit:
            if (token[0] in no_line_start or current[-1] in NO_LINE_END) and len(current) > 1:
                token, current = current[-1] + token, current[:-1]
            lines.append(current)
            current, limit = token, width
        else:
            current += token
    lines.append(current)
    return lines


class _PageWriter:
    """Draws text lines top-down on A4 pages and remembers every line's box (pixels at `dpi`)."""

    def __init__(self, dpi: int, body: CjkFont, bold: CjkFont) -> None:
        self.dpi = dpi
        self.width = round(A4_MM[0] / MM_PER_INCH * dpi)
        self.height = round(A4_MM[1] / MM_PER_INCH * dpi)
        self.margin = round(20 / MM_PER_INCH * dpi)  # 2 cm
        self.left = self.margin
        self.right = self.width - self.margin
        self.body_px = round(11 / 72 * dpi)  # 11 pt 宋体, the usual exam body size
        self.pitch = round(self.body_px * 1.6)
        self.indent = 2 * self.body_px
        self.font = body.load(self.body_px)
        self.heading_font = bold.load(self.body_px)
        self.title_font = bold.load(round(16 / 72 * dpi))
        self.pages: list[Image.Image] = []
        self.lines: list[list[dict]] = []
        self.new_page()

    @property
    def page_number(self) -> int:
        return len(self.pages)

    @property
    def bottom(self) -> int:
        """Lowest y the body text may reach; the footer sits in the bottom margin below it."""
        return self.height - self.margin

    @property
    def footer_y(self) -> int:
        return self.height - round(self.margin * 0.6) - self.body_px

    def ensure_room(self, height: int) -> None:
        """Start a new page when `height` pixels no longer fit above the bottom margin."""
        if self.y + height > self.bottom:
            self.new_page()

    def new_page(self) -> None:
        self.pages.append(Image.new("L", (self.width, self.height), 255))
        self.lines.append([])
        self.draw = ImageDraw.Draw(self.pages[-1])
        self.y = self.margin

    def text(self, x: int, y: int, text: str, font: ImageFont.FreeTypeFont | None = None) -> Box:
        font = font or self.font
        self.draw.text((x, y), text, fill=0, font=font)
        left, top, right, bottom = self.draw.textbbox((x, y), text, font=font)
        box = (int(left), int(top), int(right), int(bottom))
        if box[3] > self.bottom or box[2] > self.right:
            raise RuntimeError(f"sample paper layout overflows page {self.page_number}: {text!r}")
        self.lines[-1].append({"text": text, "bbox": list(box)})
        return box

    def line(self, text: str, x: int | None = None, font: ImageFont.FreeTypeFont | None = None) -> Box:
        self.ensure_room(self.pitch)
        box = self.text(self.left if x is None else x, self.y, text, font)
        self.y += self.pitch
        return box

    def centered(self, text: str, font: ImageFont.FreeTypeFont, pitch: int) -> Box:
        width = self.draw.textlength(text, font=font)
        box = self.text(round((self.width - width) / 2), self.y, text, font)
        self.y += pitch
        return box

    def wrap(self, text: str, first_width: float, width: float) -> list[str]:
        """Greedy character wrap that keeps closing punctuation off the start of a line."""
        return greedy_wrap(list(text), first_width, width, lambda t: self.draw.textlength(t, font=self.font))

    def skip(self, lines: float) -> None:
        self.y += round(lines * self.pitch)


def _draw_garden_figure(writer: _PageWriter, x0: int, y0: int, width: int) -> Box:
    """A rectangle (the 8 m × 5 m garden) with a hatched 1 m path and two length labels."""
    draw = writer.draw
    height = round(width * 5 / 8)
    stroke = max(2, writer.dpi // 100)
    x1, y1 = x0 + width, y0 + height
    path_x0 = x0 + round(width * 3.5 / 8)
    path_x1 = x0 + round(width * 4.5 / 8)
    step = max(8, writer.dpi // 12)
    for offset in range(-height, path_x1 - path_x0, step):  # hatch lines at 45° inside the path
        ax, ay = path_x0 + offset, y1
        bx, by = path_x0 + offset + height, y0
        if ax < path_x0:
            ay, ax = y1 - (path_x0 - ax), path_x0
        if bx > path_x1:
            by, bx = y0 + (bx - path_x1), path_x1
        draw.line([(ax, ay), (bx, by)], fill=90, width=max(1, stroke // 2))
    draw.line([(path_x0, y0), (path_x0, y1)], fill=0, width=stroke)
    draw.line([(path_x1, y0), (path_x1, y1)], fill=0, width=stroke)
    draw.rectangle([x0, y0, x1, y1], outline=0, width=stroke)
    gap = writer.body_px // 3
    label_w = writer.draw.textlength("8 米", font=writer.font)
    bottom_label = writer.draw.textbbox((round(x0 + (width - label_w) / 2), y1 + gap), "8 米", font=writer.font)
    draw.text((round(x0 + (width - label_w) / 2), y1 + gap), "8 米", fill=0, font=writer.font)
    side_y = round(y0 + (height - writer.body_px) / 2)
    side_label = writer.draw.textbbox((x1 + gap, side_y), "5 米", font=writer.font)
    draw.text((x1 + gap, side_y), "5 米", fill=0, font=writer.font)
    box: Box = (x0 - stroke, y0 - stroke, x1 + stroke, y1 + stroke)
    for label in (bottom_label, side_label):
        box = _union(box, tuple(int(v) for v in label))  # type: ignore[arg-type]
    return box


def _add_span(question: _Question, writer: _PageWriter, box: Box) -> None:
    page = writer.page_number
    question.spans[page] = _union(question.spans.get(page), box)


def _stem_lines(writer: _PageWriter, question: _Question, prefix: str, stem: str, right: int) -> None:
    wrapped = writer.wrap(prefix + stem, right - writer.left, right - writer.left)
    for text in wrapped:
        _add_span(question, writer, writer.line(text))


def _choice_question(writer: _PageWriter, prefix: str, stem: str, options: tuple[str, ...], per_line: int) -> _Question:
    labels = "ABCD"
    question = _Question(
        number=prefix.strip(" ．.、"),
        section=SECTION_CHOICE,
        type="single_choice",
        score=2.0,
        stem=stem,
        options=[{"label": label, "text": text} for label, text in zip(labels, options)],
    )
    _stem_lines(writer, question, prefix, stem, writer.right)
    column_width = (writer.right - writer.left - writer.indent) // per_line
    for row_start in range(0, len(options), per_line):
        writer.ensure_room(writer.pitch)
        for column, option_index in enumerate(range(row_start, min(row_start + per_line, len(options)))):
            x = writer.left + writer.indent + column * column_width
            text = f"{labels[option_index]}．{options[option_index]}"
            _add_span(question, writer, writer.text(x, writer.y, text))
        writer.y += writer.pitch
    return question


def _blank_question(writer: _PageWriter, prefix: str, stem: str, blanks: int) -> _Question:
    question = _Question(prefix.strip(" ．.、"), SECTION_BLANK, "fill_blank", float(POINTS_PER_BLANK * blanks), stem)
    _stem_lines(writer, question, prefix, stem, writer.right)
    return question


def _free_question(writer: _PageWriter, spec: FreeQuestion) -> _Question:
    question = _Question(
        number=spec.prefix.strip(" ．.、"),
        section=SECTION_FREE,
        type="free_response",
        score=float(spec.score),
        stem=spec.stem,
        sub_questions=[
            {"number": f"({sub[1]})", "text": sub[3:]} for sub in spec.sub_questions
        ],
    )
    text_right = writer.right
    figure_bottom = None
    if spec.with_figure:
        # The figure stands beside the stem and sub-questions, to the right of a narrower text column.
        figure_width = round(writer.width * 0.24)
        figure_x = writer.right - figure_width - writer.body_px * 3
        figure_box = _draw_garden_figure(writer, figure_x, writer.y + writer.pitch, figure_width)
        question.figures.append((writer.page_number, figure_box))
        text_right = figure_box[0] - writer.body_px
        figure_bottom = figure_box[3]
    _stem_lines(writer, question, f"{spec.prefix}（{spec.score} 分）", spec.stem, text_right)
    for sub in spec.sub_questions:
        for text in writer.wrap(sub, text_right - writer.left - writer.indent, text_right - writer.left - writer.indent):
            _add_span(question, writer, writer.line(text, x=writer.left + writer.indent))
        writer.skip(spec.answer_lines)
    if figure_bottom is not None:
        writer.y = max(writer.y, figure_bottom + writer.pitch)
    return question


def _draw_paper(dpi: int) -> tuple[_PageWriter, list[_Question], CjkFont]:
    body = find_cjk_font()
    writer = _PageWriter(dpi, body, find_cjk_bold_font(body))
    writer.centered(TITLE, writer.title_font, round(writer.pitch * 1.4))
    writer.centered(SUBTITLE, writer.font, writer.pitch)
    writer.centered(NAME_LINE, writer.font, round(writer.pitch * 1.3))
    writer.line(NOTICE_HEADING, font=writer.heading_font)
    for notice in NOTICES:
        writer.line(notice, x=writer.left + writer.indent)
    writer.skip(0.3)

    questions: list[_Question] = []
    writer.line(SECTION_CHOICE_HEADING, font=writer.heading_font)
    for prefix, stem, options, per_line in CHOICE_QUESTIONS:
        questions.append(_choice_question(writer, prefix, stem, options, per_line))
    writer.skip(0.3)
    writer.line(SECTION_BLANK_HEADING, font=writer.heading_font)
    for prefix, stem, blanks in BLANK_QUESTIONS:
        questions.append(_blank_question(writer, prefix, stem, blanks))
    writer.skip(0.3)
    writer.line(SECTION_FREE_HEADING, font=writer.heading_font)
    for spec in FREE_QUESTIONS:
        questions.append(_free_question(writer, spec))

    if len(writer.pages) != 2 or not any(len(question.spans) == 2 for question in questions):
        # The paper exists to exercise a 2-page layout with a question crossing the page break.
        raise RuntimeError("sample paper layout changed: expected 2 pages and a question crossing them")
    total = len(writer.pages)
    for index in range(total):
        writer.draw = ImageDraw.Draw(writer.pages[index])
        footer = f"第 {index + 1} 页 共 {total} 页"
        width = writer.draw.textlength(footer, font=writer.font)
        x, y = round((writer.width - width) / 2), writer.footer_y
        writer.draw.text((x, y), footer, fill=0, font=writer.font)
        box = writer.draw.textbbox((x, y), footer, font=writer.font)
        writer.lines[index].append({"text": footer, "bbox": [int(v) for v in box]})
    return writer, questions, body


def expected_document(writer: _PageWriter, questions: list[_Question], font: CjkFont) -> dict:
    return {
        "paper": PAPER_NAME,
        "dpi": writer.dpi,
        "font": font.name,
        "pages": [
            {"page": index + 1, "width": writer.width, "height": writer.height, "lines": lines}
            for index, lines in enumerate(writer.lines)
        ],
        "questions": [question.to_json() for question in questions],
    }


def _pdf_resolution(pixels: int, dpi: int) -> float:
    """A resolution a hair above dpi, so the page's size in points is a hair under pixels * 72 / dpi.

    Renderers size the bitmap as ceil(points * dpi / 72) (pdfium, poppler); with the exact value, float rounding
    in the MediaBox (595.44 pt → 595.4400024) renders 1655 px instead of 1654.
    """
    points = pixels * 72 / dpi - 0.001
    return pixels * 72 / points


def render_sample_paper(out_dir: Path, dpi: int = 200) -> tuple[Path, Path]:
    """Write `sample_paper.pdf` and `sample_paper.expected.json` into out_dir; return their paths."""
    writer, questions, font = _draw_paper(dpi)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    pdf_path = out_dir / f"{PAPER_NAME}.pdf"
    first, *rest = writer.pages
    first.save(
        pdf_path,
        "PDF",
        save_all=True,
        append_images=rest,
        dpi=(_pdf_resolution(writer.width, dpi), _pdf_resolution(writer.height, dpi)),
        quality=JPEG_QUALITY,
        title=TITLE,
        creator="ocr_assets.sample_paper",
        producer="Pillow",
        creationDate=PDF_DATE,
        modDate=PDF_DATE,
    )
    json_path = out_dir / f"{PAPER_NAME}.expected.json"
    document = expected_document(writer, questions, font)
    json_path.write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return pdf_path, json_path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Render the project's sample exam paper and its expected questions.")
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--dpi", type=int, default=200)
    args = parser.parse_args(argv)
    try:
        pdf_path, json_path = render_sample_paper(args.out_dir, args.dpi)
    except FontNotFoundError as error:
        print(f"sample_paper: {error}", file=sys.stderr)
        return 2
    print(pdf_path)
    print(json_path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
