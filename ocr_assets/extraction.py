"""Stage 4b — lines in reading order become questions (the CONTRACT.md question objects).

Rule-based and pure: a pass over the lines of all pages keeps the current section and the question being
built; numbered lines open questions only when they continue the numbering, so instructions, years and
decimals at a line start stay text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from ocr_assets.answers import (
    AnswerKey,
    answer_sheet_pages,
    is_answer_key_heading,
    is_extra_part_heading,
    is_key_table,
    is_solution_line,
    key_part,
    key_section_heading,
    leading_answer,
    link_answers,
    numeral_value,
    questions_follow,
    section_id,
    section_title,
)
from ocr_assets.options import bare_first_label, find_option_labels, wrapped_option_run
from ocr_assets.options import next_label as _next_label
from ocr_assets.scripts import both_scripts, to_simplified
from resources.engines.base import TextLine

CIRCLED_NUMBERS = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
CHINESE_NUMERALS = "一二三四五六七八九十"
FORMAL_NUMERALS = "壹贰貳叁参參肆伍陆陸柒捌玖拾"  # 壹、選擇題 / 第壹部分 (Taiwan papers number their parts so)

ROMAN_NUMERALS = "ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩⅪⅫ"
# 一、选择题（本题共8小题，每小题2分，共16分） or 一、选择题：本题…: a Chinese numeral and a short title;
# English papers number their parts Ⅰ. 单项选择 Ⅱ. 完形填空 …
SECTION_HEADING = re.compile(
    rf"^\s*([{CHINESE_NUMERALS}]{{1,3}}|[{FORMAL_NUMERALS}]{{1,2}}|[{ROMAN_NUMERALS}])\s*[、.．]\s*([^（(：:，,。]{{1,16}}?)\s*(?:[（(：:，,。].*)?$"
)
# Words a section title is made of (…题, 语言文字运用, 现代文阅读, 作文, 书面表达); other "一、…" lines are text.
SECTION_TITLE = re.compile(both_scripts(
    r"题$|选择|填空|解答|计算|实验|探究|阅读|运用|作文|写作|默写|听力|积累|综合|应用|听录音|选出|判断|表达|对话|词汇|语法|转换|选填|题组"
))
SECTION_SCORE = re.compile(both_scripts(r"(选择题)?每小?题\s*(?:答对)?得?\s*(\d+(?:\.\d+)?)\s*分"))  # "其中选择题每小题3分" scores choices only
# OCR reads the digit 1 as l or | now and then; ".", "．" and "、" all end a question number.
# Primary-school papers put the answer bracket first: "（　）1. A. morning", answered "( C )1."
QUESTION_START = re.compile(r"^\s*(?:[（(]\s*[A-H√×✓✗]?\s*[)）]\s*)?([0-9０-９l|]{1,3})\s*([.．、])\s*(.*)$", re.S)
CHINESE_QUESTION_START = re.compile(
    both_scripts(rf"^\s*第\s*([{CHINESE_NUMERALS}]{{1,3}}|\d{{1,3}})\s*题\s*[.．、:：]?\s*(.*)$"), re.S
)  # 第一题, 第1題
YEAR_AFTER_NUMBER = re.compile(r"^\d{4}\s*年")  # "10.2022年…" is question 10, "1.5cm" is a decimal
GLUED_NUMBER_TEXT = re.compile(r"^\d+[\u4e00-\u9fff]")  # "4位同学" may open a question, "5cm" / "5%" / "5g" do not
SUB_QUESTION_START = re.compile(rf"^\s*(?:[（(]\s*(\d{{1,2}})\s*[)）]|([{CIRCLED_NUMBERS}]))\s*(.*)$", re.S)
ROMAN_SUB_NUMBERS = ("i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x")
ROMAN_SUB_QUESTION_START = re.compile(r"^\s*(i{1,3}|iv|vi{0,3}|ix|x)\s*[.．)）]\s+(.*)$", re.S)  # i. ii. … x.
LEADING_SCORE = re.compile(both_scripts(r"^\s*[（(]\s*(?:本小?题)?\s*(?:满分)?\s*\d+(?:\.\d+)?\s*分\s*[)）]\s*"))
STATED_SCORE = re.compile(both_scripts(r"[（(]\s*(?:本小?题)?\s*(?:满分)?\s*(\d+(?:\.\d+)?)\s*分\s*[)）]"))
PER_BLANK_SCORE = re.compile(r"每\s*空\s*(?:格\s*)?(\d+(?:\.\d+)?)\s*分")  # 填空题（每空1分）: a question scores N per blank
BLANK = re.compile(r"_{2,}|＿{2,}|[（(]\s*[)）]")
# English papers: "Instructions:", "Directions", "Notes to candidates", "Information for students" heading a list
ENGLISH_NOTICE_HEADING = (r"(?i:^\s*(?:general\s+|important\s+)?(?:instructions?|directions?|notes?|information|advice)"
                          r"(?:\s+(?:to|for)\s+(?:the\s+)?(?:candidates?|students?|examinees?|pupils?))?\s*(?:[:：]|$))")
NOTICE_HEADING = re.compile(both_scripts(r"注\s*意\s*事\s*项|考生须知|答题须知") + "|" + ENGLISH_NOTICE_HEADING)
# A part of the paper above its sections: 听力部分（40分）, 笔试部分, 第Ⅰ卷（选择题）, 第二部分 非选择题, 第壹部分：選擇題
PART_HEADING = re.compile(
    rf"^\s*(?:第\s*[{CHINESE_NUMERALS}{FORMAL_NUMERALS}ⅠⅡⅢ1-9]\s*(?:部分|卷)\s*[：:]?\s*(?:[（(][^)）]{{0,12}}[)）])?\s*[\u4e00-\u9fff]{{0,6}}"
    r"|[\u4e00-\u9fff]{2,4}部分)\s*(?:[（(][^)）]{0,12}[)）])?\s*$"
)
# Words that give a numbered preamble line away as an instruction to candidates.
INSTRUCTION_WORDS = re.compile(both_scripts(r"答题卡|答题纸|试题卷|监考|考试结束|考生|作答|准考证|铅笔|签字笔|草稿纸") + "|" + (
    r"(?i:answer\s+(?:sheet|card|booklet)|candidate|invigilator|supervisor|pencil|ball-?point|black\s+ink|question\s+paper"
    r"|scrap\s+paper|end\s+of\s+the\s+(?:exam|examination|test)|answer\s+all\s+(?:the\s+)?questions"
    r"|calculators?\s+(?:may|are|is|must))"))
MULTIPLE_CHOICE_WORDS = re.compile(both_scripts(r"多选|不定项|多项|多重选择"))  # 多重選擇題: Taiwan's name
LATIN_WORD_EDGE = re.compile(r"[A-Za-z0-9]")


@dataclass
class PageLines:
    page: int  # 1-based page index
    width: int
    height: int
    lines: list[TextLine]  # already in reading order, furniture dropped


@dataclass
class Option:
    label: str
    text: str


@dataclass
class SubQuestion:
    number: str
    text: str


@dataclass
class Span:
    page: int
    bbox: list[float]


@dataclass
class Figure:
    page: int
    bbox: list[float]
    image: str | None = None


@dataclass
class Question:
    number: str
    section: str | None
    type: str
    score: float | None
    stem: str
    options: list[Option]
    sub_questions: list[SubQuestion]
    spans: list[Span]
    figures: list[Figure]
    passage: str | None = None  # a reading passage shared with other questions
    regions: list[Span] = field(default_factory=list)  # one per column the question runs in (spans: one per page)
    solution_regions: list[Span] = field(default_factory=list)  # where its printed worked answer stands
    answer: str | None = None  # printed under it, in an answer key or in a teacher's copy (answers.py)
    analysis: str | None = None  # its worked solution (解析)

    def to_dict(self) -> dict:
        return {
            "number": self.number,
            "section": self.section,
            "type": self.type,
            "score": self.score,
            "stem": self.stem,
            "options": [{"label": o.label, "text": o.text} for o in self.options],
            "sub_questions": [{"number": s.number, "text": s.text} for s in self.sub_questions],
            "spans": [{"page": s.page, "bbox": _pixel_box(s.bbox)} for s in self.spans],
            "figures": [{"page": f.page, "bbox": _pixel_box(f.bbox), "image": f.image} for f in self.figures],
            "passage": self.passage,
            "answer": self.answer,
            "analysis": self.analysis,
        }


@dataclass(frozen=True)
class Section:
    name: str  # the heading up to its first bracket, e.g. "一、选择题"
    default_score: float | None  # 每小题N分
    default_for_choice_only: bool  # the heading said 选择题每小题N分 in a mixed section
    kind: str | None  # the question type the heading implies, if any
    per_blank: float | None = None  # 每空N分: a fill-in question scores N for each of its blanks


# ---- line classifiers: one line of text in, what it starts out -------------------------------------------


# 一、同学们将自己…分享了出来，请你读一读，并按要求回答问题。（14分）: a task for the whole section
INSTRUCTION_SECTION = re.compile(rf"^\s*([{CHINESE_NUMERALS}{FORMAL_NUMERALS}]{{1,3}})\s*、\s*([^，,。；：:]{{1,16}}).*[（(]\s*共?\s*\d+(?:\.\d+)?\s*分\s*[)）]\s*$")


def parse_section_heading(text: str) -> Section | None:
    match = SECTION_HEADING.match(text)
    if not match or not SECTION_TITLE.search(match.group(2).strip()):
        task = INSTRUCTION_SECTION.match(text)
        return Section(f"{task.group(1)}、{task.group(2).strip()}", None, False, None) if task else None
    after_title = text[match.end(2):].lstrip()[:1]
    if after_title and after_title in "，,。" and not STATED_SCORE.search(text):
        return None  # "一、用化学用语填空，回答…" is an item; "一、听录音，选出…。（10分）" states its points
    name = f"{match.group(1)}、{match.group(2).strip()}"
    score, per_blank = SECTION_SCORE.search(text), PER_BLANK_SCORE.search(text)
    per_blank_points = float(per_blank.group(1)) if per_blank else None
    if score is None:
        return Section(name, None, False, section_kind(name), per_blank_points)
    return Section(name, float(score.group(2)), bool(score.group(1)), section_kind(name), per_blank_points)


def section_kind(name: str) -> str | None:
    name = to_simplified(name)
    if MULTIPLE_CHOICE_WORDS.search(name):
        return "multiple_choice"
    if ("选择" in name and "非选择" not in name) or "单选" in name:  # 單選題 / 单选题
        return "single_choice"
    if "填空" in name or "选填" in name:
        return "fill_blank"
    if re.search(r"解答|计算|实验|探究|简答|推断|综合|作图|论述", name):
        return "free_response"
    return None


def parse_question_start(text: str, glued_digit: bool = False) -> tuple[int, str] | None:
    """(number, rest of the line) for a line that opens with a question number, else None.
    `glued_digit`: also when the text runs on with a digit after the dot ("15.4位同学…", the OCR lost
    the space), which the caller accepts only where that number is the next one."""
    chinese = CHINESE_QUESTION_START.match(text)
    if chinese:
        return chinese_number(chinese.group(1)), chinese.group(2).strip()
    match = QUESTION_START.match(text)
    if not match:
        return None
    token, separator, rest = match.groups()
    if not any(ch.isdigit() for ch in token) and token != "l":
        return None  # "I." or "|." alone is a Roman numeral or debris, not a misread 1
    spaced = text[match.end(2): match.end(2) + 1].isspace()  # "3. 4位同学…" is question 3, "3.4cm" a decimal
    if separator in ".．" and rest[:1].isdigit() and not spaced and not YEAR_AFTER_NUMBER.match(rest):
        if not (glued_digit and GLUED_NUMBER_TEXT.match(rest)):
            return None  # 1.5cm: a decimal at the start of a wrapped line
    return int(token.replace("l", "1").replace("|", "1")), rest.strip()


def chinese_number(numeral: str) -> int:
    """一 → 1, 十五 → 15, 二十三 → 23 (question numbers stay below a hundred); "12" → 12."""
    if numeral.isdigit():
        return int(numeral)
    digits = [CHINESE_NUMERALS.index(ch) + 1 for ch in numeral]
    if 10 not in digits:
        return digits[0]
    tens_at = digits.index(10)
    tens = digits[tens_at - 1] if tens_at > 0 else 1
    units = digits[tens_at + 1] if tens_at + 1 < len(digits) else 0
    return tens * 10 + units


def parse_sub_question_start(text: str) -> tuple[str, int, str, str] | None:
    """(display number, index, style, rest) for a line opening with (1)/（1）, ① or i./ii. (then a space)."""
    match = SUB_QUESTION_START.match(text)
    if not match:
        roman = ROMAN_SUB_QUESTION_START.match(text)
        if roman is None:
            return None
        return f"{roman.group(1)}.", ROMAN_SUB_NUMBERS.index(roman.group(1)) + 1, "roman", roman.group(2).strip()
    digits, circled, rest = match.groups()
    if digits:
        return f"({int(digits)})", int(digits), "paren", rest.strip()
    return circled, CIRCLED_NUMBERS.index(circled) + 1, "circled", rest.strip()


def stated_score(text: str) -> float | None:
    match = STATED_SCORE.search(text)
    return float(match.group(1)) if match else None


def join_text(pieces: list[str]) -> str:
    """Join line texts: no space between Chinese pieces, one space between two Latin words."""
    joined = ""
    for piece in (p.strip() for p in pieces):
        if not piece:
            continue
        if piece.startswith("|") or joined.endswith("|"):  # a Markdown table stands on its own lines
            joined += "\n" if joined else ""
        elif joined and LATIN_WORD_EDGE.match(joined[-1]) and LATIN_WORD_EDGE.match(piece[0]):
            joined += " "
        joined += piece
    return joined


# ---- the question being built ------------------------------------------------------------------------


@dataclass
class _Part:
    kind: str  # "stem" | "option" | "sub"
    label: str  # option label or sub-question number; "" for stem
    pieces: list[str] = field(default_factory=list)
    style: str = ""  # sub-questions: "paren" or "circled"
    x0: float = 0.0  # options: where the label stands, to tell a wrapped option line from stem text
    last_line: TextLine | None = None  # options: the line its text last came from
    gap_at: int | None = None  # options: first piece that stood after a wide gap on the same row
    printed: str = ""  # options: the label as printed, "(A)" or "A."
    mid_line: bool = False  # options: its label stood in mid-line, after stem text


@dataclass
class _Draft:
    number: int | str  # str: a section that is itself one question ("五、作文（60分）"), by its numeral
    section: Section | None
    parts: list[_Part] = field(default_factory=list)
    boxes: dict[int, list[float]] = field(default_factory=dict)  # page -> union bbox
    regions: list[tuple[int, list[float]]] = field(default_factory=list)  # (page, bbox) per column it runs in
    last_line: TextLine | None = None
    next_option: str = "A"
    next_sub: int = 1
    sub_style: str = ""
    in_solution: bool = False  # after 【答案】/【解析】: worked answers, not question text
    stated_score: float | None = None  # points stated outside its text (its section heading's)
    passage: str | None = None  # the material its section opens with, shared by the section's questions
    solution_regions: list[tuple[int, list[float]]] = field(default_factory=list)  # its printed answer's text
    last_solution_line: TextLine | None = None
    solution_texts: list[str] = field(default_factory=list)  # its printed answer and 解析, line by line
    leading_answer: str | None = None  # "( C )1." — a teacher's answer before the number

    def add_box(self, page: int, line: TextLine) -> None:
        box = self.boxes.get(page)
        self.boxes[page] = list(line.bbox) if box is None else [
            min(box[0], line.x0), min(box[1], line.y0), max(box[2], line.x1), max(box[3], line.y1)
        ]
        _grow_regions(self.regions, self.last_line, page, line)
        self.last_line = line

    def add_solution_box(self, page: int, line: TextLine) -> None:
        """Where its worked answer stands, so that the answer's own diagrams go to no question."""
        _grow_regions(self.solution_regions, self.last_solution_line, page, line)
        self.last_solution_line = line

    def container(self) -> _Part:
        """Where plain text goes: the open sub-question, else the stem."""
        for part in reversed(self.parts):
            if part.kind == "sub":
                return part
        return self._stem()

    def _stem(self) -> _Part:
        for part in self.parts:
            if part.kind == "stem":
                return part
        stem = _Part("stem", "")
        self.parts.insert(0, stem)
        return stem

    def last_option(self) -> _Part | None:
        return self.parts[-1] if self.parts and self.parts[-1].kind == "option" else None

    def has_sub_questions(self) -> bool:
        return any(part.kind == "sub" for part in self.parts)


