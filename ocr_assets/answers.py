"""Answers and worked solutions (解析) as data: printed under a question, in a teacher's copy, or in an
answer key anywhere in the paper; and the answer-sheet pages (答题卡) that are no questions at all.

Pure functions over text and lines. extraction.py routes the lines of an answer key here; a key never
creates questions: its entries are matched to the questions already found, by section and number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ocr_assets.scripts import both_scripts, to_simplified
from resources.engines.base import TextLine

CHINESE_NUMERALS = "一二三四五六七八九十"
ROMAN_NUMERALS = "ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩⅪⅫ"

# ---- where an answer key begins and ends ---------------------------------------------------------------

ANSWER_KEY_HEADING = re.compile(both_scripts(
    r"参考答案|答案与解析|答案及解析|答案与评分|参考解答|答案与提示|答案速查|答案表|评分标准|^\s*答\s*案\s*$"
))
KEY_HEADING_MAX_CHARS = 24
# 附加题, 选做题 and 加试题 open a part of their own; after a key they are questions again
EXTRA_PART_HEADING = re.compile(both_scripts(r"^\s*(?:[一二三四五六七八九十ⅠⅡⅢⅣⅤ]\s*[、.．]\s*)?(?:附加题|加试题|选做题|附加卷)"))


def is_answer_key_heading(text: str) -> bool:
    """A short line naming an answer key ("参考答案", "第Ⅰ卷答案与解析", "选择题答案表"); not a printed
    answer under a question ("【参考答案】C", "参考答案：C") nor a title mentioning one ("（含答案）")."""
    text = text.strip()
    match = ANSWER_KEY_HEADING.search(text)
    if match is None or len(text) > KEY_HEADING_MAX_CHARS or text[:1] in "【[［":
        return False
    if re.search(r"[（(][^)）]*$", text[: match.start()]):
        return False  # inside an open bracket: "数学试卷（含参考答案）"
    tail = text[match.end():].strip()
    if tail[:1] in ":：" and len(tail.strip(":： ")) > 0:
        return False  # "参考答案：C" is the answer itself
    return True


def key_part(text: str) -> str | None:
    """The part a key heading names ("附加题参考答案" → "附加题"), else None: a key for the paper."""
    match = EXTRA_PART_HEADING.match(text)
    return re.sub(both_scripts(r"^.*?(附加题|加试题|选做题|附加卷).*$"), r"\1", text.strip()) if match else None


def is_extra_part_heading(text: str) -> bool:
    """附加题（共20分）, 四、附加题: a short heading opening a part of its own."""
    return len(text.strip()) <= KEY_HEADING_MAX_CHARS and EXTRA_PART_HEADING.match(text) is not None


def section_id(name: str | None) -> str | None:
    """The numeral of a section heading ("二、填空题" → "二", "Ⅲ. 阅读理解" → "Ⅲ"), else its title."""
    if not name:
        return None
    match = re.match(rf"^\s*([{CHINESE_NUMERALS}]{{1,3}}|[{ROMAN_NUMERALS}])\s*[、.．]?", name)
    return match.group(1) if match else name.strip()


def section_title(name: str | None) -> str | None:
    """"Ⅲ、阅读理解（每小题2分）" → "阅读理解": the words of a heading, without numeral and points."""
    if not name:
        return None
    title = re.sub(rf"^[\s{CHINESE_NUMERALS}{ROMAN_NUMERALS}IVX]*[、.．]\s*", "", name)
    return re.split(r"[（(：:]", title)[0].strip() or None


def same_section(key_heading: str | None, question_section: str | None) -> bool:
    """A key's sub-heading names a question's section by numeral ("一") or, where the OCR garbled the
    numeral ("ⅢⅢ. 阅读理解"), by title."""
    if key_heading is None or question_section is None:
        return False
    if section_id(key_heading) == section_id(question_section):
        return True
    return section_title(key_heading) is not None and section_title(key_heading) == section_title(question_section)


def numeral_value(numeral: str | None) -> int:
    if not numeral:
        return 0
    if numeral in ROMAN_NUMERALS:
        return ROMAN_NUMERALS.index(numeral) + 1
    if all(ch in CHINESE_NUMERALS for ch in numeral):
        digits = [CHINESE_NUMERALS.index(ch) + 1 for ch in numeral]
        if 10 not in digits:
            return digits[0]
        at = digits.index(10)
        return (digits[at - 1] if at else 1) * 10 + (digits[at + 1] if at + 1 < len(digits) else 0)
    return 0


# ---- answer and analysis out of a printed solution -----------------------------------------------------

# 【答案】C 【解析】… / [答案]:A [解析]: … / 答案：C 解析：… / 【详解】 【分析】 【点睛】 (all analysis)
SOLUTION_MARK = re.compile(both_scripts(
    r"[【\[［]\s*(答案|参考答案|解析|详解|分析|点睛|点评|解答|考点|分值)\s*[】\]］]\s*[:：]?"
    r"|(?:^|(?<=\s))(答案|参考答案|解析|详解|分析|点睛)\s*[:：]"
))
SOLUTION_LINE = re.compile(both_scripts(
    r"^\s*(?:[【\[［]\s*(?:答案|参考答案|解析|详解|分析|点睛|点评|解答|考点)\s*[】\]］]|(?:答案|参考答案|解析|详解)\s*[:：])"
))
CONCLUSION_CHOICE = re.compile(both_scripts(r"故\s*(?:本题)?\s*(?:答案)?\s*(?:选|为)\s*[:：]?\s*([A-H]{1,4})(?![A-Za-z])"))
LEADING_CHOICE = re.compile(r"^\s*([A-H]{1,4}|[√×✓✗])(?=$|[\s。．.，,、;；【\[(（]|[\u4e00-\u9fff])")


def is_solution_line(text: str) -> bool:
    """A line that opens a printed answer under a question: 【答案】, 【解析】, 答案：, 解析：."""
    return SOLUTION_LINE.match(text) is not None


def split_solution(text: str) -> tuple[str | None, str | None]:
    """(answer, analysis) out of a printed solution's text: the parts after 【答案】 and after 【解析】-like
    marks; text before any mark is the answer. The answer to a choice question is only its letters."""
    text = text.strip()
    if not text:
        return None, None
    marks = list(SOLUTION_MARK.finditer(text))
    answer_parts, analysis_parts = [], []
    if not marks or marks[0].start() > 0:
        answer_parts.append(text[: marks[0].start()] if marks else text)
    for mark, following in zip(marks, marks[1:] + [None]):
        word = mark.group(1) or mark.group(2)
        body = text[mark.end(): following.start() if following else len(text)].strip()
        (answer_parts if to_simplified(word) in ("答案", "参考答案") else analysis_parts).append(body)
    answer = " ".join(p.strip() for p in answer_parts if p.strip()) or None
    analysis = " ".join(p.strip() for p in analysis_parts if p.strip()) or None
    if answer is not None and analysis is None and marks == [] and LEADING_CHOICE.match(answer):
        letters = LEADING_CHOICE.match(answer).group(1)
        rest = answer[LEADING_CHOICE.match(answer).end():].strip(" ．.，,、")
        if rest:  # "C 由题意…": the letter is the answer, the rest its reasoning
            answer, analysis = letters, rest
    if answer is None and analysis is not None:
        concluded = CONCLUSION_CHOICE.search(analysis)  # "…故选C" names the answer of a choice question
        answer = concluded.group(1) if concluded else None
    return answer, analysis


def choice_answer(answer: str | None) -> str | None:
    """The letters of a choice answer ("C", "A、C" → "AC"), else None."""
    if answer is None:
        return None
    letters = re.sub(r"[\s、，,和与及]", "", answer)
    return letters if re.fullmatch(r"[A-H]{1,8}", letters) else None


# ---- a teacher's copy: the answer in the stem's bracket --------------------------------------------------

# "…的是（ C ）" or "…的是（C）。" at the end of a stem; an empty bracket is the student's copy
INLINE_CHOICE_ANSWER = re.compile(r"[（(]\s*([A-H](?:\s*[、,，]?\s*[A-H]){0,4}|[√×✓✗])\s*[)）]\s*[。.．？?]?\s*$")
LEADING_ANSWER_BRACKET = re.compile(r"^\s*[（(]\s*([A-H]{1,4}|[√×✓✗])\s*[)）]\s*(?=[0-9０-９]{1,3}\s*[.．、])")


def inline_answer(stem: str, labels: list[str]) -> tuple[str, str | None]:
    """(stem with an empty bracket, answer) when a teacher's copy prints the choice in the stem's final
    bracket; the letters must be labels of the question's own options, or a true/false mark (√ ×)."""
    match = INLINE_CHOICE_ANSWER.search(stem)
    if match is None:
        return stem, None
    answer = re.sub(r"[\s、,，]", "", match.group(1))
    if answer in "√×✓✗" and labels:
        return stem, None  # a tick in a choice question's bracket is a mark, not a choice
    if answer not in "√×✓✗" and not (labels and set(answer) <= set(labels)):
        return stem, None  # "…如图（A）" without options is a name, not an answer
    start, end = match.span(1)
    return stem[:start].rstrip() + " " + stem[end:].lstrip(), answer


