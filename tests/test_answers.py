"""Answers and 解析 as data: every rule on generated families of papers (tests/answer_families.py), with the
seeds looked at while writing the rules (0–9, 1000–1019) and held-out ones (2000–2019), plus the pieces on
their own."""

from __future__ import annotations

import pytest

from ocr_assets.answers import (
    AnswerKey,
    inline_answer,
    is_answer_key_heading,
    answer_sheet_pages,
    is_answer_sheet_page,
    is_choice_key_line,
    entry_answer,
    match_key,
    split_solution,
)
from ocr_assets.extraction import PageLines, extract_questions
from ocr_assets.review import render_review
from resources.engines.base import TextLine
from tests.answer_families import (
    FAMILIES,
    HELD_OUT_SEEDS,
    TUNED_SEEDS,
    GenPaper,
    answer_sheet,
    key_middle_extra,
    key_middle_part_two,
    score,
    student_brackets,
)

SEEDS = TUNED_SEEDS + HELD_OUT_SEEDS


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.__name__)
def test_every_family_gives_its_questions_and_their_answers(family):
    """Per family over 50 seeds: the questions the paper asks, no more, no fewer; on papers with
    answers at least 90 % carry the right one (here all of them), on papers without, none is made up."""
    results = [score(paper, extract_questions(paper.pages())) for paper in map(family, SEEDS)]
    failed_numbers = [seed for seed, r in zip(SEEDS, results) if not r["numbers_exact"]]
    assert failed_numbers == []
    share = sum(r["answers_right"] for r in results) / sum(r["questions"] for r in results)
    assert share == 1.0, f"{family.__name__}: {share:.3f} of the questions with their right answer (or none)"


TRADITIONAL_SEEDS = list(range(3000, 3010)) + list(range(4000, 4020))  # 3000–3009 looked at, 4000–4019 held out


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.__name__)
def test_every_family_in_traditional_characters(family):
    """The same papers printed in traditional characters (OpenCC s2t: 參考答案, 【解析】, 題號, 附加題): the
    same questions and answers."""
    from dataclasses import replace

    opencc = pytest.importorskip("opencc", reason="pip install opencc (a project dependency)")
    s2t = opencc.OpenCC("s2t").convert
    results = []
    for paper in map(family, TRADITIONAL_SEEDS):
        paper.questions = [replace(q, answer=s2t(q.answer)) if isinstance(q.answer, str) else q for q in paper.questions]
        pages = [replace(p, lines=[replace(line, text=s2t(line.text)) for line in p.lines]) for p in paper.pages()]
        results.append(score(paper, extract_questions(pages)))
    assert [seed for seed, r in zip(TRADITIONAL_SEEDS, results) if not r["numbers_exact"]] == []
    share = sum(r["answers_right"] for r in results) / sum(r["questions"] for r in results)
    assert share == 1.0, f"{family.__name__}: {share:.3f} of the questions with their right answer (or none)"


@pytest.mark.parametrize("seed", SEEDS)
def test_questions_after_a_key_in_the_middle_are_extracted(seed):
    """附加题 after the first key, numbered on or from 1, and 第Ⅱ卷 after 第Ⅰ卷's key."""
    for paper in (key_middle_extra(seed), key_middle_part_two(seed)):
        questions = extract_questions(paper.pages())
        assert [q.number for q in questions] == [str(q.number) for q in paper.questions]
        assert all(q.answer is not None for q in questions)


@pytest.mark.parametrize("seed", SEEDS)
def test_answer_sheet_pages_are_not_questions(seed):
    paper = answer_sheet(seed)
    pages = paper.pages()
    questions = extract_questions(pages)
    assert len(questions) == len(paper.questions)
    assert [is_answer_sheet_page(p.lines, p.height) for p in pages][0] is False


def test_a_key_never_creates_questions():
    paper = GenPaper("one question and a long key")
    paper.row("1. 下列说法正确的是")
    paper.row("A. 甲 B. 乙 C. 丙 D. 丁")
    paper.row("参考答案")
    paper.row("1.C 2.B 3.A 4.D")
    paper.row("5．(1) 温度升高；(2) 体积变小")
    [question] = extract_questions(paper.pages())
    assert (question.number, question.answer) == ("1", "C")