def _grow_regions(regions: list[tuple[int, list[float]]], last_line: TextLine | None, page: int, line: TextLine) -> None:
    """Add a line to the last region (one column of one page), or open a new one: reading on upwards
    means the next column (or the other half of a spread)."""
    last = regions[-1] if regions else None
    if last and last[0] == page and last_line is not None and line.y1 >= last_line.y0:
        r = last[1]
        r[:] = [min(r[0], line.x0), min(r[1], line.y0), max(r[2], line.x1), max(r[3], line.y1)]
    else:
        regions.append((page, list(line.bbox)))


# ---- the pass over all lines -----------------------------------------------------------------------------


@dataclass
class _State:
    section: Section | None = None
    last_number: int = 0
    seen_question: bool = False
    section_has_question: bool = False
    in_notice: bool = False  # after a 注意事项 heading, before the first question
    in_answer_key: bool = False  # after a 参考答案 heading: answers, until a new part of the paper begins
    key: AnswerKey = field(default_factory=AnswerKey)  # every answer key's entries, matched at the end
    seen_parts: set[str] = field(default_factory=set)  # 第Ⅰ卷, 附加题 … before the key: in a key, its sub-headings
    seen_sections: set[str] = field(default_factory=set)  # section numerals before the key
    restart_allowed: bool = False  # after a key: the new part may number its questions from 1
    upcoming: list[str] = field(default_factory=list)  # the texts of the next few lines, to tell a key's sub-heading
    passage: list[str] | None = None  # a shared reading passage being collected
    passage_range: tuple[int, int] | None = None
    passages: dict[int, str] = field(default_factory=dict)  # question number -> its passage
    last_instruction: int = 0
    draft: _Draft | None = None
    done: list[_Draft] = field(default_factory=list)
    section_heading: str = ""
    section_lines: list[tuple[int, TextLine, str]] = field(default_factory=list)  # text before its first question
    section_passage: str | None = None

    def close(self) -> None:
        if self.draft is not None:
            self.done.append(self.draft)
            self.draft = None