def leading_answer(text: str) -> str | None:
    """"( C )1. A. morning": a primary-school paper's bracket before the number, answered."""
    match = LEADING_ANSWER_BRACKET.match(text)
    return match.group(1) if match else None


# ---- an answer key: its lines become entries by (section, number) -------------------------------------------

# a true/false mark counts only standing alone: "2√3" is a number
KEY_TOKEN = re.compile(r"(\d+)\s*(?:[-—–~～至]+\s*(\d{1,3}))?|([A-H]{1,8}(?![A-Za-z])|(?<!\d)[√×✓✗](?!\d))")
# words a key table or a key line may carry besides numbers and letters
TABLE_NUMBERS_LABEL = re.compile(both_scripts(r"题\s*号"))  # the numbers row of a key table
KEY_FILLER = re.compile(both_scripts(r"题\s*号|答\s*案|选\s*项|小\s*题|题\s*目|选择题|[|｜\-—–~～至.．、:：,，;；()（）\s]"))
KEY_GROUP_HEADING = re.compile(r"^\s*[（(]\s*[一二三四五六七八九十]{1,3}\s*[)）]\s*(?:[（(]\s*\d+(?:\.\d+)?\s*分\s*[)）])?\s*$")
NEXT_ENTRY = re.compile(r"(?:^|(?<=\s))(\d{1,3})\s*[.．、]\s*")  # "… 14. -1  17. 2√3": the next entry
NEXT_ENTRY_MAX_STEP = 10


