"""Reading order on generated families of OCR line lists (A4 at 150 dpi): two columns with gutters from 4 to
20 mm, rows glued across the gutter by the detector, titles as wide as their column, with and without the layout
model's blocks; and the pages that must not be cut: one column with a centred title and option rows, tables,
A3 spreads with two columns a half."""

from __future__ import annotations

import random

import pytest

from ocr_assets.reading_order import find_gutter, reading_order, split_line
from resources.engines.base import Block, TextLine

WIDTH, HEIGHT, MARGIN, PAD = 1240, 1754, 118, 6  # OCR boxes stand a few pixels outside the ink
CHAR = 25  # a full-width character at about 11 pt
GUTTERS_MM = (4, 5, 6, 8, 12, 20)


def mm(value: float) -> int:
    return round(value / 25.4 * 150)


def box_line(text: str, x0: float, y: float, x1: float, height: float = 30) -> TextLine:
    return TextLine(text, (x0 - PAD, y - PAD / 2, x1 + PAD, y + height + PAD / 2), 0.99)


def column_lines(label: str, x0: float, x1: float, top: float, rows: int, rng: random.Random, pitch: int = 40):
    """Rows of a column of questions: a numbered first line, full continuation lines, a shorter last one."""
    lines, number = [], 0
    for row in range(rows):
        starts_question = row % 4 == 0
        number += starts_question
        last_of_question = row % 4 == 3
        width = (x1 - x0) * (rng.uniform(0.4, 0.8) if last_of_question else 1.0)
        chars = max(3, int(width // CHAR))
        head = f"{number}. " if starts_question else ""
        text = head + f"{label}{row:02d}" + "字" * (chars - len(head) // 2 - 3)
        lines.append(box_line(text, x0, top + pitch * row, x0 + chars * CHAR if not head else x0 + width))
    return lines


def two_column_page(gutter_px: int, seed: int, glued: int = 2, title_in_column: bool = False, with_blocks: bool = True):
    """(lines, blocks, expected texts in reading order) of a two-column page whose detector glued
    `glued` rows of the left column to the right column's row at the same height."""
    rng = random.Random(seed)
    column = (WIDTH - 2 * MARGIN - gutter_px) / 2
    left = (MARGIN, MARGIN + column)
    right = (MARGIN + column + gutter_px, WIDTH - MARGIN)
    top = 330
    if title_in_column:  # a title as wide as the left column, the right column starting beside it
        title = [box_line("高" * int(column // 40), left[0], 150, left[0] + int(column // 40) * 40, height=40)]
        left_rows = column_lines("左", *left, 230, 34, rng)
        right_rows = column_lines("右", *right, 150, 36, rng)
    else:
        title = [box_line("高三年级第一次质量检测", 400, 150, 840, height=40),
                 box_line("注意事项：答卷前，考生务必将自己的姓名、准考证号填写在答题卡上。", MARGIN, 230, WIDTH - MARGIN - 60)]
        left_rows = column_lines("左", *left, top, 32, rng)
        right_rows = column_lines("右", *right, top, 32, rng)
    expected = [l.text for l in title + left_rows + right_rows]
    by_row = {round(l.y0): l for l in right_rows}
    candidates = [i for i, l in enumerate(left_rows) if round(l.y0) in by_row and l.x1 > left[1]]
    lines = title + left_rows + right_rows
    for index in rng.sample(candidates, min(glued, len(candidates))):
        a = left_rows[index]
        b = by_row[round(a.y0)]
        lines = [l for l in lines if l is not a and l is not b]
        lines.append(TextLine(a.text + rng.choice(("", " ")) + b.text, (a.x0, a.y0, b.x1, a.y1), 0.97))
    blocks = []
    if with_blocks:
        blocks = [Block("title", title[0].bbox, 0.9),
                  Block("text", (left[0], min(l.y0 for l in left_rows), left[1], max(l.y1 for l in left_rows)), 0.9),
                  Block("text", (right[0], min(l.y0 for l in right_rows), right[1], max(l.y1 for l in right_rows)), 0.9)]
        if not title_in_column:
            blocks.append(Block("text", title[1].bbox, 0.9))
    rng.shuffle(lines)
    return lines, blocks, expected


def read_as(lines, expected) -> list[str]:
    """The reading order's texts, each matched to the expected text it is (a split piece may differ from
    the printed line by the one character the cut moved)."""
    from rapidfuzz.distance import Levenshtein

    out = []
    for text in lines:
        best = min(expected, key=lambda e: Levenshtein.distance(e, text))
        assert Levenshtein.distance(best, text) <= 1, (text, best)
        out.append(best)
    return out


@pytest.mark.parametrize("gutter_mm", GUTTERS_MM)
@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("with_blocks", [True, False])
def test_two_columns_with_glued_rows_are_read_column_by_column(gutter_mm, seed, with_blocks):
    lines, blocks, expected = two_column_page(mm(gutter_mm), seed, glued=2, with_blocks=with_blocks)
    ordered = [l.text for l in reading_order(lines, WIDTH, HEIGHT, blocks)]
    assert read_as(ordered, expected) == expected


@pytest.mark.parametrize("gutter_mm", GUTTERS_MM)
@pytest.mark.parametrize("seed", range(3))
def test_a_title_as_wide_as_its_column_does_not_join_the_columns(gutter_mm, seed):
    lines, blocks, expected = two_column_page(mm(gutter_mm), seed, glued=1, title_in_column=True)
    ordered = [l.text for l in reading_order(lines, WIDTH, HEIGHT, blocks)]
    assert read_as(ordered, expected) == expected


def test_a_glued_line_is_cut_at_the_gutter_at_a_question_number():
    """As the detector read it on a generated 4 mm gutter page (the space it printed dropped here)."""
    line = TextLine("1. 圆x²+y²-2x-8y+13=0的圆心到直线ax7. 在新冠肺炎疫情防控期间，某超市开", (113, 658, 1111, 692), 0.9)
    left, right = split_line(line, 608, 620)
    assert left.text == "1. 圆x²+y²-2x-8y+13=0的圆心到直线ax" and right.text == "7. 在新冠肺炎疫情防控期间，某超市开"
    assert left.bbox == (113, 658, 608, 692) and right.bbox == (620, 658, 1111, 692)


def one_column_page(seed: int, per_row: int, with_blocks: bool):
    """A centred title, questions with full-width stems and option rows 2 or 4 to a row, a question block each."""
    rng = random.Random(seed)
    lines = [box_line("高三数学模拟考试", 470, 120, 770, height=40)]
    blocks = [Block("title", lines[0].bbox, 0.9)]
    y = 220
    for q in range(1, 9):
        top = y
        stem_rows = rng.randint(1, 2)
        for row in range(stem_rows):
            lines.append(box_line((f"{q}. " if row == 0 else "") + "题" * 36, MARGIN, y, WIDTH - MARGIN - rng.randint(0, 300)))
            y += 40
        slot = (WIDTH - 2 * MARGIN - 50) / per_row
        for index, label in enumerate("ABCD"):
            column, row = index % per_row, index // per_row
            x0 = MARGIN + 50 + column * slot
            lines.append(box_line(f"{label}. {q}选项" + "项" * rng.randint(1, 5), x0, y + 40 * row, x0 + rng.randint(120, 200)))
        y += 40 * (4 // per_row) + 20
        blocks.append(Block("text", (MARGIN, top, WIDTH - MARGIN, y - 20), 0.9))
    return lines, blocks if with_blocks else []


@pytest.mark.parametrize("per_row", [2, 4])
@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("with_blocks", [True, False])
def test_one_column_pages_with_option_rows_are_not_cut(per_row, seed, with_blocks):
    lines, blocks = one_column_page(seed, per_row, with_blocks)
    expected = [l.text for l in sorted(lines, key=lambda l: (round(l.y0), l.x0))]
    shuffled = lines[:]
    random.Random(seed).shuffle(shuffled)
    assert find_gutter(lines, WIDTH, None, blocks) is None
    assert [l.text for l in reading_order(shuffled, WIDTH, HEIGHT, blocks)] == expected


@pytest.mark.parametrize("gap", [12, 16, 24])
def test_a_table_with_narrow_cell_gaps_is_read_row_by_row(gap):
    lines = [box_line("5. 下表是某班同学的成绩统计，根据表中数据回答问题，求平均分。", MARGIN, 200, WIDTH - MARGIN - 100)]
    cell = (WIDTH - 2 * MARGIN - 3 * gap) / 4
    for row in range(6):
        for column in range(4):
            x0 = MARGIN + column * (cell + gap)
            lines.append(box_line(f"格{row}{column}" + "数" * 3, x0 + 4, 260 + 40 * row, x0 + cell - 4))
    lines.append(box_line("A. 甲的平均分最高，乙的平均分最低，丙居中间位置", MARGIN + 50, 520, WIDTH - MARGIN - 200))
    blocks = [Block("text", (MARGIN, 200, WIDTH - MARGIN, 236), 0.9), Block("table", (MARGIN, 255, WIDTH - MARGIN, 500), 0.9)]
    expected = [l.text for l in lines]
    for given in (blocks, []):
        assert [l.text for l in reading_order(lines[::-1], WIDTH, HEIGHT, given)] == expected


@pytest.mark.parametrize("seed", range(3))
def test_an_a3_spread_with_two_columns_a_half_is_read_page_by_page_column_by_column(seed):
    rng = random.Random(seed)
    width, gutter = 2 * WIDTH, mm(rng.choice((5, 8, 12)))
    lines, expected = [], []
    for half, name in ((0, "甲"), (WIDTH, "乙")):
        column = (WIDTH - 2 * MARGIN - gutter) / 2
        for index in range(2):
            x0 = half + MARGIN + index * (column + gutter)
            rows = column_lines(f"{name}{index}", x0, x0 + column, 200, 30, rng)
            lines += rows
            expected += [l.text for l in rows]
    shuffled = lines[:]
    rng.shuffle(shuffled)
    assert [l.text for l in reading_order(shuffled, width, HEIGHT)] == expected


def three_column_page(gutter_px: int, seed: int, glued: int = 1, with_blocks: bool = True):
    """(lines, blocks, expected texts) of a three-column A4 page under a full-width title and notice line,
    with `glued` rows of the first column read into the second column's row (a detector's slip)."""
    rng = random.Random(seed)
    column = (WIDTH - 2 * MARGIN - 2 * gutter_px) / 3
    edges = [(MARGIN + i * (column + gutter_px), MARGIN + i * (column + gutter_px) + column) for i in range(3)]
    title = [box_line("高三年级第一次质量检测", 400, 120, 840, height=40),
             box_line("注意事项：答卷前，考生务必将自己的姓名、准考证号填写在答题卡上。", MARGIN, 200, WIDTH - MARGIN - 60)]
    columns = [column_lines(name, x0, x1, 280, rng.randint(30, 34), rng, pitch=38) for name, (x0, x1) in zip("甲乙丙", edges)]
    expected = [l.text for l in title] + [l.text for rows in columns for l in rows]
    lines = title + [l for rows in columns for l in rows]
    by_row = {round(l.y0): l for l in columns[1]}
    candidates = [i for i, l in enumerate(columns[0]) if round(l.y0) in by_row and l.x1 > edges[0][1]]
    for index in rng.sample(candidates, min(glued, len(candidates))):
        a, b = columns[0][index], by_row[round(columns[0][index].y0)]
        lines = [l for l in lines if l is not a and l is not b]
        lines.append(TextLine(a.text + " " + b.text, (a.x0, a.y0, b.x1, a.y1), 0.97))
    blocks = [Block("title", title[0].bbox, 0.9), Block("text", title[1].bbox, 0.9)] + [
        Block("text", (x0, min(l.y0 for l in rows), x1, max(l.y1 for l in rows)), 0.9)
        for (x0, x1), rows in zip(edges, columns)] if with_blocks else []
    rng.shuffle(lines)
    return lines, blocks, expected


@pytest.mark.parametrize("gutter_mm", GUTTERS_MM)
@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("with_blocks", [True, False])
def test_three_columns_are_read_column_by_column(gutter_mm, seed, with_blocks):
    lines, blocks, expected = three_column_page(mm(gutter_mm), seed, with_blocks=with_blocks)
    ordered = [l.text for l in reading_order(lines, WIDTH, HEIGHT, blocks)]
    assert read_as(ordered, expected) == expected


@pytest.mark.parametrize("gutter_mm", GUTTERS_MM)
@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("with_blocks", [True, False])
def test_the_last_page_of_a_three_column_paper_holds_a_full_and_a_short_column(gutter_mm, seed, with_blocks):
    """Two of three columns used: the second holds one question; the right margin is far beyond it."""
    rng = random.Random(seed)
    column = (WIDTH - 2 * MARGIN - 2 * mm(gutter_mm)) / 3
    first = column_lines("甲", MARGIN, MARGIN + column, 120, 36, rng, pitch=38)
    x0 = MARGIN + column + mm(gutter_mm)
    second = column_lines("乙", x0, x0 + column, 120, 4 + rng.randint(0, 3), rng, pitch=38)
    blocks = [Block("text", (MARGIN, 120, MARGIN + column, first[-1].y1), 0.9),
              Block("text", (x0, 120, x0 + column, second[-1].y1), 0.9)] if with_blocks else []
    shuffled = first + second
    rng.shuffle(shuffled)
    assert [l.text for l in reading_order(shuffled, WIDTH, HEIGHT, blocks)] == [l.text for l in first + second]


@pytest.mark.parametrize("gap", [12, 16, 24])
@pytest.mark.parametrize("columns", [3, 4, 5])
def test_a_table_of_three_to_five_columns_between_stem_lines_is_read_row_by_row(gap, columns):
    """Each cell is as wide as a column of a three-column page would hold, but the pieces between any two
    gaps are several cells wide: no three columns."""
    lines = [box_line("5. 下表是某班同学的成绩统计，根据表中数据回答问题，求平均分。", MARGIN, 200, WIDTH - MARGIN - 100)]
    cell = (WIDTH - 2 * MARGIN - (columns - 1) * gap) / columns
    for row in range(6):
        for column in range(columns):
            x0 = MARGIN + column * (cell + gap)
            lines.append(box_line(f"格{row}{column}" + "数" * 3, x0 + 4, 260 + 40 * row, x0 + cell - 4))
    lines.append(box_line("A. 甲的平均分最高，乙的平均分最低，丙居中间位置", MARGIN + 50, 520, WIDTH - MARGIN - 200))
    expected = [l.text for l in lines]
    assert [l.text for l in reading_order(lines[::-1], WIDTH, HEIGHT)] == expected


@pytest.mark.parametrize("gutter_mm", GUTTERS_MM)
@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("with_blocks", [True, False])
def test_a_row_glued_across_the_gutter_at_the_foot_of_the_columns_is_cut(gutter_mm, seed, with_blocks):
    """The last rows of both columns read as one line: nothing stands below it, column text above does."""
    rng = random.Random(seed)
    column = (WIDTH - 2 * MARGIN - mm(gutter_mm)) / 2
    left, right = (MARGIN, MARGIN + column), (MARGIN + column + mm(gutter_mm), WIDTH - MARGIN)
    left_rows, right_rows = column_lines("左", *left, 200, 33, rng), column_lines("右", *right, 200, 33, rng)
    expected = [l.text for l in left_rows + right_rows]
    a, b = left_rows[-1], right_rows[-1]  # a question's first line each: both run up to the gutter
    lines = left_rows[:-1] + right_rows[:-1] + [TextLine(a.text + " " + b.text, (a.x0, a.y0, b.x1, a.y1), 0.97)]
    blocks = [Block("text", (x0, 200, x1, rows[-2].y1), 0.9) for (x0, x1), rows in ((left, left_rows), (right, right_rows))]
    rng.shuffle(lines)
    ordered = [l.text for l in reading_order(lines, WIDTH, HEIGHT, blocks if with_blocks else [])]
    assert read_as(ordered, expected) == expected