def extract_questions(pages: list[PageLines]) -> list[Question]:
    sheet = answer_sheet_pages([(page.lines, page.height) for page in pages])
    pages = [page for page, on_sheet in zip(pages, sheet) if not on_sheet]  # 答题卡: no questions
    state = _State(last_number=first_number(pages) - 1)
    flat = [(page.page, line) for page in pages for line in join_wrapped_headings(page.lines)]
    for at, (page_number, line) in enumerate(flat):
        state.upcoming = [following.text for _, following in flat[at + 1: at + 1 + KEY_LOOKAHEAD_LINES]]
        _take_line(state, page_number, line)
    state.close()
    _close_section(state)
    questions = [_finish(draft, state.passages.get(draft.number) or draft.passage) for draft in state.done]
    link_answers(questions, [d.solution_texts for d in state.done], [d.leading_answer for d in state.done], state.key)
    return questions


WRAPPED_HEADING_START = re.compile(rf"^\s*[{CHINESE_NUMERALS}]{{1,3}}\s*、")
HEADING_TAIL_MAX_CHARS = 24


def join_wrapped_headings(lines: list[TextLine]) -> list[TextLine]:
    """A section heading wrapped onto a second line that ends with its points ("一、同学们将…并按要求" /
    "回答问题。（14分）") is one line, so that it reads as a heading."""
    joined: list[TextLine] = []
    skip = False
    for line, following in zip(lines, lines[1:] + [None]):
        if skip:
            skip = False
            continue
        tail = following.text.strip() if following is not None else ""
        if (following is not None and WRAPPED_HEADING_START.match(line.text) and parse_section_heading(line.text) is None
                and len(tail) <= HEADING_TAIL_MAX_CHARS and STATED_SCORE.search(tail) and tail.endswith(("分）", "分)"))
                and following.y0 >= line.y0 and following.y0 - line.y1 < 2 * line.height
                and parse_section_heading(line.text.strip() + tail) is not None):
            joined.append(TextLine(line.text.strip() + tail, (min(line.x0, following.x0), line.y0, max(line.x1, following.x1), following.y1), line.confidence))
            skip = True
            continue
        joined.append(line)
    return joined