def test_a_figure_in_an_answer_key_goes_to_no_question():
    """A ruled key table (or a worked answer's diagram) that the figure finder takes for a figure stands
    in the key: no question gets it, the one before the key keeps its own."""
    from ocr_assets.pipeline import attach_figures

    paper = GenPaper("key with a table figure")
    for text in ("1. 如图，下列说法正确的是", "A. 甲 B. 乙 C. 丙 D. 丁", "2. 下列说法错误的是", "A. 甲 B. 乙 C. 丙 D. 丁",
                 "参考答案", "| 题号 | 1 | 2 |\n|---|---|---|\n| 答案 | D | B |", "", "", "", "3. 附加"):
        paper.row(text)
    [page] = paper.pages()
    extracted = extract_questions([page])
    questions = [q.to_dict() for q in extracted]
    stem_figure = (700, 120, 1000, 200)
    key_table = (105, 300, 600, 420)  # over the key heading and its table, as the figure finder draws it
    attach_figures(questions, {1: [stem_figure, key_table]}, [[(r.page, r.bbox) for r in q.regions] for q in extracted],
                   [[(r.page, r.bbox) for r in q.solution_regions] for q in extracted])
    assert [[f["bbox"] for f in q["figures"]] for q in questions] == [[list(stem_figure)], []]


def test_a_printed_answer_under_a_question_is_its_answer_and_never_its_stem():
    paper = GenPaper("teacher copy")
    for text in ["1. 下列说法正确的是", "A. 甲 B. 乙 C. 丙 D. 丁", "[答案]:A [解析]: 因为甲是对的", "所以选A", "2. 下一题的题干"]:
        paper.row(text)
    first, second = extract_questions(paper.pages())
    assert (first.answer, first.analysis) == ("A", "因为甲是对的 所以选A")
    assert "答案" not in first.stem and (second.answer, second.analysis) == (None, None)


def test_a_printed_answer_on_the_line_of_the_last_option():
    paper = GenPaper("teacher copy, answer on the options' line")
    for text in ["1. 下列说法正确的是", "A. 甲 B. 乙 C. 丙 D. 丁 【答案】C【解析】丙是对的", "2. 下一题的题干"]:
        paper.row(text)
    first, _ = extract_questions(paper.pages())
    assert [(o.label, o.text) for o in first.options][-1] == ("D", "丁")
    assert (first.answer, first.analysis) == ("C", "丙是对的")


def test_an_empty_bracket_is_no_answer_and_a_filled_one_leaves_the_stem():
    assert inline_answer("下列说法正确的是（ C ）", list("ABCD")) == ("下列说法正确的是（ ）", "C")
    assert inline_answer("下列说法正确的是（AC）。", list("ABCD")) == ("下列说法正确的是（ ）。", "AC")
    assert inline_answer("下列说法正确的是（ ）", list("ABCD")) == ("下列说法正确的是（ ）", None)
    assert inline_answer("如图（A）", []) == ("如图（A）", None)  # a name, not an answer: no options
    assert inline_answer("如图（E）所示，下列正确的是（B）", list("ABCD"))[1] == "B"
    assert inline_answer("水的沸点是100℃。（√）", [])[1] == "√"
    papers = [student_brackets(seed) for seed in SEEDS]
    assert all(q.answer is None for p in papers for q in extract_questions(p.pages()))


@pytest.mark.parametrize("text, expected", [
    ("【答案】C【解析】由题意可知……故选C", ("C", "由题意可知……故选C")),
    ("答案：B 解析：因为……", ("B", "因为……")),
    ("【解析】……故选：D", ("D", "……故选：D")),
    ("【分析】先求导【详解】f'(x)=2x", (None, "先求导 f'(x)=2x")),
    ("C 由题意得……", ("C", "由题意得……")),
    ("(1) x=2；(2) y=3", ("(1) x=2；(2) y=3", None)),
])
def test_a_solution_splits_into_answer_and_analysis(text, expected):
    assert split_solution(text) == expected


def test_key_headings_and_what_only_looks_like_one():
    assert is_answer_key_heading("参考答案") and is_answer_key_heading("第Ⅰ卷答案与解析")
    assert is_answer_key_heading("选择题答案表") and is_answer_key_heading("答 案")
    assert not is_answer_key_heading("【参考答案】C")
    assert not is_answer_key_heading("参考答案：C")
    assert not is_answer_key_heading("2023年数学试卷（含参考答案）")