NEXT_ENTRY_GLUED_MAX_STEP = 3
# "9.2√310.6π11.3": the OCR lost every space; only the very next number is looked for, anywhere
GLUED_NEXT_ENTRY = "(?<![.．、]){}[.．、](?!\\d*[.．、]\\d)"


def _next_entry_at(match: re.Match, number: int) -> bool:
    """A later entry starts here: a number a little above this one, or, glued to a digit as the OCR
    reads "3.-1 4.6π 15.3", one at most three above (further off, "4.6" is a decimal)."""
    following = int(match.group(1))
    glued = match.string[match.end(): match.end() + 1].isdigit() and match.group(0)[-1:] in ".．、"
    step = NEXT_ENTRY_GLUED_MAX_STEP if glued else NEXT_ENTRY_MAX_STEP
    return number < following <= number + step


def _next_entry(rest: str, number: int) -> tuple[int, int, int] | None:
    """(start, end, number) of the next entry in the rest of a key line, else None."""
    spaced = next((m for m in NEXT_ENTRY.finditer(rest) if _next_entry_at(m, number)), None)
    if spaced is not None:
        return spaced.start(), spaced.end(), int(spaced.group(1))
    glued = re.search(GLUED_NEXT_ENTRY.format(number + 1), rest)
    return (glued.start(), glued.end(), number + 1) if glued else None
