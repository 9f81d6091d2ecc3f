"""Reading order and page furniture on synthetic OCR lines (A4 at 150 dpi: 1240 x 1683)."""

from __future__ import annotations

import pytest

from resources.engines.base import TextLine

from ocr_assets.reading_order import drop_page_furniture, group_rows, reading_order

WIDTH, HEIGHT = 1240, 1683


def line(text: str, x0: float, y0: float, x1: float | None = None, height: float = 30) -> TextLine:
    return TextLine(text, (x0, y0, x1 if x1 is not None else x0 + 25 * len(text), y0 + height), 0.99)


def texts(lines: list[TextLine]) -> list[str]:
    return [item.text for item in lines]


def test_options_on_one_row_read_left_to_right_whatever_the_ocr_order():
    shuffled = [
        line("D. 丁项", 874, 523),
        line("1. 下列变化属于化学变化的是", 113, 464),
        line("B. 乙项", 366, 519),
        line("A. 甲项", 113, 521),
        line("C. 丙项", 620, 522),
        line("2. 下一题", 113, 570),
    ]
    ordered = reading_order(shuffled, WIDTH, HEIGHT)
    assert texts(ordered) == ["1. 下列变化属于化学变化的是", "A. 甲项", "B. 乙项", "C. 丙项", "D. 丁项", "2. 下一题"]


def test_rows_run_top_to_bottom_even_when_a_later_row_is_further_left():
    ordered = reading_order([line("第二行", 300, 100), line("第一行", 600, 50), line("第三行", 100, 150)], WIDTH, HEIGHT)
    assert texts(ordered) == ["第一行", "第二行", "第三行"]


def test_a_subscript_sitting_lower_joins_its_row():
    formula = line("2KClO", 226, 1386, 297, height=33)
    subscript = line("3", 298, 1403, 305, height=19)
    after = line("KClO+KCl", 330, 1386, 786, height=33)
    next_row = line("（1）下一行", 113, 1464, height=29)
    ordered = reading_order([after, next_row, subscript, formula], WIDTH, HEIGHT)
    assert texts(ordered) == ["2KClO", "3", "KClO+KCl", "（1）下一行"]


def test_tall_figure_debris_does_not_glue_two_rows_together():
    stem = line("6. 下图中的操作正确的是", 109, 961, 682, height=28)
    debris = line("ell", 229, 980, 344, height=194)  # a drawing read as text, spanning both rows
    options = [line("A. 操作甲", 108, 1065, 252), line("B. 操作乙", 615, 1065, 779)]
    rows = group_rows([options[1], debris, stem, options[0]])
    assert [sorted(texts(row)) for row in rows] == [["6. 下图中的操作正确的是"], ["ell"], ["A. 操作甲", "B. 操作乙"]]


def test_close_rows_with_little_overlap_stay_apart():
    upper = line("上一行文字", 113, 100, height=30)
    lower = line("下一行文字", 113, 125, height=30)  # 5 px of 30 overlap: line spacing, not a shared row
    assert [texts(row) for row in group_rows([lower, upper])] == [["上一行文字"], ["下一行文字"]]


def test_empty_page_has_no_lines():
    assert reading_order([], WIDTH, HEIGHT) == []


def test_page_numbers_and_watermarks_are_dropped():
    body = [line("1. 下列变化属于化学变化的是", 113, 464), line("A. 甲项", 113, 521)]
    furniture = [
        line("第2页 共6页", 560, 1640),
        line("化学试卷 第3页（共6页）", 500, 40),
        line("- 3 -", 600, 1645),
        line("3", 610, 20),
        line("第一试卷网 Shijuan1.Com 提供下载", 458, 1656),
        line("Shijuan1.Com", 575, 1658),
        line("提供下载", 702, 1662),
    ]
    kept = drop_page_furniture(body + furniture, WIDTH, HEIGHT)
    assert texts(kept) == texts(body)


def test_numbers_and_text_inside_the_page_are_kept():
    subscript = line("3", 298, 800, 305, height=19)
    formula = line("2KClO", 226, 790, 297)
    figure_label = line("12", 400, 900)
    generic_phrase = line("请提供下载链接", 113, 1000)  # only a footer when it sits in a margin
    lines = [subscript, formula, figure_label, generic_phrase]
    assert drop_page_furniture(lines, WIDTH, HEIGHT) == lines


