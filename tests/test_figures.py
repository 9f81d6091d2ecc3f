import cv2
import numpy as np

from ocr_assets.figures import find_figures, split_figure_text
from ocr_assets.pipeline import attach_figures, figure_owner
from resources.engines.base import Block, TextLine

W, H = 1240, 1754


def page_with_drawing():
    gray = np.full((H, W), 255, dtype=np.uint8)
    cv2.circle(gray, (400, 700), 90, 0, 3)  # a drawing: circle with a diagonal
    cv2.line(gray, (330, 640), (470, 760), 0, 3)
    for row in range(5):  # a table: only straight rules
        cv2.line(gray, (120, 1100 + 60 * row), (1100, 1100 + 60 * row), 0, 2)
    for col in (120, 600, 1100):
        cv2.line(gray, (col, 1100), (col, 1340), 0, 2)
    cv2.line(gray, (700, 300), (900, 300), 0, 2)  # a blank to fill in
    lines = [
        TextLine("1. 如图所示，下列说法正确的是", (120, 540, 900, 575), 0.99),
        TextLine("石油", (300, 690, 345, 715), 0.9),  # a label inside the drawing
        TextLine("A. 甲 B. 乙 C. 丙 D. 丁", (120, 820, 700, 855), 0.99),
    ]
    for i in range(4):  # ink of the text lines themselves (erased before looking for drawings)
        cv2.rectangle(gray, (120, 540 + 280 * (i % 2)), (700, 570 + 280 * (i % 2)), 0, -1)
    return gray, lines


def test_a_drawing_is_found_with_its_label_and_rules_are_not_figures():
    gray, lines = page_with_drawing()
    [figure] = find_figures(gray, lines, [], W)
    x0, y0, x1, y1 = figure
    assert x0 <= 312 and y0 <= 612 and x1 >= 488 and y1 >= 788  # the whole circle
    assert y1 < 1100  # not the table below
    body, labels = split_figure_text(lines, [figure])
    assert [l.text for l in labels] == ["石油"] and len(body) == 2


def test_a_layout_figure_block_over_body_text_is_rejected():
    lines = [TextLine(f"{i}. 一道很长的题目文字，占了大半行的宽度", (100, 100 + 50 * i, 1000, 130 + 50 * i), 0.99) for i in range(1, 6)]
    huge = Block("figure", (80, 80, 1100, 500), 0.8)
    small = Block("figure", (100, 900, 400, 1200), 0.8)
    assert find_figures(None, lines, [huge, small], W) == [small.bbox]


def test_figures_attach_to_the_question_above_and_grow_its_span():
    questions = [
        {"number": "1", "spans": [{"page": 1, "bbox": [100, 100, 900, 200]}], "figures": []},
        {"number": "2", "spans": [{"page": 1, "bbox": [100, 500, 900, 600]}], "figures": []},
    ]
    attach_figures(questions, {1: [(100, 220, 400, 450), (700, 520, 900, 700)]})
    assert [f["bbox"] for f in questions[0]["figures"]] == [[100, 220, 400, 450]]
    assert [f["bbox"] for f in questions[1]["figures"]] == [[700, 520, 900, 700]]
    assert questions[0]["spans"][0]["bbox"] == [100, 100, 900, 450]
    assert questions[1]["spans"][0]["bbox"] == [100, 500, 900, 700]


def test_a_graph_keeps_its_axes_and_a_tube_its_straight_sides():
    """Straight strokes are erased only to find drawings; a drawing's own axes come back with it."""
    gray = np.full((H, W), 255, dtype=np.uint8)
    cv2.line(gray, (200, 600), (200, 400), 0, 2)  # y axis
    cv2.line(gray, (200, 600), (450, 600), 0, 2)  # x axis
    cv2.line(gray, (200, 600), (230, 560), 0, 2)  # a short rise...
    cv2.line(gray, (230, 560), (420, 560), 0, 2)  # ...then a long flat plateau
    [figure] = find_figures(gray, [], [], W)
    x0, y0, x1, y1 = figure
    assert x0 <= 205 and y0 <= 410 and x1 >= 440 and y1 >= 595


