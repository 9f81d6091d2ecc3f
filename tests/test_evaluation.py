from ocr_assets.evaluation import cer, chinese_number, gt_options, markdown_ground_truth, normalise, score_paper, table_cer


def q(number, stem, options=(), subs=(), pages=(1,), figures=()):
    return {"number": number, "stem": stem, "options": [{"label": l, "text": t} for l, t in options],
            "sub_questions": [{"number": n, "text": t} for n, t in subs],
            "spans": [{"page": p, "bbox": [0, 0, 10, 10]} for p in pages],
            "figures": [{"page": 1, "bbox": list(b), "image": None} for b in figures]}


def test_normalise_and_cer():
    assert normalise("NH₄H₂PO₄ （ A ） ______") == "NH4H2PO4(A)"
    assert normalise("1+1/2+⋯+1/10") == normalise("1+1/2+...+1/10") == normalise("1+1/2+…+1/10")
    assert normalise("|z − z1|") == normalise("|z-z1|")  # a typeset minus sign is the typed hyphen-minus
    assert cer("abcd", "abcd") == 0.0 and cer("abxd", "abcd") == 0.25 and cer("", "") == 0.0


def test_gt_options_several_per_line_and_not_inside_sub_questions():
    text = "题干\nA. 甲   B. 乙\nC．丙  D．丁\n（1）小问\nA．戊 B．己"
    assert [(label, t.strip()) for label, t in gt_options(text)] == [("A", "甲"), ("B", "乙"), ("C", "丙"), ("D", "丁")]


def test_score_paper_counts_hits_misses_extras_options_spans_and_figures():
    gt = {"questions": [
        {"qnum": 1, "parts": [{"page": 1, "bbox": [0, 0, 1, 1], "text": "1. 下列正确的是\nA. 甲 B. 乙", "figures": [[10, 10, 110, 110]]}]},
        {"qnum": 2, "parts": [{"page": 1, "bbox": [0, 0, 1, 1], "text": "2. 计算", "figures": []},
                              {"page": 2, "bbox": [0, 0, 1, 1], "text": "（1）一", "figures": []}]},
        {"qnum": 3, "parts": [{"page": 2, "bbox": [0, 0, 1, 1], "text": "3. 漏掉的题", "figures": []}]},
    ]}
    predicted = [
        q("1", "下列正确的是", [("A", "甲"), ("B", "乙")], figures=[(12, 8, 108, 112)]),
        q("2", "计算", subs=[("(1)", "一")], pages=(1,)),  # span misses page 2
        q("7", "多出来的"),
    ]
    score = score_paper(predicted, gt)
    assert score["missing"] == ["3"] and score["extra"] == ["7"]
    assert score["f1"] == round(2 * (2 / 3) * (2 / 3) / (4 / 3), 4)
    assert score["options_exact"] == 1.0 and score["span_pages_exact"] == 0.5 and score["figures_attached"] == 1.0
    assert score["cer_median"] == 0.0
    [miss] = score["misses"]  # what `eval --details` prints: only question 2, for its pages
    assert miss["number"] == "2" and miss["span_pages"] == ([1], [1, 2]) and miss["cer"] == 0.0


def test_text_edits_say_what_is_missing_extra_or_misread():
    from ocr_assets.evaluation import text_edits

    assert text_edits("反应器2中生成的质量比", "反应器2中生成物的质量之比") == ["+物", "+之"]
    assert text_edits("O{-", "O2-") == ["{→2"]
    assert text_edits("甲乙丙24小时热线", "甲乙丙") == ["-24小时热线"]


def test_gt_options_keep_their_wrapped_lines():
    assert gt_options("题干\nA. 第一行\n接着第二行\nB. 乙") == [("A", "第一行接着第二行"), ("B", "乙")]
    # a wrapped stem line that starts with a point's name is no option: the options start again at A
    assert gt_options("直线交椭圆E于\nA、B两点.则E的方程为（ ）\nA．甲\nB．乙") == [("A", "甲"), ("B", "乙")]


def test_figure_attached_by_coverage_but_not_by_a_page_sized_box():
    from ocr_assets.evaluation import figure_attached

    gt_boxes = [(100, 100, 200, 200), (300, 100, 400, 200)]
    assert figure_attached(gt_boxes[0], gt_boxes, [(90, 90, 410, 210)])  # one crop for both pictures
    assert not figure_attached(gt_boxes[0], gt_boxes, [(150, 150, 250, 250)])  # covers a quarter
    assert not figure_attached(gt_boxes[0], gt_boxes, [(0, 0, 1240, 1754)])  # the whole page


def test_a_figure_split_into_crops_is_attached_when_the_crops_cover_it_together():
    from ocr_assets.evaluation import figure_attached

    cards = (100, 100, 420, 260)  # two element cards drawn as one embedded picture
    assert figure_attached(cards, [cards], [(105, 110, 250, 255), (270, 110, 415, 255)])
    assert not figure_attached(cards, [cards], [(105, 110, 250, 255)])  # one card is not the figure