KEY_ENTRY_START = re.compile(r"^\s*(\d{1,3})\s*[.．、:：]\s*(.*)$", re.S)


def is_choice_key_line(text: str) -> bool:
    """A line of a key that holds only numbers and choice letters: "1.C 2.B", "1-5 CBADA", a row of a
    numbers-over-letters table ("题号 1 2 3", "答案 C B A", its Markdown form), not a worked answer."""
    if KEY_FILLER.sub("", KEY_TOKEN.sub("", text)) != "":
        return False
    tokens = KEY_TOKEN.findall(text)
    if any(letters for _, _, letters in tokens):
        return True
    # a table's row of numbers alone ("题号 1 2 3 4 5"), not a fill-in key ("11. 3 12. 5")
    numbers = [int(low) for low, _, _ in tokens]
    if re.fullmatch(r"\s*\d{1,3}\s*", text):
        return True  # one cell of a table the OCR read cell by cell
    return len(numbers) >= 3 and all(b == a + 1 for a, b in zip(numbers, numbers[1:])) or TABLE_NUMBERS_LABEL.search(text) is not None


WORKED_ANSWER_START = re.compile(both_scripts(r"^\s*(?:解\s*[:：]|证明\s*[:：]|[【\[［]\s*(?:答案|解析|详解)|答\s*[:：])"))


def questions_follow(upcoming: list[str], last_number: int) -> bool:
    """Whether the first numbered line among the next ones opens a question: it goes on from the last
    question or starts again at 1, and is no key entry ("1-5 CBADA", "1.C 2.B", "21. 解：…")."""
    for text in upcoming:
        if is_choice_key_line(text):
            return False
        start = KEY_ENTRY_START.match(text)
        if start is not None:
            number = int(start.group(1))
            return number in (1, last_number + 1) and WORKED_ANSWER_START.match(start.group(2)) is None
    return False


def is_key_table(text: str) -> bool:
    """A numbers-over-letters table (题号 1 2 3 / 答案 C B A), a key even where its heading was lost."""
    return TABLE_NUMBERS_LABEL.search(text) is not None and is_choice_key_line(text) and any(
        letters for _, _, letters in KEY_TOKEN.findall(text))


FULLWIDTH = str.maketrans("０１２３４５６７８９ＡＢＣＤＥＦＧＨ", "0123456789ABCDEFGH")  # "题号１23": the OCR mixes widths
LATIN_ROMAN = {"I": "Ⅰ", "II": "Ⅱ", "III": "Ⅲ", "IV": "Ⅳ", "V": "Ⅴ", "VI": "Ⅵ", "VII": "Ⅶ", "VIII": "Ⅷ"}
LATIN_ROMAN_HEADING = re.compile(r"^\s*(I{1,3}|IV|VI{0,3})\s*[.．、]\s*[\u4e00-\u9fff]{2,8}\s*(?:[（(].*)?$")


def key_section_heading(text: str) -> str | None:
    """A key's sub-heading read with Latin letters for its Roman numeral ("I. 单项选择" for "Ⅰ. 单项选择")."""
    match = LATIN_ROMAN_HEADING.match(text)
    return LATIN_ROMAN[match.group(1)] if match else None


@dataclass
class KeyEntry:
    section: str | None  # the key's own section heading ("一、选择题", "Ⅲ. 阅读理解"), when it has one
    number: int
    text: list[str] = field(default_factory=list)
    letters: str | None = None  # from a choice line or table