def test_key_lines_of_choices_and_of_worked_answers():
    assert is_choice_key_line("1.C 2.B 3.A") and is_choice_key_line("1-5 CBADA") and is_choice_key_line("题号 1 2 3 4")
    assert is_choice_key_line("| 答案 | C | B |")
    assert not is_choice_key_line("11. 3  12. 5")  # a fill-in key: numbers, not a table row
    assert not is_choice_key_line("14. -1  17. 2√3")
    key = AnswerKey()
    for line in ["1～5 CBADA", "6. AC  7. B", "题号 8 9 10", "答案 D A B", "11. 3  12. -1", "13．(1) 证明略；", "(2) x=2"]:
        key.take_line(line)
    answers = {e.number: e.letters or " ".join(e.text) for e in key.entries}
    assert answers == {1: "C", 2: "B", 3: "A", 4: "D", 5: "A", 6: "AC", 7: "B", 8: "D", 9: "A", 10: "B",
                       11: "3", 12: "-1", 13: "(1) 证明略； (2) x=2"}


def test_a_fill_in_key_line_the_ocr_read_without_spaces():
    key = AnswerKey()
    key.take_line("2.3 3.-1 4.6π 6.-1 7.2.5")
    assert [(e.number, " ".join(e.text)) for e in key.entries] == [(2, "3"), (3, "-1"), (4, "6π"), (6, "-1"), (7, "2.5")]
    key = AnswerKey()
    key.take_line("9.2√310.6π11.3")
    key.take_line("13.氢气 15.3 16.2√3")
    assert [(e.number, " ".join(e.text)) for e in key.entries] == [(9, "2√3"), (10, "6π"), (11, "3"), (13, "氢气"), (15, "3"), (16, "2√3")]


def test_a_key_entry_keeps_its_answer_without_the_marks_it_states():
    key = AnswerKey()
    for line in ("23．（2 分） 浩然之气", "（四）（6 分）", "24．（1）其正色邪"):
        key.take_line(line)
    assert entry_answer(key.entries[0]) == ("浩然之气", None)  # nor the next group's heading
    assert entry_answer(key.entries[1]) == ("（1）其正色邪", None)


def test_a_table_row_that_lost_a_letter_shifts_nothing_onto_the_next_row():
    key = AnswerKey()
    for line in ["1 2 3 4 5", "C B A D", "6 7 8 9 10", "A B C D A"]:
        key.take_line(line)
    got = {e.number: e.letters for e in key.entries}
    assert got[6] == "A" and got[10] == "A" and 5 not in got


@pytest.mark.parametrize("rows, expected", [
    (["题号12 345", "答案CBAAA", "题号678", "答案CB A"], "CBAAACBA"),  # cells the OCR ran together
    (["题号 1 2 3 4 5 6 7 8 9 10", "答案BBAAAC BAAB"], "BBAAACBAAB"),
    (["| 题号 | 1 | 2 | 3 |\n|---|---|---|---|\n| 答案 | A | C | B |"], "ACB"),  # a ruled table, as tables.py writes it
    (["| 题号 |  | 2 | 3 |\n|---|---|---|---|\n| 答案B |  | B | A |"], "BBA"),  # "1" unread, "B" in the label's cell
])
def test_a_numbers_over_letters_table_as_the_ocr_reads_it(rows, expected):
    key = AnswerKey()
    for row in rows:
        key.take_line(row)
    assert "".join(e.letters for e in sorted(key.entries, key=lambda e: e.number)) == expected
    assert [e.number for e in sorted(key.entries, key=lambda e: e.number)] == list(range(1, len(expected) + 1))


def test_a_key_table_without_its_heading_still_starts_the_key():
    paper = GenPaper("key table whose heading went into a figure")
    paper.row("1. 下列说法正确的是")
    paper.row("A. 甲 B. 乙 C. 丙 D. 丁")
    paper.row("2. 下列说法错误的是")
    paper.row("A. 甲 B. 乙 C. 丙 D. 丁")
    paper.row("| 题号 | 1 | 2 |\n|---|---|---|\n| 答案 | D | B |")
    first, second = extract_questions(paper.pages())
    assert (first.answer, second.answer) == ("D", "B") and "题号" not in second.stem + str(second.options)
    cover = GenPaper("a score table on the cover is no key")
    cover.row("| 题号 | 一 | 二 | 三 | 总分 |\n|---|---|---|---|---|\n| 得分 |  |  |  |  |")
    cover.row("1. 下列说法正确的是")
    cover.row("A. 甲 B. 乙 C. 丙 D. 丁")
    assert [q.number for q in extract_questions(cover.pages())] == ["1"]