def test_a_frame_around_body_text_is_not_given_back_to_a_drawing():
    gray = np.full((H, W), 255, dtype=np.uint8)
    cv2.rectangle(gray, (100, 100), (1000, 500), 0, 2)  # a framed reading passage
    cv2.circle(gray, (850, 420), 50, 0, 3)  # a small drawing inside the frame...
    cv2.line(gray, (900, 420), (1000, 420), 0, 2)  # ...joined to the frame by a leader line
    lines = [TextLine("阅读下面的材料，完成第一题到第三题的作答要求", (120, 150 + 60 * i, 780, 180 + 60 * i), 0.99) for i in range(3)]
    [figure] = find_figures(gray, lines, [], W)
    assert figure[0] >= 790 and figure[1] >= 360 and figure[3] <= 480  # the drawing, not the whole frame


def test_a_figure_floated_right_of_a_short_stem_belongs_to_that_stem():
    spans = [(100, 500, 980, 560),   # 1: stem and a long option row, above
             (100, 580, 860, 680)]   # 2: a short stem with the picture to its right
    assert figure_owner((900, 570, 1100, 900), spans) == 1


def test_on_a_two_column_page_a_figure_goes_to_its_own_column():
    spans = [(100, 900, 580, 1200),   # left column, level with the figure
             (640, 700, 1100, 800)]   # right column, above the figure
    assert figure_owner((900, 820, 1100, 1100), spans) == 1


def test_a_question_read_on_into_the_next_column_has_a_region_in_each():
    from ocr_assets.extraction import PageLines, extract_questions

    lines = [
        TextLine("1．下列说法正确的是", (100, 100, 560, 130), 0.99),
        TextLine("2．阅读下面的实验过程，回答", (100, 1500, 560, 1530), 0.99),
        TextLine("A．甲", (100, 1550, 300, 1580), 0.99),
        TextLine("B．乙", (640, 100, 900, 130), 0.99),  # continues at the top of the right column
        TextLine("3．计算题", (640, 200, 900, 230), 0.99),
    ]
    q1, q2, q3 = extract_questions([PageLines(1, W, H, lines)])
    assert [r.bbox for r in q2.regions] == [[100, 1500, 560, 1580], [640, 100, 900, 130]]
    assert len(q2.spans) == 1 and len(q1.regions) == 1


def test_a_figure_beside_a_stem_on_a_spread_goes_to_that_stem_not_to_the_option_row_above():
    spans = [(637, 117, 951, 157),   # the previous question's last option row, at the top of the column
             (111, 167, 845, 245),   # a stem with its flowchart floated right
             (113, 584, 1108, 696)]  # the next question, below
    assert figure_owner((889, 141, 1165, 493), spans) == 1


def test_text_beside_a_drawing_on_a_text_row_stays_text():
    """'X是 ______ ，②和③中的溶液…' under a drawing: the short 'X是' opens a sentence, it is no label,
    and the sentence that only starts beside the drawing is not swallowed by it."""
    gray = np.full((H, W), 255, dtype=np.uint8)
    cv2.rectangle(gray, (110, 1240), (190, 1310), 0, 2)  # three beakers
    cv2.line(gray, (110, 1240), (190, 1310), 0, 2)
    cv2.rectangle(gray, (280, 1240), (360, 1310), 0, 2)
    cv2.line(gray, (280, 1240), (360, 1310), 0, 2)
    lines = [
        TextLine("X是", (106, 1330, 160, 1362), 0.99),
        TextLine("，②和③中的溶液分别达到饱和状态还需加入X的质量更大的是", (215, 1332, 841, 1360), 0.99),
    ]
    figures = find_figures(gray, lines, [], W, H)
    assert all(f[3] < 1330 for f in figures)  # 'X是' did not pull the figure down onto the sentence
    body, labels = split_figure_text(lines, figures)
    assert labels == [] and body == lines


def test_the_marks_of_an_equation_row_are_not_a_figure():
    gray = np.full((H, W), 255, dtype=np.uint8)
    for x in range(330, 860, 50):  # =Δ= marks left between the OCR boxes of one equation row
        cv2.line(gray, (x, 1404), (x + 40, 1404), 0, 2)
        cv2.line(gray, (x, 1412), (x + 40, 1412), 0, 2)
        cv2.line(gray, (x + 5, 1404), (x + 20, 1372), 0, 2)  # Δ standing on the =
        cv2.line(gray, (x + 20, 1372), (x + 35, 1404), 0, 2)
    lines = [TextLine("生反应①：2KClO3", (108, 1388, 312, 1423), 0.99), TextLine("KCl+2O2↑。试计算：", (881, 1380, 1120, 1425), 0.99)]
    assert find_figures(gray, lines, [], W, H) == []