@dataclass
class AnswerKey:
    """The entries of all answer keys of a paper, in the order read."""

    entries: list[KeyEntry] = field(default_factory=list)
    section: str | None = None
    _pending: list[int] = field(default_factory=list)  # numbers of a table row waiting for their letters
    _last_was_letters: bool = False
    _last: KeyEntry | None = None

    def set_section(self, name: str | None) -> None:
        self.section = name
        self._pending, self._last = [], None

    def take_line(self, text: str) -> None:
        text = text.translate(FULLWIDTH).strip()
        if not text:
            return
        if is_choice_key_line(text):
            self._take_choice_tokens(_table_rows(text))
            return
        start = KEY_ENTRY_START.match(text)
        if start is not None and not text[start.end(1):].lstrip()[:1].isdigit():
            self._pending = []
            self._take_numbered(int(start.group(1)), start.group(2))
            return
        if KEY_GROUP_HEADING.match(text):
            self._last = None  # "（二）（20分）": the key's next group of questions, no part of an answer
            return
        if self._last is not None:  # a worked answer's next line, or its 【解析】
            self._last.text.append(text)

    def _take_numbered(self, number: int, rest: str) -> None:
        """"11. 3 12. -1 13. 1/2": entries split where the next number follows after a space."""
        while True:
            entry = KeyEntry(self.section, number)
            self.entries.append(entry)
            self._last = entry
            following = _next_entry(rest, number)
            if following is None:
                entry.text.append(rest.strip())
                return
            start, end, number = following
            entry.text.append(rest[:start].strip())
            rest = rest[end:]

    def _take_choice_tokens(self, text: str) -> None:
        for row in text.split("\n"):
            tokens = KEY_TOKEN.findall(row)
            letters_only = [letters for low, _, letters in tokens if not low]
            if len(self._pending) > 1 and len(letters_only) > 1 and len(letters_only) == len(tokens):
                self._take_letter_row(letters_only)
                continue
            numbers_row = TABLE_NUMBERS_LABEL.search(row) is not None
            for low, high, letters in tokens:
                if low:
                    self._take_numbers(low, high, numbers_row)
                else:
                    self._take_letters(letters)

    def _take_numbers(self, low: str, high: str, numbers_row: bool = False) -> None:
        if self._last_was_letters:
            self._pending = []  # a new row of numbers: letters a row lost are not shifted onto it
        self._last_was_letters = False
        if high:
            first, last = int(low), int(high)
            self._pending += list(range(first, last + 1)) if 0 <= last - first < 30 else [first]
            return
        if self._pending:
            self._pending += _unglued(low, self._pending[-1] + 1)
        elif numbers_row:  # "题号12 345": the row's first number goes on from the last answered one
            self._pending += _unglued(low, self._last.number + 1 if self._last is not None else 1)
        elif len(low) <= 3:
            self._pending.append(int(low))

    def _take_letters(self, letters: str) -> None:
        self._last_was_letters = True
        if not self._pending:
            return
        if len(self._pending) > 1 and len(letters) == len(self._pending) and len(letters) > 1:
            pieces = list(letters)  # "1-5 CBADA": one letter per number
        else:
            pieces = [letters]  # "12. ACD": the letters of one multiple-choice question
        for piece in pieces:
            if self._pending:
                self._add_letters(self._pending.pop(0), piece)

    def _take_letter_row(self, row: list[str]) -> None:
        """A table's row of answers under a row of numbers: one token per number, or, where the OCR ran
        the cells together ("BBAAAC BAAB" under ten numbers), one letter per number."""
        self._last_was_letters = True
        pending, self._pending = self._pending, []
        run = all(b == a + 1 for a, b in zip(pending, pending[1:]))
        if run and pending[0] > 1 and len(row) == len(pending) + 1 and (self._last is None or self._last.number < pending[0] - 1):
            pending = [pending[0] - 1] + pending  # the row's first number went unread ("题号 | | 2 | 3")
        if len(row) == len(pending) or sum(len(t) for t in row) != len(pending):
            pieces = row
        else:
            pieces = list("".join(row))
        for number, piece in zip(pending, pieces):
            self._add_letters(number, piece)

    def _add_letters(self, number: int, letters: str) -> None:
        entry = KeyEntry(self.section, number, letters=letters)
        self.entries.append(entry)
        self._last = entry