def test_pairs_after_pairs_are_not_unglued():
    key = AnswerKey()
    key.take_line("11.A 12.B 13.ACD")
    assert [(e.number, e.letters) for e in key.entries] == [(11, "A"), (12, "B"), (13, "ACD")]


def test_a_key_by_section_as_the_ocr_reads_it():
    """Latin I for Ⅰ, and a sub-heading written "Ⅱ. 完形填空" though the section is named "Ⅱ、完形填空"."""
    paper = GenPaper("english paper")
    for numeral, title in (("Ⅰ", "单项选择"), ("Ⅱ", "完形填空")):
        paper.row(f"{numeral}. {title}（每小题1分）")
        for number in (1, 2):
            paper.row(f"{number}. 下列说法正确的是")
            paper.row("A. 甲 B. 乙 C. 丙 D. 丁")
    for text in ("参考答案", "I. 单项选择", "题号１2", "答案AB", "Ⅱ. 完形填空", "题号12", "答案CD"):
        paper.row(text)
    assert [q.answer for q in extract_questions(paper.pages())] == ["A", "B", "C", "D"]


def test_keys_by_section_match_sections_that_number_from_1():
    key = AnswerKey()
    key.set_section("Ⅰ. 单项选择")
    key.take_line("1.A 2.B")
    key.set_section("Ⅱ、完形填空")
    key.take_line("1.C 2.D")
    found = match_key(key, [("Ⅰ、单项选择", "1"), ("Ⅰ、单项选择", "2"), ("Ⅱ、完形填空", "1"), ("Ⅱ、完形填空", "2")])
    assert [e.letters for e in found] == ["A", "B", "C", "D"]


def test_review_card_shows_the_answer_and_analysis(tmp_path):
    doc = {"paper": "p", "engine": "rapidocr", "pages": [],
           "questions": [
               {"number": "1", "section": None, "type": "single_choice", "score": None, "stem": "题干", "options": [],
                "sub_questions": [], "passage": None, "spans": [], "figures": [], "answer": "C", "analysis": "故选C<b>"},
               {"number": "2", "section": None, "type": "free_response", "score": None, "stem": "题干", "options": [],
                "sub_questions": [], "passage": None, "spans": [], "figures": [], "answer": None, "analysis": None}]}
    html_path, md_path = render_review(doc, [], tmp_path)
    page = html_path.read_text(encoding="utf-8")
    assert "<b>answer</b> C" in page and "故选C&lt;b&gt;" in page and "answer: none printed" in page
    assert "**answer:** C" in md_path.read_text(encoding="utf-8")


def test_a_page_of_bubbles_is_an_answer_sheet_and_a_page_of_questions_is_not():
    def lines(texts):
        return [TextLine(t, (100, 100 + 50 * i, 600, 130 + 50 * i), 0.9) for i, t in enumerate(texts)]
    sheet = lines(["答题卡", "一、选择题"] + [f"{n} [A][B][C][D]" for n in range(1, 9)])
    assert is_answer_sheet_page(sheet, 1754)
    questions = lines(["1. 下列说法正确的是", "A. 甲 B. 乙 C. 丙 D. 丁", "2. 答题卡上填涂的是", "A. 甲 B. 乙 C. 丙 D. 丁"])
    assert not is_answer_sheet_page(questions, 1754)
    assert extract_questions([PageLines(1, 1240, 1754, sheet)]) == []
    unbracketed = lines(["一、选择题"] + [f"{n} A B C D   {n + 5} A B C D" for n in range(1, 6)] + ["三、解答题", "17.（10分）", "18.（12分）"])
    assert is_answer_sheet_page(unbracketed, 1754)
    # the sheet's title with only two rows of bubbles, then pages of boxes it runs on to
    short = lines(["答题卡", "一、选择题", "1. [A] [B] [C] [D] 2. [A] [B] [C] [D]"])
    assert answer_sheet_pages([(short, 1754), (lines(["二、填空题", "7.8"]), 1754), (lines(["三、解答题", "9. (10分)"]), 1754)]) \
        == [True, True, True]
    assert answer_sheet_pages([(lines(["二、填空题", "7.8"]), 1754)]) == [False]  # alone, it is no sheet
    key_page = lines(["参考答案", "1.A 2.B 3.C 4.D", "5.ABCD 6.B"] + [f"{n}." for n in range(7, 12)])
    assert not is_answer_sheet_page(key_page, 1754)