def test_artwork_above_the_first_question_of_a_paper_belongs_to_no_question():
    questions = [{"number": "1", "spans": [{"page": 1, "bbox": [100, 800, 900, 900]}], "figures": []},
                 {"number": "2", "spans": [{"page": 2, "bbox": [100, 300, 900, 400]}], "figures": []}]
    attach_figures(questions, {1: [(140, 80, 600, 160)], 2: [(100, 100, 400, 250)]})
    assert questions[0]["figures"] == []  # the title's picture on page 1
    assert [f["bbox"] for f in questions[1]["figures"]] == [[100, 100, 400, 250]]  # page 2: not the first page


def test_on_a_spread_the_title_artwork_is_above_its_own_column_not_the_right_hand_page():
    """The right-hand page of an A3 spread starts with a question at the very top; the left-hand page's
    title picture and score table stand above that page's first question only, and belong to none."""
    questions = [{"number": "1", "spans": [{"page": 1, "bbox": [280, 800, 1460, 870]}], "figures": []},
                 {"number": "2", "spans": [{"page": 1, "bbox": [1800, 150, 3000, 220]}], "figures": []}]
    attach_figures(questions, {1: [(290, 170, 1580, 440), (250, 490, 1620, 620), (1850, 240, 2100, 400)]})
    assert questions[0]["figures"] == []
    assert [f["bbox"] for f in questions[1]["figures"]] == [[1850, 240, 2100, 400]]  # under its question


def test_numbers_inside_a_chart_are_its_labels_but_option_letters_stay_text():
    """A pie chart's '17.8%', an axis' '1.0 0.8 0.6' and its t₁ read as '1. 温度/℃' are the figure's
    text; the 'B.' between picture options and a long numbered line under a loose box stay text."""
    chart = (100, 400, 1000, 800)
    lines = [
        TextLine("17.8%", (200, 500, 280, 540), 0.9),
        TextLine("1.0 0.8 0.6 0.4 0.2", (110, 420, 160, 700), 0.9),
        TextLine("1. 温度/℃", (200, 740, 320, 780), 0.9),
        TextLine("B.", (500, 600, 530, 630), 0.9),
        TextLine("2. 下列关于该图的说法正确的是哪一项呢", (120, 760, 980, 790), 0.9),
    ]
    body, labels = split_figure_text(lines, [chart])
    assert [l.text for l in labels] == ["17.8%", "1.0 0.8 0.6 0.4 0.2", "1. 温度/℃"]
    assert [l.text for l in body] == ["B.", "2. 下列关于该图的说法正确的是哪一项呢"]


def test_a_flowchart_label_level_with_an_option_far_to_its_left_is_still_the_flowchart_s():
    """'输入N' sits over the flowchart, level with 'D. 5/6' of the options to its left: it is a label of
    the drawing, not the rest of the option's row (that would stand right of the drawing)."""
    gray = np.full((H, W), 255, dtype=np.uint8)
    cv2.circle(gray, (900, 800), 80, 0, 3)
    cv2.line(gray, (830, 740), (970, 860), 0, 3)
    lines = [
        TextLine("D. 5/6", (300, 680, 390, 715), 0.99),
        TextLine("输入N", (860, 675, 945, 712), 0.99),
    ]
    [figure] = find_figures(gray, lines, [], W, H)
    assert figure[1] <= 675  # grown over its label
    body, labels = split_figure_text(lines, [figure])
    assert [l.text for l in body] == ["D. 5/6"] and [l.text for l in labels] == ["输入N"]


