"""Formula pieces join their row; real short lines do not (ocr_assets/formula_lines.py), proved on
generated line lists: rows at several pitches and heights, pieces raised, lowered, inside a row's
gap or at its end, and short lines that must stay lines of their own."""

import random

import pytest

from ocr_assets.formula_lines import host_of, is_formula_text, join_formula_pieces
from resources.engines.base import TextLine


def line(text, x0, y0, x1, y1, conf=0.95):
    return TextLine(text, (float(x0), float(y0), float(x1), float(y1)), conf)


def cjk_row(text, x0, y0, h):
    return line(text, x0, y0, x0 + h * len(text), y0 + h)


@pytest.mark.parametrize("seed", range(12))
def test_a_lowered_or_raised_piece_joins_its_row_at_its_x(seed):
    rng = random.Random(seed)
    h = rng.uniform(20, 40)
    pitch = h * rng.uniform(1.25, 2.2)
    x0 = rng.uniform(40, 200)
    rows = [cjk_row("本题共八小题每小题五分", x0, 100 + i * pitch, h) for i in range(5)]
    target = rng.randrange(5)
    host = rows[target]
    # the Chinese row is read as two segments with a hole where the formula was: 记 | 为数列
    left = cjk_row("记", x0, host.y0, h)
    right = cjk_row("为数列的前项和", x0 + 2.2 * h, host.y0, h)
    raised = rng.random() < 0.5
    piece_h = h * rng.uniform(0.45, 0.65)
    piece_y0 = host.y0 - 0.2 * h if raised else host.y1 - piece_h + 0.3 * h
    piece = line("2" if raised else "n", x0 + 1.1 * h, piece_y0, x0 + 1.1 * h + 0.5 * h, piece_y0 + piece_h)
    lines = rows[:target] + [left, piece, right] + rows[target + 1:]
    rng.shuffle(lines)
    joined = join_formula_pieces(lines)
    assert len(joined) == len(lines) - 1
    texts = {l.text for l in joined}
    assert ("记²" if raised else "记ₙ") in texts
    assert "为数列的前项和" in texts


@pytest.mark.parametrize("seed", range(12))
def test_a_piece_inside_a_row_goes_between_its_characters(seed):
    rng = random.Random(seed)
    h = rng.uniform(20, 40)
    host = cjk_row("若则等于", 100, 300, h)  # the detector boxed the row around a formula it did not read
    gap_x = host.x0 + 1 * h + rng.uniform(0.05, 0.9) * h * 0.2
    piece = line("S₃=9", gap_x, 300 + h * rng.uniform(-0.1, 0.25), gap_x + 0.2 * h, 300 + h * 1.05)
    joined = join_formula_pieces([host, piece])
    assert [l.text for l in joined] == ["若S₃=9则等于"]


@pytest.mark.parametrize("seed", range(12))
def test_real_short_lines_stay_lines(seed):
    rng = random.Random(seed)
    h = rng.uniform(20, 40)
    pitch = h * rng.uniform(1.2, 2.2)
    x0 = 100
    rows = [cjk_row("已知函数的定义域为全体实数", x0, 100 + i * pitch, h) for i in range(4)]
    # an answer line of its own on the next row, full height
    answer = line("x=2", x0, 100 + 4 * pitch, x0 + 2 * h, 100 + 4 * pitch + h)
    # a page number far below
    page_number = line("3", 600, 100 + 12 * pitch, 600 + 0.6 * h, 100 + 12 * pitch + h)
    # a same-size formula segment on the row's baseline, after a word gap: ordinary text
    segment_y = rows[1].y0
    segment = line("f(x)=x+1", rows[1].x1 + 0.6 * h, segment_y, rows[1].x1 + 4.6 * h, segment_y + h)
    # the right column of a two-column page, a gutter of more than REACH away
    gutter = rng.uniform(1.6, 4.0) * h
    column = line("a+b", rows[2].x1 + gutter, rows[2].y0 + 0.3 * h, rows[2].x1 + gutter + 2 * h, rows[2].y1 + 0.3 * h)
    lines = rows + [answer, page_number, segment, column]
    rng.shuffle(lines)
    assert sorted(l.text for l in join_formula_pieces(lines)) == sorted(l.text for l in lines)


def test_two_pieces_of_one_row_keep_their_order_and_a_piece_of_a_piece_follows_it():
    h = 30
    left = cjk_row("记", 100, 100, h)
    right = cjk_row("为数列", 100 + 3 * h, 100, h)
    s = line("S", 100 + 1.1 * h, 100, 100 + 1.6 * h, 100 + h)
    n = line("n", 100 + 1.65 * h, 100 + 0.7 * h, 100 + 2.0 * h, 100 + 1.2 * h)
    joined = join_formula_pieces([left, n, s, right])
    assert sorted(l.text for l in joined) == ["为数列", "记Sₙ"]


@pytest.mark.parametrize("text, formula", [("aₙ", True), ("x²+1", True), ("S3=9", True), ("A．2", False), ("B.3", False), ("12.", False), ("0.5", True), ("(A)", True),
                                            ("（5分）", False), ("为数列", False), ("", False), ("abcdefghij", False)])
def test_formula_text(text, formula):
    assert is_formula_text(text) is formula


def test_no_host_on_an_empty_page_row():
    h = 30
    piece = line("2", 100, 100, 110, 115)
    assert host_of(piece, [piece, cjk_row("下一行的文字", 100, 100 + 2 * h, h)], h) is None


def test_a_piece_next_to_a_table_or_an_option_row_stays_apart():
    h = 30
    table = line("| a | b |\n| 1 | 2 |", 100, 100, 700, 100 + 4 * h)  # one Markdown line per table
    under = line("x", 300, 100 + 4 * h + 2, 320, 100 + 4.5 * h)
    options = [line(f"{label}.{n}", 100 + i * 2 * h, 400, 100 + i * 2 * h + 1.2 * h, 400 + 0.7 * h)
               for i, (label, n) in enumerate(zip("ABCD", "2345"))]
    lines = [table, under, *options]
    assert sorted(l.text for l in join_formula_pieces(lines)) == sorted(l.text for l in lines)


def test_a_piece_before_an_option_label_is_not_part_of_that_option():
    # "A12" (option A typed without its mark) stands just left of "B. 16 C. 20 D. 24" on the option row
    lines = [TextLine("A12", (692, 161, 777, 194), 0.9), TextLine("B. 16 C. 20 D. 24", (792, 163, 1094, 194), 0.9)]
    assert [l.text for l in join_formula_pieces(lines)] == ["A12", "B. 16 C. 20 D. 24"]