INLINE_SOLUTION_MARK = re.compile(r"[【\[［]\s*(?:答案|解析|详解)\s*[】\]］]")
SOLUTION_START = re.compile(r"^\s*[【\[［]\s*(?:答案|解析|详解|分析|点睛|点评|解答)\s*[】\]］]")
ANSWER_KEY_HEADING = re.compile(r"参考答案|答案与解析|答案及解析|答案与评分|参考解答")


PASSAGE_HEADING = re.compile(r"阅读.{0,20}?(?:完成|回答)\s*(\d{1,3})\s*(?:[-—–～~至到]+|－+)\s*(\d{1,3})\s*(?:小)?题")


def _take_line(state: _State, page: int, line: TextLine) -> None:
    text = line.text.strip()
    if not text:
        return
    if state.in_answer_key:
        if not _leaves_answer_key(state, text):
            _take_key_line(state, text)
            _mark_key_line(state, page, line)
            return
        state.in_answer_key, state.restart_allowed = False, True
    passage = PASSAGE_HEADING.search(text)
    if passage and state.seen_question and int(passage.group(1)) == state.last_number + 1:
        # "阅读下面的文字，完成11～15题": the text until question 11 belongs to questions 11-15
        state.close()
        state.passage, state.passage_range = [text], (int(passage.group(1)), int(passage.group(2)))
        return
    if state.seen_question and (is_answer_key_heading(text) or is_key_table(text)):  # a key begins, after questions
        state.close()
        _close_section(state)
        state.in_answer_key = True
        state.key.set_section(key_part(text))  # "附加题参考答案": the key of that part
        if is_key_table(text):  # its heading unread, or inside a figure
            state.key.take_line(text)
        _mark_key_line(state, page, line)
        return
    if PART_HEADING.match(text):
        state.close()  # the question before it has ended; the part's own sections follow
        _close_section(state)
        state.seen_parts.add(_part_name(text))
        return
    section = parse_section_heading(text)
    if section is None and is_extra_part_heading(text):  # 附加题: a part of its own, numbered on or from 1
        section = Section(_part_name(text), None, False, None)
        state.seen_parts.add(section.name)
    if section is not None:
        state.close()
        _close_section(state)
        state.seen_sections.add(section_id(section.name))
        state.section, state.section_has_question, state.in_notice = section, False, False
        state.section_heading, state.section_lines, state.section_passage = text, [], None
        return
    if state.draft is None and not state.seen_question and NOTICE_HEADING.search(text):
        state.in_notice = True
        return
    start = parse_question_start(text)
    if start is None and state.seen_question:
        glued = parse_question_start(text, glued_digit=True)
        start = glued if glued is not None and glued[0] == state.last_number + 1 else None
    if start is not None and _is_instruction(state, *start):
        state.last_instruction = start[0]
        return
    if start is not None and _continues_numbering(state, start[0]):
        state.close()
        state.restart_allowed = False
        if not state.section_has_question:
            state.section_passage, state.section_lines = _section_passage(state.section_lines), []
        _attach_passage(state, start[0])
        state.in_notice = False
        state.last_number, state.section_has_question, state.seen_question = start[0], True, True
        state.draft = _Draft(start[0], state.section, passage=state.section_passage, leading_answer=leading_answer(text))
        _take_text(state.draft, page, line, start[1])
        return
    if state.passage is not None and state.draft is None:
        state.passage.append(text)
        return
    if state.draft is None:
        if state.section is not None and not state.section_has_question:
            state.section_lines.append((page, line, text))  # the section's own task, or its instructions
        return  # title, instructions and other preamble are not part of any question
    _take_body_line(state.draft, page, line, text)