def test_a_qr_code_is_no_question_s_figure_but_a_pie_chart_is():
    """扫码听录音: a printed QR code decodes to a link. A chart's circles and corners look a little like
    its finder patterns, but they decode to nothing."""
    from ocr_assets.figures import is_qr_code

    gray = np.full((H, W), 255, dtype=np.uint8)
    code = cv2.QRCodeEncoder.create().encode("http://example.com/listen")
    code = cv2.resize(code, (code.shape[1] * 6, code.shape[0] * 6), interpolation=cv2.INTER_NEAREST)
    gray[300: 300 + code.shape[0], 900: 900 + code.shape[1]] = code
    for centre in ((250, 900), (550, 900)):  # two pie charts
        cv2.circle(gray, centre, 90, 0, 3)
        cv2.line(gray, centre, (centre[0], centre[1] - 90), 0, 3)
        cv2.line(gray, centre, (centre[0] + 80, centre[1] + 40), 0, 3)
    assert is_qr_code(gray, (900, 300, 900 + code.shape[1], 300 + code.shape[0]))
    assert not is_qr_code(gray, (150, 800, 650, 1000))


def test_a_diagram_of_the_printed_answer_goes_to_no_question():
    """A paper printed with its answers: the diagram under 【解析】 belongs to the worked answer, the one
    beside the stem to the question."""
    from ocr_assets.extraction import PageLines, extract_questions

    texts = [("4. 如图，求圆的面积，则", (100, 100, 700, 130)), ("A. 1 B. 2 C. 3 D. 4", (100, 150, 700, 180)),
             ("【答案】A【解析】如图，取AB中点C，连接OC，", (100, 200, 900, 230)), ("则圆的面积为π.", (100, 240, 500, 270)),
             ("5. 下一题的题干", (100, 600, 700, 630))]
    [q4, q5] = extract_questions([PageLines(1, 1240, 1754, [TextLine(t, b, 0.99) for t, b in texts])])
    assert [(r.page, r.bbox) for r in q4.solution_regions] == [(1, [100, 200, 900, 270])]
    questions = [q.to_dict() for q in (q4, q5)]
    stem_figure, answer_figure = (760, 90, 1000, 190), (120, 290, 400, 560)
    attach_figures(questions, {1: [stem_figure, answer_figure]},
                   [[(r.page, r.bbox) for r in q.regions] for q in (q4, q5)],
                   [[(r.page, r.bbox) for r in q.solution_regions] for q in (q4, q5)])
    assert [f["bbox"] for f in questions[0]["figures"]] == [list(stem_figure)]
    assert questions[1]["figures"] == []


def test_option_a_typed_without_its_mark_under_a_drawing_stays_text():
    gray = np.full((700, 1240), 255, np.uint8)
    cv2.rectangle(gray, (160, 300), (540, 560), 0, 3)  # a drawing between the stem and the options
    cv2.line(gray, (160, 300), (540, 560), 0, 3)
    lines = [TextLine("9. 图中小球的个数约为（　）", (113, 240, 560, 275), 0.99),
             TextLine("A 12个", (153, 566, 256, 600), 0.99), TextLine("B.15个", (369, 568, 476, 600), 0.99),
             TextLine("C.18个", (153, 608, 264, 640), 0.99), TextLine("D.21个", (367, 608, 480, 640), 0.99)]
    figures = find_figures(gray, lines, [], 1240, 700)
    body, labels = split_figure_text(lines, figures)
    assert [l.text for l in body] == [l.text for l in lines] and not labels
    # and inside a figure box that already covers it (a layout block down to the options)
    body, labels = split_figure_text(lines, [(144, 290, 565, 602)])
    assert "A 12个" in [l.text for l in body]


def test_a_paragraphs_short_last_line_over_a_drawing_stays_text():
    # "的值为（" ends the stem right above its drawing: short, but under a long line at its indent
    gray = np.full((700, 1240), 255, np.uint8)
    cv2.rectangle(gray, (660, 395), (1015, 610), 0, 3)
    cv2.line(gray, (660, 395), (1015, 610), 0, 3)
    lines = [TextLine("40. 如图，方格纸上每个小方格的边长为1，", (638, 277, 1098, 319), 0.99),
             TextLine("图中的粗线围成一个多边形，求该多边形面", (641, 319, 1098, 353), 0.99),
             TextLine("积的值为（", (641, 355, 855, 391), 0.99)]
    figures = find_figures(gray, lines, [Block("figure", (659, 392, 1018, 613), 0.9)], 1240, 700)
    body, labels = split_figure_text(lines, figures)
    assert body == lines and not labels and all(f[1] > 391 for f in figures)
