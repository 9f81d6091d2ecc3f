import cv2
import numpy as np

from ocr_assets.tables import find_tables, replace_table_lines
from resources.engines.base import TextLine


def grid_page():
    gray = np.full((800, 1240), 255, dtype=np.uint8)
    for y in (200, 260, 320):
        cv2.line(gray, (100, y), (900, y), 0, 2)
    for x in (100, 300, 900):
        cv2.line(gray, (x, 200), (x, 320), 0, 2)
    cv2.rectangle(gray, (100, 500), (400, 560), 0, 2)  # a single ruled box: not a table
    lines = [
        TextLine("选项", (120, 215, 200, 245), 0.99), TextLine("实验目的", (320, 215, 500, 245), 0.99),
        TextLine("A", (120, 275, 140, 305), 0.99), TextLine("除去盐酸中的少量硫酸", (320, 275, 700, 305), 0.99),
        TextLine("类别：弱酸性饮料", (120, 515, 380, 545), 0.99),
        TextLine("1. 下列实验方案中，能达到目的的是", (100, 100, 800, 130), 0.99),
    ]
    return gray, lines


def test_a_ruled_grid_becomes_one_markdown_table_where_it_stands():
    gray, lines = grid_page()
    [table] = find_tables(gray, lines)
    assert table.rows == [["选项", "实验目的"], ["A", "除去盐酸中的少量硫酸"]]
    assert table.markdown() == "| 选项 | 实验目的 |\n|---|---|\n| A | 除去盐酸中的少量硫酸 |"
    kept = replace_table_lines(lines, [table])
    assert [l.text for l in kept] == ["类别：弱酸性饮料", "1. 下列实验方案中，能达到目的的是", table.markdown()]
    assert kept[-1].bbox[1] <= 200 and kept[-1].bbox[3] >= 320


def test_a_page_border_around_ruled_answer_lines_is_not_a_table():
    """A scanned worksheet: the page's border and the long answer rules form a 'grid' whose text all
    sits in one column. It is not a table (it would swallow every question on the page)."""
    gray = np.full((1754, 1240), 255, dtype=np.uint8)
    cv2.rectangle(gray, (20, 20), (1220, 1734), 0, 3)
    for y in range(200, 1600, 200):
        cv2.line(gray, (20, y), (1220, y), 0, 2)
    cv2.line(gray, (1100, 20), (1100, 1734), 0, 2)  # a ruled margin down the right
    lines = [TextLine(f"{37 + i}. 一想到那些濒危动物我就很伤心。", (80, 120 + 200 * i, 700, 160 + 200 * i), 0.99) for i in range(7)]
    assert find_tables(gray, lines) == []


def test_a_graph_in_a_cell_keeps_its_axis_labels_out_of_the_cell_text():
    """A row of 图像 holds graphs: each graph is a figure, its axis names are not the cell's text."""
    gray, lines = grid_page()
    graph = (320, 262, 600, 318)  # drawn in the second cell of the second row
    lines[3] = TextLine("除去盐酸中的少量硫酸", (620, 275, 890, 305), 0.99)
    lines += [TextLine("氢气的体积/L", (330, 265, 450, 280), 0.9), TextLine("t/s", (560, 300, 595, 316), 0.9)]
    [table] = find_tables(gray, lines, [graph])
    assert table.rows == [["选项", "实验目的"], ["A", "除去盐酸中的少量硫酸"]]
    [whole] = find_tables(gray, lines, [(90, 190, 910, 330)])  # a figure box over the whole table takes nothing
    assert whole.rows[1] == ["A", "氢气的体积/L除去盐酸中的少量硫酸t/s"]


def test_a_cell_reads_row_by_row_left_to_right_with_its_blank():
    """'有 ______ 产生' in one cell: the words and the blank between them, in that order, even when the
    blank's box starts higher than the word after it and lower than the word before."""
    gray, lines = grid_page()
    lines[3] = TextLine("产生", (520, 279, 600, 307), 0.99)
    lines += [TextLine("有", (320, 276, 350, 306), 0.99), TextLine("______", (360, 274, 510, 304), 1.0),
              TextLine("（写化学式）", (600, 281, 700, 309), 0.99)]
    [table] = find_tables(gray, lines)
    assert table.rows[1] == ["A", "有______产生（写化学式）"]