def _unglued(digits: str, expected: int) -> list[int]:
    """A row of question numbers the OCR ran together ("题号12 345"): "12" where 1 is due next is 1, 2;
    "345" after 2 is 3, 4, 5. Read as one number otherwise."""
    if int(digits) == expected:
        return [expected]
    numbers, rest, number = [], digits, expected
    while rest.startswith(str(number)):
        numbers.append(number)
        rest, number = rest[len(str(number)):], number + 1
    return numbers if not rest and len(numbers) > 1 else [int(digits)]


def _table_rows(text: str) -> str:
    """A Markdown table without its |---| rule rows, so that the rule's dashes read as no range."""
    return "\n".join(row for row in text.split("\n") if not re.fullmatch(r"[|\-:\s]+", row))


# ---- matching the key to the questions ---------------------------------------------------------------------


LEADING_POINTS = re.compile(r"^\s*[（(]\s*\d+(?:\.\d+)?\s*分\s*[)）]\s*")  # "21.（4 分）①…": the key's marks


def entry_answer(entry: KeyEntry) -> tuple[str | None, str | None]:
    text = LEADING_POINTS.sub("", " ".join(t.strip() for t in entry.text if t.strip()), count=1)
    if entry.letters is not None:
        analysis = text or None
        return entry.letters, split_solution(analysis)[1] if analysis and SOLUTION_MARK.search(analysis) else analysis
    return split_solution(text)


def match_key(key: AnswerKey, questions: list[tuple[str | None, str]]) -> list[KeyEntry | None]:
    """The key entry for each question given as (section name, number): by section and number where the
    key names its sections, else by number where that number is asked once. Entries never add questions."""
    by_number: dict[str, list[int]] = {}
    for index, (_, number) in enumerate(questions):
        by_number.setdefault(number, []).append(index)
    found: list[KeyEntry | None] = [None] * len(questions)
    sections = [name for name, _ in questions]
    key_sections = {entry.section for entry in key.entries if entry.section is not None}
    for entry in key.entries:
        candidates = by_number.get(str(entry.number), [])
        in_section = [i for i in candidates if same_section(entry.section, sections[i])]
        # a section whose heading the OCR lost: its questions answer to the key's section that matches none
        unnamed = [i for i in candidates if not any(same_section(k, sections[i]) for k in key_sections)]
        if in_section:
            target = in_section[0]
        elif len(candidates) == 1:
            target = candidates[0]
        elif candidates and entry.section is None:
            target = next((i for i in candidates if found[i] is None), candidates[-1])  # keys in order of the parts
        elif unnamed and not any(same_section(entry.section, s) for s in sections):
            target = next((i for i in unnamed if found[i] is None), unnamed[0])
        else:
            continue
        if found[target] is None or found[target].letters is None and entry.letters is not None:
            found[target] = _merged(found[target], entry)
        else:
            found[target].text += entry.text
    return found


def _merged(old: KeyEntry | None, new: KeyEntry) -> KeyEntry:
    if old is None:
        return new
    return KeyEntry(new.section, new.number, old.text + new.text, new.letters)


# ---- answer-sheet pages ------------------------------------------------------------------------------------------