def test_margin_lines_that_read_as_text_are_kept():
    last_line = line("结果保留一位小数）。", 113, 1600)  # bottom band, but a sentence end says it is question text
    top_line = line("（2）当生成O2的质量为2g时", 113, 34)
    subscript_in_top_band = line("2", 240, 40, 247, height=19)  # a lone digit next to text is not a page number
    top_formula = line("H2O", 200, 34, 238)
    lines = [last_line, top_line, subscript_in_top_band, top_formula]
    assert drop_page_furniture(lines, WIDTH, HEIGHT) == lines


def test_short_footer_in_the_bottom_band_is_dropped_but_not_above_it():
    footer = line("化学试卷（甲卷）", 500, 1650)
    above = line("化学试卷（甲卷）", 500, 1400)
    assert drop_page_furniture([footer, above], WIDTH, HEIGHT) == [above]


def _column(x0, x1, top, texts, pitch=40):
    return [TextLine(t, (x0, top + pitch * i, x1 - (i % 3) * 20, top + pitch * i + 28), 0.99) for i, t in enumerate(texts)]


def test_two_columns_under_a_full_width_title_are_read_column_by_column():
    title = [TextLine("期中考试 数学试卷（两栏）", (300, 40, 900, 80), 0.99)]
    left = _column(60, 580, 120, [f"左{i}" for i in range(8)])
    right = _column(660, 1180, 120, [f"右{i}" for i in range(8)])
    ordered = [l.text for l in reading_order(title + right + left, 1240, 1754)]
    assert ordered == ["期中考试 数学试卷（两栏）"] + [f"左{i}" for i in range(8)] + [f"右{i}" for i in range(8)]


def test_options_two_to_a_row_in_a_single_column_are_not_taken_for_columns():
    lines = []
    for q in range(4):
        top = 100 + 200 * q
        lines.append(TextLine(f"{q + 1}. 题干", (60, top, 300, top + 28), 0.99))
        lines += [TextLine(f"A{q}", (90, top + 50, 250, top + 78), 0.99), TextLine(f"B{q}", (660, top + 50, 800, top + 78), 0.99)]
        lines += [TextLine(f"C{q}", (90, top + 100, 250, top + 128), 0.99), TextLine(f"D{q}", (660, top + 100, 800, top + 128), 0.99)]
    ordered = [l.text for l in reading_order(lines, 1240, 1754)]
    assert ordered[:5] == ["1. 题干", "A0", "B0", "C0", "D0"]


def test_binding_margin_text_is_dropped():
    margin = [TextLine("封", (20, 400, 50, 440), 0.9), TextLine("姓名", (20, 600, 50, 700), 0.9)]
    body = [TextLine("1. 题目", (200, 400, 800, 440), 0.99), TextLine("2", (600, 900, 620, 930), 0.99)]
    assert drop_page_furniture(margin + body, 1240, 1754) == body


def test_running_headers_and_footers_repeated_across_pages_are_found():
    from ocr_assets.reading_order import repeated_furniture

    def page(n):
        return ([TextLine("中小学教育网 24小时咨询热线：4006 500 666", (600, 40, 1100, 70), 0.9),
                 TextLine(f"{n}. 题目正文在页面中间", (100, 800, 900, 830), 0.9),
                 TextLine(f"-共11页，当前页是第{n}页-", (500, 1700, 800, 1730), 0.9)], 1754)

    running = repeated_furniture([page(1), page(2), page(3)])
    assert "中小学教育网小时咨询热线：" in running and "-共页，当前页是第页-" in running
    assert not any("题目正文" in key for key in running)


def test_short_option_rows_at_the_foot_of_pages_are_not_running_footers():
    """"C. 1" at the bottom of one page and "C. 5" at the bottom of the next are both "C." without their
    digits; they are options, and the same label higher up must not be dropped either."""
    from ocr_assets.reading_order import repeated_furniture

    def page(n):
        return ([TextLine(f"C.{n}", (600, 1600, 680, 1640), 0.9), TextLine(f"D.{n + 1}", (900, 1600, 980, 1640), 0.9),
                 TextLine(f"A. √{n}", (160, 1580, 260, 1620), 0.9)], 1754)

    assert repeated_furniture([page(1), page(5)]) == set()