def _take_body_line(draft: _Draft, page: int, line: TextLine, text: str) -> None:
    """A line of a question's body: its text, unless a printed answer has begun (【答案】, 【解析】):
    answers and worked solutions under a question are not part of it, only where they stand is kept."""
    if SOLUTION_START.match(text) or is_solution_line(text):
        draft.in_solution = True
    elif not draft.in_solution and (mark := INLINE_SOLUTION_MARK.search(text)) and mark.start() > 0:
        _take_text(draft, page, line, text[: mark.start()])  # "D. 丁 【答案】C": the answer after the last option
        draft.in_solution = True
        text = text[mark.start():]
    if draft.in_solution:
        draft.add_solution_box(page, line)
        draft.solution_texts.append(text)
        return
    _take_text(draft, page, line, text)


def _part_name(text: str) -> str:
    """第Ⅱ卷（非选择题 共60分） → 第Ⅱ卷; 附加题（20分） → 附加题: a part's name without its points."""
    name = re.sub(r"[（(].*$", "", re.sub(r"\s+", "", text))
    part = re.match(r"第.(?:部分|卷)", name)
    return part.group(0) if part else name


def _leaves_answer_key(state: _State, text: str) -> bool:
    """A new part of the paper after a key: a part heading (第Ⅱ卷, 附加题) not seen before the key, or a
    section numbered past every section before it, with questions under it that go on numbering or start
    at 1. A key's own sub-headings repeat earlier ones, or are followed by answers ("第Ⅰ卷" then "1-5 CBADA")."""
    if PART_HEADING.match(text) or (parse_section_heading(text) is None and is_extra_part_heading(text)):
        new = _part_name(text) not in state.seen_parts
    else:
        section = parse_section_heading(text)
        if section is None:
            return False
        numerals = [numeral_value(s) for s in state.seen_sections]
        value = numeral_value(section_id(section.name))
        new = bool(numerals) and value > max(numerals) and section_id(section.name) not in state.seen_sections
    return new and questions_follow(state.upcoming, state.last_number)


def _mark_key_line(state: _State, page: int, line: TextLine) -> None:
    """Where a key stands counts as printed answers (of the question before it), so that the key's own
    tables and diagrams go to no question."""
    if state.done:
        state.done[-1].add_solution_box(page, line)