ANSWER_SHEET_TITLE = re.compile(both_scripts(r"答\s*题\s*[卡纸卷]|答\s*题\s*区"))
BUBBLE = re.compile(r"[\[［【(（]\s*[A-H]\s*[\]］】)）]")
# "17.", "(3)", "17.（10分）": a number by an empty answer box
BARE_NUMBER = re.compile(r"^\s*[（(]?\s*\d{1,3}\s*[)）]?\s*[.．、]?\s*(?:[（(]\s*\d{1,2}\s*分\s*[)）])?\s*$")
# "1 A B C D  2 A B C D": bubbles read without their brackets, the letters always in order
UNBRACKETED_BUBBLES = re.compile(r"^(?:\s*\d{1,3}\s*[.．、]?\s*A\s*B\s*C\s*D(?:\s*E)?)+\s*$")
ANSWER_SHEET_MIN_GRID_SHARE = 0.4
SHEET_TITLE_TOP_SHARE = 0.25


def is_bubble_or_box_line(text: str) -> bool:
    """"1 [A][B][C][D]", "6.[A] [B] [C] [D]", or a number alone by an empty box."""
    without = BUBBLE.sub("", text)
    if len(BUBBLE.findall(text)) >= 2 and re.fullmatch(r"[\s\d.．、()（）\[\]【】]*", without):
        return True
    if UNBRACKETED_BUBBLES.match(text.replace("[", "").replace("]", "")):
        return True
    return BARE_NUMBER.match(text) is not None


def is_answer_sheet_page(lines: list[TextLine], height: float) -> bool:
    """A page of the answer sheet (答题卡): bubbles and numbered empty boxes, no questions. Its title near
    the top together with a grid, or a page that is mostly grid."""
    texts = [line.text.strip() for line in lines if line.text.strip()]
    if not texts:
        return False
    if any(is_answer_key_heading(text) for text in texts) or sum(1 for t in texts if re.fullmatch(r"[A-H]{1,4}", t)) >= 3:
        return False  # a key table's rows of numbers over letters, not empty boxes
    grid = sum(1 for text in texts if is_bubble_or_box_line(text))
    titled = any(ANSWER_SHEET_TITLE.search(line.text) and len(line.text.strip()) <= 16
                 and not re.search(r"在|上|写|填", line.text) and line.y0 < SHEET_TITLE_TOP_SHARE * height
                 for line in lines)
    if titled and grid >= 1:
        return True
    return grid >= 5 and grid >= ANSWER_SHEET_MIN_GRID_SHARE * len(texts)


SHEET_CONTINUATION_MAX_CHARS = 12


def answer_sheet_pages(pages: list[tuple[list[TextLine], float]]) -> list[bool]:
    """Which pages (lines, height) belong to the answer sheet: sheet pages, and the pages after one that
    hold only short lines, numbers among them ("二、填空题", "7.", "9.（10分）": the sheet's boxes run on)."""
    flags: list[bool] = []
    for lines, height in pages:
        texts = [line.text.strip() for line in lines if line.text.strip()]
        runs_on = bool(flags and flags[-1] and texts) and all(len(t) <= SHEET_CONTINUATION_MAX_CHARS for t in texts) \
            and any(re.match(r"\d", t) for t in texts)
        flags.append(runs_on or is_answer_sheet_page(lines, height))
    return flags


# ---- all sources together ------------------------------------------------------------------------------------


def link_answers(questions: list, printed: list[list[str]], leading: list[str | None], key: AnswerKey) -> None:
    """Set each question's `answer` and `analysis` (objects with number, section, stem, options, type):
    its printed solution first, then the answer key, then a teacher's bracket. A teacher's answer never
    stays in the stem."""
    entries = match_key(key, [(q.section, q.number) for q in questions])
    for question, solution, lead, entry in zip(questions, printed, leading, entries):
        labels = [o.label for o in question.options]
        question.stem, bracketed = inline_answer(question.stem, labels)
        answer, analysis = split_solution(" ".join(t.strip() for t in solution)) if solution else (None, None)
        if entry is not None:
            key_answer, key_analysis = entry_answer(entry)
            answer, analysis = answer or key_answer, analysis or key_analysis
        answer = answer or bracketed or lead
        if answer is not None and labels:
            answer = choice_answer(answer) or answer  # "A、C" → "AC"
        question.answer, question.analysis = answer, analysis