@pytest.mark.parametrize(("foot", "head"), [
    ("10. If 8x + 17 = 89, what is the value of x?", "11. If 3x + 1 = 10, what is the value of x?"),
    ("7．已知函数f(x)=2x+1，则f(3)=", "8．已知函数f(x)=5x+4，则f(2)="),
    ("12、A rectangle is 10 cm long and 7 cm wide.", "13、A rectangle is 12 cm long and 4 cm wide."),
])
def test_questions_that_differ_only_in_digits_at_a_foot_and_the_next_head_are_not_running_headers(foot, head):
    """Generated (and real drill) papers repeat a question pattern with other numbers: without its digits the
    last question of one page is the first of the next, both inside the header/footer bands."""
    from ocr_assets.reading_order import repeated_furniture

    pages = [([TextLine(foot, (113, 1549, 605, 1579), 0.9)], 1754), ([TextLine(head, (113, 121, 590, 152), 0.9)], 1754)]
    assert repeated_furniture(pages) == set()


def test_a_later_page_header_that_repeats_the_title_is_furniture():
    from ocr_assets.reading_order import is_running_header, running_titles

    first = [TextLine("高三年级第一次质量检测", (409, 126, 831, 169), 0.99), TextLine("数学", (552, 172, 688, 227), 0.99),
             TextLine("1. 已知集合A={1,2}，则", (110, 600, 900, 640), 0.99)]
    titles = running_titles(first, 1754)
    assert titles == ["高三年级第一次质量检测"]  # "数学" alone is too short to trust
    header = TextLine("高三年级第一次质量检测·数学", (480, 52, 760, 86), 0.99)
    same_words_lower = TextLine("高三年级第一次质量检测·数学", (480, 900, 760, 934), 0.99)
    assert is_running_header(header, 1754, set(), titles)
    assert not is_running_header(same_words_lower, 1754, set(), titles)  # only in the header band


def test_logo_fragments_read_differently_on_each_page_are_furniture():
    from ocr_assets.reading_order import is_running_header, repeated_furniture

    readings = ["9", "39", "g", "9"]
    pages = [([TextLine(text, (159 + n, 84 + n, 212 - n, 130), 0.6), TextLine(f"{n + 1}. 题目正文", (100, 220, 900, 250), 0.99),
               TextLine("A.3", (100, 300, 160, 330), 0.99) if n < 2 else TextLine("B.4", (400, 300, 460, 330), 0.99)], 1754)
             for n, text in enumerate(readings)]
    running = repeated_furniture(pages)
    logo_on_page_2 = pages[1][0][0]
    assert is_running_header(logo_on_page_2, 1754, running, [])
    assert not is_running_header(pages[0][0][2], 1754, running, [])  # an option at one spot on two pages is text


def test_a_figure_at_the_same_place_on_most_pages_is_a_logo():
    from ocr_assets.figures import repeated_figures

    logo, drawing = (131, 74, 390, 141), (200, 600, 500, 900)
    found = repeated_figures({1: [logo, drawing], 2: [(133, 75, 391, 140)], 3: [logo], 4: []})
    assert (1, logo) in found and (2, (133, 75, 391, 140)) in found and (1, drawing) not in found


def test_a_landscape_spread_of_short_option_rows_is_read_page_by_page():
    """A primary-school A3 spread: hardly any full-width line on either page, yet the fold splits it."""
    width, height = 3400, 2400
    left = [TextLine(f"( )%d. A. word{n}" % n, (290, 800 + 80 * n, 620, 840 + 80 * n), 0.99) for n in range(1, 6)]
    left += [TextLine(f"B. left{n}", (880, 800 + 80 * n, 1010, 840 + 80 * n), 0.99) for n in range(1, 6)]
    right = [TextLine(f"( )%d. A. item{n}" % (n + 5), (1830, 800 + 80 * n, 2150, 840 + 80 * n), 0.99) for n in range(1, 6)]
    footer = [TextLine("关注我们获取更多学习资料", (1270, 2330, 2130, 2380), 0.99)]  # one line across the fold
    order = [l.text for l in reading_order(left + right + footer, width, height)]
    assert order.index("B. left5") < order.index("( )6. A. item1")  # the whole left page first
    assert order.index("( )1. A. word1") < order.index("B. left1") < order.index("( )2. A. word2")