KEY_LOOKAHEAD_LINES = 6
KEY_SUB_HEADING_MAX_CHARS = 40
KEY_SUB_HEADING = re.compile(rf"^\s*[{CHINESE_NUMERALS}{ROMAN_NUMERALS}IVX]*\s*[、.．]?\s*([\u4e00-\u9fff]{{2,8}})\s*(?:[（(].*)?$")


def _take_key_line(state: _State, text: str) -> None:
    """A line of an answer key: its section sub-headings set where numbers are looked up, the rest is entries."""
    section = parse_section_heading(text)
    if section is not None and len(text) <= KEY_SUB_HEADING_MAX_CHARS:
        state.key.set_section(section.name)
        return
    if key_section_heading(text) is not None:
        state.key.set_section(key_section_heading(text) + "、" + (section_title(text) or ""))
        return
    garbled = KEY_SUB_HEADING.match(text)  # "ⅢⅢ. 阅读理解": a sub-heading whose numeral the OCR garbled
    if garbled and SECTION_TITLE.search(garbled.group(1)):
        state.key.set_section(text)
        return
    if PART_HEADING.match(text):
        state.key.set_section(None)
        return
    if is_extra_part_heading(text) or is_answer_key_heading(text) and not re.fullmatch(r"\s*答\s*案\s*", text):
        state.key.set_section(key_part(text))  # 附加题, 附加题参考答案: the key of that part ("答案" labels a table row)
        return
    state.key.take_line(text)


SECTION_TASK_MIN_CHARS = 20
SECTION_PASSAGE_MIN_LINES, SECTION_PASSAGE_MIN_CHARS = 3, 60


def _section_passage(lines: list[tuple[int, TextLine, str]]) -> str | None:
    """Material a section opens with before its first question (an English paper's reading text under
    Ⅲ. 阅读理解): several lines, not a one-line instruction."""
    texts = [text for _, _, text in lines]
    if len(texts) < SECTION_PASSAGE_MIN_LINES or sum(len(t) for t in texts) < SECTION_PASSAGE_MIN_CHARS:
        return None
    return join_text(texts)


def _close_section(state: _State) -> None:
    """A section with points but no numbered question is itself one question, numbered by its numeral:
    "五、作文（60分）" and the prompt under it, "一、看拼音，写词语（8分）" and its pinyin."""
    section, lines = state.section, state.section_lines
    state.section_lines = []
    if section is None or state.section_has_question or not lines:
        return
    points = stated_score(state.section_heading)
    if points is None or sum(len(text) for _, _, text in lines) < SECTION_TASK_MIN_CHARS:
        return
    draft = _Draft(section.name.split("、")[0], section, stated_score=points)
    for page, line, text in lines:
        _take_body_line(draft, page, line, text)
    state.done.append(draft)


def _attach_passage(state: _State, number: int) -> None:
    """Questions inside the announced range share the passage collected before the first of them."""
    if state.passage_range is None:
        return
    low, high = state.passage_range
    if state.passage is not None:
        text = join_text(state.passage)
        for n in range(low, high + 1):
            state.passages[n] = text
        state.passage = None
    if number > high:
        state.passage_range = None


def first_number(pages: list[PageLines]) -> int:
    """Where numbering starts: 1, unless the pages are an excerpt (a worksheet with items 37–44) —
    then the smallest printed number that is followed later by the next one."""
    starts = [start[0] for page in pages for line in page.lines
              if (start := parse_question_start(line.text.strip())) is not None]
    if not starts or 1 in starts:
        return 1
    for position, number in enumerate(starts):
        if number + 1 in starts[position + 1:]:
            return number
    return 1


def _is_instruction(state: _State, number: int, rest: str) -> bool:
    """Numbered lines of 注意事项 (or that read like it) before the first question are not questions."""
    if state.draft is not None or state.seen_question:
        return False
    if number != state.last_instruction + 1:
        return False
    if INSTRUCTION_WORDS.search(rest):
        return True
    return state.in_notice and state.last_instruction > 0  # a running 1., 2., 3. list under 注意事项


def _continues_numbering(state: _State, number: int) -> bool:
    if number == state.last_number + 1:
        return True
    if number == 1 and state.restart_allowed:
        return True  # a part after an answer key numbered from 1 again
    return number == 1 and state.section is not None and not state.section_has_question  # per-section restart


