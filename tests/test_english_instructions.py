"""English papers' notices ("Instructions:", "Directions", "Notes to candidates") are not questions, as 注意事项
is not on Chinese papers: a generated family of headings, list forms and instruction wordings."""

from __future__ import annotations

import itertools

import pytest

from ocr_assets.extraction import PageLines, extract_questions
from resources.engines.base import TextLine

HEADINGS = ("Instructions:", "INSTRUCTIONS", "Directions", "Notes to candidates:", "Information for Candidates",
            "General Instructions:", "Instructions to the candidates")
NOTICES = (
    ("Write your name and candidate number on the answer sheet before you begin.",
     "Mark your answers to the multiple-choice questions on the answer sheet with a pencil.",
     "Hand in this paper and the answer sheet at the end of the examination."),
    ("Answer all questions.", "Calculators may be used.", "Write in black ink or ball-point pen."),
    ("Answer ALL the questions in the spaces provided.", "Show all your working.",
     "The invigilator will collect the question paper."),
)
QUESTIONS = ("If 3x + 1 = 10, what is the value of x?", "What is the sum of the first 6 positive integers?")


def paper(lines: list[str]) -> list[PageLines]:
    return [PageLines(1, 1240, 1754, [TextLine(text, (113, 100 + 49 * i, 113 + 20 * len(text), 130 + 49 * i), 0.99)
                                      for i, text in enumerate(lines)])]


@pytest.mark.parametrize(("heading", "notices"), list(itertools.product(HEADINGS, NOTICES)))
@pytest.mark.parametrize("form", ["1. ", "1．"])
def test_numbered_instructions_under_an_english_heading_are_not_questions(heading, notices, form):
    lines = ["Grade 11 Mathematics Final Examination", heading]
    lines += [f"{form.replace('1', str(n))}{text}" for n, text in enumerate(notices, start=1)]
    lines += ["I. Multiple Choice: 2 questions, 5 points each."]
    for number, stem in enumerate(QUESTIONS, start=1):
        lines += [f"{form.replace('1', str(number))}{stem}", "A. 1 B. 2 C. 3 D. 4"]
    questions = extract_questions(paper(lines))
    assert [(q.number, q.stem) for q in questions] == [("1", QUESTIONS[0]), ("2", QUESTIONS[1])]


def test_without_a_heading_the_first_line_must_read_as_an_instruction():
    """A question 1 that merely follows the title stays a question; one naming the answer sheet does not."""
    kept = extract_questions(paper(["Mathematics Test", f"1. {QUESTIONS[0]}", "A. 1 B. 2 C. 3 D. 4",
                                    f"2. {QUESTIONS[1]}", "A. 1 B. 2 C. 3 D. 4"]))
    assert [q.number for q in kept] == ["1", "2"] and kept[0].stem == QUESTIONS[0]
    skipped = extract_questions(paper(["Mathematics Test", "1. Write your candidate number on the answer sheet.",
                                       f"1. {QUESTIONS[0]}", "A. 1 B. 2 C. 3 D. 4"]))
    assert [(q.number, q.stem) for q in skipped] == [("1", QUESTIONS[0])]


def test_a_sentence_beginning_with_note_is_not_a_heading():
    from ocr_assets.extraction import NOTICE_HEADING

    assert NOTICE_HEADING.search("Instructions:") and NOTICE_HEADING.search("Notes to Candidates")
    assert not NOTICE_HEADING.search("Note that x is a positive integer.")
    assert not NOTICE_HEADING.search("1. Directions of the two vectors are opposite.")