def test_option_columns_on_the_right_page_of_a_spread_are_not_text_columns():
    """The right page's own width decides what a full line is there, not the spread's."""
    width, height = 3400, 2400
    left = [TextLine(f"{n}. 左页题目文字很长很长很长很长很长很长很长", (200, 300 + 100 * n, 1500, 340 + 100 * n), 0.99) for n in range(1, 9)]
    heading = [TextLine("六、选出不同类的单词。（5分)", (1777, 1016, 2283, 1074), 0.99)]
    right = []
    for n, (one, two) in enumerate([("body", "stamp"), ("fine", "wow"), ("foot", "how")]):  # two items a row
        y = 772 + 80 * n
        right += [TextLine(f"( ){2 * n + 1}. {one}", (1827, y, 2066, y + 60), 0.99),
                  TextLine(f"( ){2 * n + 2}. {two}", (2503, y, 2770, y + 60), 0.99)]
    for n, (a, b, c) in enumerate([("well", "you", "I"), ("leg", "foot", "touch"), ("school", "green", "black"),
                                   ("dog", "elephant", "hand"), ("hello", "how", "hi")], start=1):
        y = 1097 + 75 * n
        right += [TextLine(f"( )%d. A. {a}" % n, (1830, y, 2100, y + 50), 0.99),
                  TextLine(f"B. {b}", (2432, y, 2560, y + 50), 0.99), TextLine(f"C. {c}", (2890, y, 3000, y + 50), 0.99)]
    order = [l.text for l in reading_order(left + heading + right, width, height)]
    assert order[order.index("( )1. A. well"):][:4] == ["( )1. A. well", "B. you", "C. I", "( )2. A. leg"]
    assert order[order.index("( )1. body"):][:3] == ["( )1. body", "( )2. stamp", "( )3. fine"]


def test_a_question_numbers_digit_read_into_the_left_column_goes_back_to_it():
    """Across a narrow gutter the detector read the 2 of "20." and "21." into the left column's rows."""
    from ocr_assets.reading_order import restore_split_numbers

    ordered = [line("19. 某公司的班车", 626, 449, 1078), line("则该球 2", 157, 692, 607), line("0.已知a=31/32", 626, 692, 1085),
               line("为 2", 157, 859, 607), line("1. sin20°cos10°=", 626, 859, 1030)]
    assert texts(restore_split_numbers(ordered)) == ["19. 某公司的班车", "则该球", "20.已知a=31/32", "为", "21. sin20°cos10°="]


def test_a_number_at_the_end_of_a_left_line_stays_where_the_numbering_does_not_ask_for_it():
    from ocr_assets.reading_order import restore_split_numbers

    ordered = [line("5. 已知", 626, 300, 1000), line("则 x = 2", 157, 692, 607), line("6. 下列函数", 626, 692, 1085),
               line("共 3", 157, 859, 607), line("．已知", 626, 859, 1030)]
    assert texts(restore_split_numbers(ordered)) == texts(ordered)


def test_a_last_column_holding_only_the_end_of_a_question_is_a_column():
    # the left column full; the right one holds only the last question's last rows, at the top
    left = [line(("13. " if row == 0 else "") + "左栏文字" * 4 + f"{row:02d}", 114, 120 + 40 * row, 585) for row in range(30)]
    right = [line("为（　）", 638, 120, 769), line("A12", 692, 160, 777), line("B. 16 C. 20 D. 24", 792, 162, 1094)]
    ordered = texts(reading_order(left + right, WIDTH, HEIGHT))
    assert ordered == texts(left) + texts(right)


def test_a_few_short_lines_right_of_a_one_column_stem_are_not_a_column():
    # one column: stems run across the whole width below the short right-hand lines
    lines = [line("1. 下列说法正确的是", 114, 120, 585), line("（　）", 638, 120, 769)]
    lines += [line("甲乙丙丁" * 10 + f"{row:02d}", 114, 160 + 40 * row, 1100) for row in range(12)]
    assert texts(reading_order(lines, WIDTH, HEIGHT)) == texts(lines)


def test_an_option_row_in_the_first_pages_top_band_is_no_title():
    # an A3 spread's columns start high: page 1's top band holds "A. 2 B. 3 C. 4 D. 6"; page 2's "A. 3 B. 6 …"
    # at its foot (digits ignored, the same key) is an option row, not the title repeated as a header
    from ocr_assets.reading_order import is_running_header, running_titles

    first = [line("高三年级期末联考", 450, 60, 800), line("A. 2 B. 3 C. 4 D. 6", 1930, 196, 2328),
             line("12. 已知集合A={1,2,3}", 1930, 120, 2328)]
    titles = running_titles(first, 1754)
    assert titles == [running_titles([first[0]], 1754)[0]]
    assert not is_running_header(line("A. 3 B. 6 C. 8 D. 10", 165, 1537, 571), 1754, set(), titles)
    assert is_running_header(line("高三年级期末联考·数学", 450, 40, 850), 1754, set(), titles)