def _take_text(draft: _Draft, page: int, line: TextLine, text: str) -> None:
    """Route one line's text (without its question number) into the draft."""
    previous = draft.last_line
    draft.add_box(page, line)
    sub = parse_sub_question_start(text)
    if sub is not None and _opens_sub_question(draft, sub):
        display, index, style, rest = sub
        draft.sub_style, draft.next_sub, draft.next_option = style, index + 1, "A"
        draft.parts.append(_Part("sub", display, [rest], style=style))
        return
    labels = find_option_labels(text, draft.next_option)
    if not labels or labels[0][2] != "A":
        labels = _take_wrapped_option_run(draft, previous, text) or labels
    if _restarts_options(draft, text, labels):
        _fold_options_into_stem(draft)
        labels = find_option_labels(text, "A")
    if labels and draft.sub_style in ("paren", "roman"):
        # options under (1)/(2) or i./ii. are that sub-question's choices: they stay in its text, in place
        draft.container().pieces.append(text)
        draft.next_option = _next_label(labels[-1][2])
        return
    if labels:
        before, open_option = text[: labels[0][0]], draft.last_option()
        if labels[0][2] == "B" and not before.strip():
            _take_bare_first_option(draft, previous, line)
        if before.strip() and open_option is not None and labels[0][2] != "A":
            open_option.pieces.append(before)  # "過濾分離(C)…": the end of the option wrapped from the row above
        else:
            draft.container().pieces.append(before)
        for (start, end, label), following in zip(labels, labels[1:] + [(len(text), 0, "")]):
            draft.parts.append(_Part("option", label, [text[end:following[0]]], x0=line.x0, last_line=line,
                                     printed=text[start:end], mid_line=bool(text[:start].strip())))
        draft.next_option = _next_label(labels[-1][2])
        return
    option = draft.last_option()
    if option is not None and (not draft.has_sub_questions() or line.x0 > option.x0 + 0.5 * line.height):
        if option.gap_at is None and _after_wide_gap(option, line):
            option.gap_at = len(option.pieces)  # perhaps the next option, its label unread (see _finish)
        option.pieces.append(text)  # a wrapped option line
        option.last_line = line
        return
    draft.container().pieces.append(text)


def _stem_ends_with(draft: _Draft, previous: TextLine | None) -> bool:
    """No option and no sub-question yet, and `previous` (the line before this one) is where the stem's
    text ends: where options printed without their usual start can still open."""
    stem = draft.container()
    return (previous is not None and draft.next_option == "A" and draft.last_option() is None
            and not draft.has_sub_questions() and bool(stem.pieces)
            and previous.text.strip().endswith(stem.pieces[-1].strip()))


def _take_bare_first_option(draft: _Draft, previous: TextLine | None, line: TextLine) -> None:
    """B. opens the options but A never came: the box just before it in the option row ("ANaCl" left of
    "B.KNO3", or above it at the same indent) holds A typed without its mark, so that text is option A."""
    stem = draft.container()
    if not _stem_ends_with(draft, previous):
        return
    height, rise = min(line.height, previous.height), (line.y0 + line.y1) / 2 - (previous.y0 + previous.y1) / 2
    same_row = abs(rise) < 0.5 * height and previous.x0 < line.x0
    row_above = line.y0 - previous.y1 < 1.5 * height and abs(previous.x0 - line.x0) < height and rise >= 0.5 * height
    next_column = line.y1 < previous.y0  # A ends a column, B. opens the next (or the next page)
    if not (same_row or row_above or next_column):
        return
    start = bare_first_label(stem.pieces[-1])
    if start is not None and sum(1 for piece in stem.pieces if piece.strip()) >= 2:  # a question is never only its A
        piece = stem.pieces.pop()
        draft.parts.append(_Part("option", "A", [piece[start:]], x0=previous.x0, last_line=previous, printed=piece[:start]))


WRAPPED_OPTION_LINES = 3  # how many lines the last option of a glued run may run over before the next label


def _take_wrapped_option_run(draft: _Draft, previous: TextLine | None, text: str) -> list[tuple[int, int, str]]:
    """One of the stem's last lines ends with options opened by an (A) glued to its last word, the lines after
    it hold no label, and this line holds the rest of the last of them and then the next label
    (options.wrapped_option_run): those labels open their options, the lines between are the last one's text.
    Returns the labels of this line, or [] where there is no such run."""
    stem = draft.container()
    if not _stem_ends_with(draft, previous) or not stem.pieces[-1].strip():
        return []
    for back in range(1, min(WRAPPED_OPTION_LINES, len(stem.pieces)) + 1):
        piece, wrapped_lines = stem.pieces[-back], stem.pieces[len(stem.pieces) - back + 1:]
        if any(find_option_labels(line, "A") or find_option_labels(line, "B") for line in wrapped_lines):
            return []  # a label between: not one option wrapped
        wrapped = wrapped_option_run(piece, text)
        if wrapped is None:
            continue
        run, labels = wrapped
        del stem.pieces[len(stem.pieces) - back:]
        stem.pieces.append(piece[: run[0][0]])
        for (start, end, label), following in zip(run, run[1:] + [(len(piece), 0, "")]):
            draft.parts.append(_Part("option", label, [piece[end:following[0]]], x0=previous.x0, last_line=previous,
                                     printed=piece[start:end], mid_line=True))
        draft.parts[-1].pieces.extend(wrapped_lines)
        return labels
    return []


def _restarts_options(draft: _Draft, text: str, labels: list[tuple[int, int, str]]) -> bool:
    """A line opening with (A) while options opened in mid-line are under way: those were the stem
    naming things ("，(A)與(B)何者正確？"), and the real options begin here."""
    options = [part for part in draft.parts if part.kind == "option"]
    if not options or not options[0].mid_line or draft.has_sub_questions():
        return False
    fresh = find_option_labels(text, "A")
    return bool(fresh) and fresh[0][2] == "A" and not text[: fresh[0][0]].strip() and len(fresh) > len(labels)


def _fold_options_into_stem(draft: _Draft) -> None:
    stem = draft.container()
    for part in [part for part in draft.parts if part.kind == "option"]:
        stem.pieces.extend([part.printed] + part.pieces)
        draft.parts.remove(part)
    draft.next_option = "A"


def _after_wide_gap(option: _Part, line: TextLine) -> bool:
    """The line stands on the same row as the option's last line, after a gap wider than two characters."""
    last = option.last_line
    if last is None:
        return False
    same_row = abs((line.y0 + line.y1) / 2 - (last.y0 + last.y1) / 2) < 0.5 * min(line.height, last.height)
    return same_row and line.x0 - last.x1 > 2 * line.height