def test_ground_truth_is_read_as_the_issue_defines_a_question():
    """Silver ground truth runs a question on through a site banner, the next questions' reading
    passage and the answer key, and counts the watermark as every page's figure."""
    from ocr_assets.evaluation import spec_ground_truth

    banner = "24 小时咨询热线：4006 500 666"
    watermark = [100, 600, 1100, 1100]
    pages = [{"page": n, "width": 1240, "height": 1754, "figures": [watermark, [200, 200, 400, 400]] if n == 1 else [watermark],
              "lines": [{"text": banner, "bbox": [400, 120, 1100, 146]}, {"text": f"正文{n}", "bbox": [100, 300, 900, 330]}]}
             for n in (1, 2, 3)]
    gt = {"pages": pages, "questions": [
        {"qnum": 10, "parts": [
            {"page": 1, "bbox": [0, 0, 1, 1], "figures": [watermark, [200, 200, 400, 400]],
             "text": f"10．概括本段的意思。{banner}\n（二）阅读下列文字，完成11～15题\n捡烂纸的老头"},
            {"page": 2, "bbox": [0, 0, 1, 1], "figures": [watermark], "text": "passage continues"}]},
        {"qnum": 26, "parts": [{"page": 3, "bbox": [0, 0, 1, 1], "figures": [watermark],
                                "text": "26．作文（60分）\n语文试题参考答案\n1．B"}]},
    ]}
    spec, changed = spec_ground_truth(gt)
    ten, twenty_six = spec["questions"]
    assert [p["text"] for p in ten["parts"]] == ["10．概括本段的意思。"]
    assert ten["parts"][0]["figures"] == [[200, 200, 400, 400]]  # its own figure stays, the watermark goes
    assert [p["text"] for p in twenty_six["parts"]] == ["26．作文（60分）"]
    assert changed == {"furniture_lines": 1, "furniture_figures": 2, "passages_cut": 1, "answer_keys_cut": 1}
    assert gt["questions"][0]["parts"][0]["text"].endswith("捡烂纸的老头")  # the input is left as it was


def test_a_table_is_scored_on_its_cells_not_on_the_text_layer_order_of_the_ground_truth():
    """The ground truth gives a table cell by cell with wrapped cells interleaved; a well-made Markdown
    table holds the same characters in another order. Its cells are compared as a bag; the text around
    it is compared in order, and a missing or misread cell still counts."""
    table = ("| 选项 | 现象 | 结论 |\n|---|---|---|\n| A | 点燃氢气时发出尖锐爆鸣声 | 氢气较纯 |\n"
             "| B | 反应前后称量结果不同 | 参加反应的反应物质量总和不等于生成物质量总和 |")
    ours = f"下列说法正确的是\n{table}A.AB.B"
    reference = ("下列说法正确的是\n选\n现象\n结论\n项\nA\n点燃氢气时发出尖\n氢气较纯\n锐爆鸣声\n反应前后称量结果\n"
                 "参加反应的反应物质量总\nB\n不同\n和不等于生成物质量总和\nA. A\nB. B")
    assert cer(ours, reference) > 0.2
    assert table_cer(ours, reference) == 0.0
    misread = ours.replace("尖锐", "尖说").replace("结果不同", "")  # one character misread, four lost
    assert table_cer(misread, reference) == 5 / len(normalise(reference))
    assert table_cer(ours.replace("下列说法正确的是", "正确的是下列说法"), reference) > 0  # order outside the table counts
    assert table_cer("no table here", "no table") == cer("no table here", "no table")


def test_markdown_ground_truth_with_latex_is_read_as_printed_questions(tmp_path):
    """MinerU's cleaned page: a title, then 第一题. … sections with LaTeX maths."""
    markdown = ("# 数学新星问题征解\n\n第十五期\n\n"
                "第一题. 设 $z_{1}, z_{2}$ 是单位复数.\n\n(王逸轩 供题)\n\n"
                "第二题. 证明: $A T^{2}=A R^{2}+A D \\cdot B C$, 且 $\\triangle P Q R$ 的周长 $\\leq 9$.\n\n"
                "第十二题. 末题.\n")
    gt = markdown_ground_truth(markdown)
    assert [q["qnum"] for q in gt["questions"]] == [1, 2, 12]
    assert [chinese_number(n) for n in ("九", "十", "二十三")] == [9, 10, 23]
    first, second = (q["parts"][0]["text"] for q in gt["questions"][:2])
    assert normalise(first) == "设z1,z2是单位复数.(王逸轩供题)"
    assert normalise(second) == "证明:AT2=AR2+AD·BC,且△PQR的周长≤9."
    ours = [q("1", "设 z1， z2 是单位复数.(王逸轩供题)"), q("2", "证明:AT2 = AR2 + AD · BC,且△PQR 的周长≤9."), q("12", "末题.")]
    score = score_paper(ours, gt)
    assert score["f1"] == 1.0 and score["cer_median"] == 0.0

    from ocr_assets.cli import _ground_truths
    (tmp_path / "gt").mkdir()
    (tmp_path / "pages").mkdir()
    (tmp_path / "gt" / "p03_page.gt.md").write_text(markdown, encoding="utf-8")
    (tmp_path / "gt" / "p99_no_page.gt.md").write_text(markdown, encoding="utf-8")  # no image: not scored
    (tmp_path / "pages" / "p03_page.png").write_bytes(b"")
    found = list(_ground_truths(tmp_path / "gt"))
    assert [(f.name, paper.name) for f, _, paper in found] == [("p03_page.gt.md", "p03_page.png")]


def test_ground_truth_option_a_typed_without_its_mark():
    from ocr_assets.evaluation import gt_options

    assert gt_options("下列属于盐的是\nA NaCl\nB. KNO3\nC. HCl\nD. NaOH") == [
        ("A", "NaCl"), ("B", "KNO3"), ("C", "HCl"), ("D", "NaOH")]
    assert gt_options("A student wrote\nthis") == []