def _opens_sub_question(draft: _Draft, sub: tuple[str, int, str, str]) -> bool:
    _, index, style, _ = sub
    if draft.sub_style and style != draft.sub_style:
        return False  # ① under (1) is an item of the sub-question, not a sibling
    return index == draft.next_sub


# ---- a finished draft becomes a Question ---------------------------------------------------------------


def _recover_unread_labels(parts: list[_Part]) -> list[_Part]:
    """Options whose label the OCR did not read, found where the next label skips one letter:
    - "A. 甲 ⎵⎵⎵ 乙" then "C. 丙": the detector cut "B." off, so the text after A's wide gap is B
      (with B read, the same gap is just two columns of one option: "A. 臣子之恭也 ⎵⎵ 将有以为也");
    - picture options "A.[pic] B.[pic] D.[pic]", all without text: the unread C is listed, empty."""
    out: list[_Part] = []
    options = [p for p in parts if p.kind == "option"]
    following = {id(a): b for a, b in zip(options, options[1:])}
    for part in parts:
        nxt = following.get(id(part))
        missing = _next_label(part.label) if part.kind == "option" else ""
        if nxt is None or not missing or _next_label(missing) != nxt.label:
            out.append(part)
        elif part.gap_at:
            out.append(replace(part, pieces=part.pieces[: part.gap_at], gap_at=None))
            out.append(replace(part, label=missing, pieces=part.pieces[part.gap_at:], gap_at=None))
        elif not join_text(part.pieces) and not join_text(nxt.pieces):
            out += [part, _Part("option", missing)]
        else:
            out.append(part)
    return out


def _finish(draft: _Draft, passage: str | None = None) -> Question:
    parts = _fold_statement_lists(_recover_unread_labels(draft.parts))
    stem = join_text([piece for part in parts if part.kind == "stem" for piece in part.pieces])
    options = [Option(p.label, join_text(p.pieces)) for p in parts if p.kind == "option"]
    subs = [SubQuestion(p.label, join_text(p.pieces)) for p in parts if p.kind == "sub"]
    all_text = join_text([piece for part in parts for piece in part.pieces])
    kind = question_type(draft.section, stem, options, subs, all_text)
    score = stated_score(stem)
    if score is None:
        score = draft.stated_score if draft.stated_score is not None else section_default_score(draft.section, kind)
    if score is None:
        score = per_blank_score(draft.section, kind, stem, [s.text for s in subs])
    else:  # the score is kept in `score`; a leading "（8分）" is not part of the question text
        stem = LEADING_SCORE.sub("", stem, count=1)
    return Question(
        number=str(draft.number),
        section=draft.section.name if draft.section else None,
        type=kind,
        score=score,
        stem=stem,
        options=options,
        sub_questions=subs,
        spans=[Span(page, box) for page, box in sorted(draft.boxes.items())],
        figures=[],
        passage=passage,
        regions=[Span(page, box) for page, box in draft.regions],
        solution_regions=[Span(page, box) for page, box in draft.solution_regions],
    )


def per_blank_score(section: Section | None, kind: str, stem: str, sub_texts: list[str]) -> float | None:
    """每空N分 (said by the question itself, else by its section) times the blanks the question has: a
    fill-in question, or one with blanks in a section scored per blank (三、实验探究题（每空1分）)."""
    if kind.endswith("_choice"):
        return None
    own = PER_BLANK_SCORE.search(stem)
    points = float(own.group(1)) if own else (section.per_blank if section is not None else None)
    blanks = sum(len(BLANK.findall(text)) for text in [stem, *sub_texts])
    return points * blanks if points is not None and blanks else None


def section_default_score(section: Section | None, kind: str) -> float | None:
    if section is None or (section.default_for_choice_only and not kind.endswith("_choice")):
        return None
    return section.default_score


def _fold_statement_lists(parts: list[_Part]) -> list[_Part]:
    """①②③ statements before A–D in a choice question are part of its stem, not sub-questions."""
    kinds = [part.kind for part in parts]
    if "option" not in kinds or "sub" not in kinds:
        return parts
    subs = [part for part in parts if part.kind == "sub"]
    first_option = kinds.index("option")
    last_sub = len(kinds) - 1 - kinds[::-1].index("sub")
    if any(sub.style != "circled" for sub in subs) or last_sub > first_option:
        return parts
    stem = _Part("stem", "")
    for part in parts:
        if part.kind in ("stem", "sub"):
            stem.pieces.extend([part.label] + part.pieces if part.kind == "sub" else part.pieces)
    return [stem] + [part for part in parts if part.kind == "option"]


def question_type(
    section: Section | None, stem: str, options: list[Option], subs: list[SubQuestion], all_text: str
) -> str:
    """Options on the question itself make a choice; else the section's kind; else blanks; else free response."""
    multiple = MULTIPLE_CHOICE_WORDS.search(stem) or (section is not None and section.kind == "multiple_choice")
    if options and not subs:
        return "multiple_choice" if multiple else "single_choice"
    if section is not None and section.kind is not None:
        return section.kind
    if BLANK.search(all_text):
        return "fill_blank"
    return "free_response"


def _pixel_box(box: list[float]) -> list[int]:
    return [int(round(v)) for v in box]
