"""The synthetic-paper generator: LaTeX flattening, and ground truth that agrees with itself and its pages."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ocr_assets.evaluation import QUESTION_PREFIX, gt_options
from ocr_assets.sample_paper import FontNotFoundError, find_cjk_font
from ocr_assets.synth import (
    ANSWER_BRACKET,
    DEFAULT_FIGURES_DIR,
    DEFAULT_QUESTION_FILE,
    Unflattenable,
    flatten,
    generate,
    parse_choice_question,
)


@pytest.mark.parametrize(
    ("latex", "plain"),
    [
        ("$\\frac{1}{4}$", "1/4"),
        ("$\\frac{A+B}{2}$", "(A+B)/2"),
        ("$x^{2}-2 x-3 \\geqslant 0$", "x²-2x-3≥0"),
        ("$2^{x}+2^{-x}$", "2^x+2^(-x)"),
        ("$\\sqrt{3}+i$", "√3+i"),
        ("$z \\cdot \\bar$", None),  # \bar has no plain form: the question is skipped
        ("已知集合 $A=\\{x \\mid x<1\\}$, 则 $A \\cap B=(\\quad)$", f"已知集合A={{x|x<1}}，则A∩B={ANSWER_BRACKET}"),
        ("$a_{n+1}$", None),
        ("$\\sin 20^{\\circ}$", "sin20°"),
    ],
)
def test_flatten(latex: str, plain: str | None) -> None:
    if plain is None:
        with pytest.raises(Unflattenable):
            flatten(latex)
    else:
        assert flatten(latex) == plain


def test_parse_choice_question_inline_and_multiline_options() -> None:
    multiline = "3. (5 分) 曲线 $y=\\frac{x}{x+2}$ 在点 $(-1,-1)$ 处的切线方程为（ $）$\nA. $y=2 x+1$\nB. $y=2 x-1$\nC. 1\nD. 2\n"
    item = parse_choice_question(multiline)
    assert item.stem == f"曲线y=x/(x+2)在点(-1,-1)处的切线方程为{ANSWER_BRACKET}"
    assert item.options == ("y=2x+1", "y=2x-1", "1", "2")
    inline = "7. (5 分) 输入 $\\mathrm{N}=5$, 则输出的数等于 ( )A. $\\frac{5}{4}$B. $\\frac{4}{5}$C. $A, B$D. 6"
    assert parse_choice_question(inline).options == ("5/4", "4/5", "A,B", "6")


@pytest.fixture(scope="module")
def synth_set(tmp_path_factory) -> list[dict]:
    if not DEFAULT_QUESTION_FILE.is_file() or not DEFAULT_FIGURES_DIR.is_dir():
        pytest.skip(f"evaluation question text absent: {DEFAULT_QUESTION_FILE.parents[1]} (lives in ../shared, never in the repo)")
    try:
        find_cjk_font()
    except FontNotFoundError as error:
        pytest.skip(f"cannot draw Chinese pages here: {error}")
    out_dir = tmp_path_factory.mktemp("synth")
    paths = generate(out_dir, n_papers=2, seed=3)
    return [{"path": path, "root": out_dir, **json.loads(path.read_text(encoding="utf-8"))} for path in paths]


def _inside(box: list[int], width: int, height: int) -> bool:
    x0, y0, x1, y1 = box
    return 0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height


def test_ground_truth_is_self_consistent(synth_set: list[dict]) -> None:
    assert len(synth_set) == 2
    for gt in synth_set:
        name = gt["path"].name
        paper_dir = gt["root"] / gt["source_pdf"]
        images = sorted(paper_dir.glob("page-*"))
        assert 2 <= len(gt["pages"]) <= 4 and len(images) == len(gt["pages"]), name
        sizes = {}
        for page, image_path in zip(gt["pages"], images):
            with Image.open(image_path) as image:
                assert image.size == (page["width"], page["height"]), image_path
            sizes[page["page"]] = (page["width"], page["height"])
            for line in page["lines"]:
                assert line["text"] == line["text"].strip() and line["text"], (name, line)
                assert _inside(line["bbox"], *image.size), (name, line)
            for box in page["figures"]:
                assert _inside(box, *image.size), (name, box)

        questions = gt["questions"]
        assert [q["qnum"] for q in questions] == list(range(1, len(questions) + 1)), name
        starts = [line["qnum"] for page in gt["pages"] for line in page["lines"] if line.get("kind") == "question_start"]
        assert starts == list(range(1, len(questions) + 1)), name
        for question in questions:
            parts = question["parts"]
            assert [p["page"] for p in parts] == sorted({p["page"] for p in parts}), (name, question["qnum"])
            page_lines = {p["page"]: [line["text"] for line in p["lines"]] for p in gt["pages"]}
            for part in parts:
                assert _inside(part["bbox"], *sizes[part["page"]]), (name, question["qnum"], part)
                for box in part["figures"]:
                    assert box in next(p["figures"] for p in gt["pages"] if p["page"] == part["page"])
                for text in part["text"].splitlines():  # every line of the part is a drawn line of its page
                    assert text in page_lines[part["page"]], (name, question["qnum"], text)
            text = "\n".join(part["text"] for part in parts)
            assert QUESTION_PREFIX.match(text) and text.startswith(str(question["qnum"])), (name, text[:20])
            body = QUESTION_PREFIX.sub("", text, count=1)
            assert [label for label, _ in gt_options(body)] == ["A", "B", "C", "D"], (name, question["qnum"])


def test_generation_is_deterministic_and_varied(synth_set: list[dict], tmp_path: Path) -> None:
    (path,) = generate(tmp_path, n_papers=1, seed=3)  # paper 1 of a set does not depend on the set's size
    again = json.loads(path.read_text(encoding="utf-8"))
    assert {k: v for k, v in synth_set[0].items() if k not in ("path", "root")} == again
    notes = " ".join(gt["note"] for gt in synth_set)
    assert len({gt["source_pdf"] for gt in synth_set}) == 2
    assert "layout" in notes and "exact" in notes


# ---- layout families ---------------------------------------------------------------------------------------
from ocr_assets.synth import (  # noqa: E402
    FAMILIES,
    SUB,
    SUP,
    _ExamWriter,
    english_items,
    family_style,
    flatten_math,
    plain_text,
    to_traditional,
)


def _need_data() -> None:
    if not DEFAULT_QUESTION_FILE.is_file() or not DEFAULT_FIGURES_DIR.is_dir():
        pytest.skip(f"evaluation question text absent: {DEFAULT_QUESTION_FILE.parents[1]} (lives in ../shared, never in the repo)")
    try:
        find_cjk_font()
    except FontNotFoundError as error:
        pytest.skip(f"cannot draw Chinese pages here: {error}")


def test_rich_flattening_marks_scripts_and_reads_as_written() -> None:
    assert flatten_math("S_{n}", rich=True) == f"S{SUB}n{END_MARK}"
    assert flatten_math("a_{n+1}+x^{2}", rich=True) == f"a{SUB}n+1{END_MARK}+x{SUP}2{END_MARK}"
    assert plain_text(flatten_math("a_{n+1}+x^{2}", rich=True)) == "an+1+x2"
    assert flatten_math("20^{\\circ}", rich=True) == "20°"  # a degree sign is not a superscript run


END_MARK = "\x03"


def test_scripts_are_drawn_smaller_and_shifted_and_letters_italic() -> None:
    _need_data()
    from ocr_assets.sample_paper import find_cjk_bold_font

    body = find_cjk_font()
    writer = _ExamWriter(family_style("formulas", 0, 0), body, find_cjk_bold_font(body))
    runs = writer._runs(f"已知S{SUB}n{END_MARK}=x{SUP}2{END_MARK}，A．1", writer.font)
    by_text = {text: (font, shift) for text, font, shift in runs}
    assert by_text["n"][0].size < writer.font.size and by_text["n"][1] > 0  # lowered
    assert by_text["2"][0].size < writer.font.size and by_text["2"][1] < 0  # raised
    assert writer.italic_font is not None and by_text["S"][0] is writer.italic_font
    assert all(font is writer.font for text, font, _ in runs if "A" in text)  # an option label stays upright


def test_family_styles_cover_what_they_promise() -> None:
    gutters = {family_style("gutter", seed, 0).gutter_px for seed in range(8)}
    assert min(gutters) == round(4 / 25.4 * 150) and max(gutters) == round(20 / 25.4 * 150)
    assert {family_style("columns", seed, 0).columns for seed in range(3)} == {1, 2, 3}
    a3 = family_style("a3_columns", 5, 1)
    assert a3.layout == "a3_spread" and a3.columns == 2
    assert family_style("gutter", 4, 2) == family_style("gutter", 4, 2)  # a function of (family, seed, index)
    with pytest.raises(ValueError, match="unknown layout family"):
        family_style("nope", 0, 0)
    assert to_traditional("数学试题") == "數學試題"


def test_english_items_know_their_answers() -> None:
    import random

    for item in english_items(random.Random(1), 12):
        assert item.stem.replace("²", "").isascii() and item.answer in "ABCD" and len(set(item.options)) == 4
        right = item.options["ABCD".index(item.answer)]
        assert right in item.analysis


@pytest.fixture(scope="module")
def family_papers(tmp_path_factory) -> dict[str, dict]:
    _need_data()
    out = tmp_path_factory.mktemp("families")
    papers = {}
    for family in ("key_middle", "inline_options", "answer_sheet", "section_restart"):
        (path,) = generate(out / family, n_papers=1, seed=2, family=family)
        papers[family] = json.loads(path.read_text(encoding="utf-8"))
    return papers


def _lines(gt: dict) -> list[dict]:
    return [line | {"page": page["page"]} for page in gt["pages"] for line in page["lines"]]


def test_a_key_in_the_middle_is_followed_by_more_questions(family_papers) -> None:
    gt = family_papers["key_middle"]
    lines = _lines(gt)
    kinds = [line.get("kind") for line in lines]
    first_key = kinds.index("answer_key")
    part_two = kinds.index("part")
    assert first_key < part_two and lines[part_two]["text"] in ("附加题", "第Ⅱ卷")
    starts = [line["qnum"] for line in lines if line.get("kind") == "question_start"]
    after = [line["qnum"] for line in lines[part_two:] if line.get("kind") == "question_start"]
    assert starts == list(range(1, len(starts) + 1)) and after and after[0] > 1  # numbers continue after the key
    part_one = [q for q in gt["questions"] if q["section"] == 1]
    assert all(q["answer"] for q in part_one)  # the key printed them
    key_text = {line["text"] for line in lines if line.get("kind") == "answer_key"}
    for q in gt["questions"]:
        assert not any(text in key_text for part in q["parts"] for text in part["text"].splitlines())


def test_inline_options_run_on_mid_line_in_traditional_chinese(family_papers) -> None:
    gt = family_papers["inline_options"]
    mid_line = 0
    for q in gt["questions"]:
        assert [o["label"] for o in q["options"]] == list("ABCDE")
        text = "".join(part["text"].replace("\n", "") for part in q["parts"])
        assert all(f"({o['label']}){o['text']}" in text for o in q["options"]), text
        mid_line += any(re.search(r"\S.*\(B\)", line) for part in q["parts"] for line in part["text"].splitlines())
    assert mid_line >= len(gt["questions"]) // 2
    assert any("數" in line["text"] for line in _lines(gt))


def test_an_answer_sheet_page_holds_no_question(family_papers) -> None:
    gt = family_papers["answer_sheet"]
    last = gt["pages"][-1]["page"]
    furniture = [line for line in gt["pages"][-1]["lines"] if line.get("kind") != "answer_sheet"]
    assert len(furniture) <= 2  # a running header and the footer
    assert not any(part["page"] == last for q in gt["questions"] for part in q["parts"])
    numbers = [line["text"] for line in gt["pages"][-1]["lines"] if line["text"].isdigit()]
    assert numbers == [str(n) for n in range(1, len(gt["questions"]) + 1)]


def test_sections_restart_their_numbers(family_papers) -> None:
    gt = family_papers["section_restart"]
    by_section: dict[int, list[int]] = {}
    for q in gt["questions"]:
        by_section.setdefault(q["section"], []).append(q["qnum"])
    assert len(by_section) == 3 and all(numbers == list(range(1, len(numbers) + 1)) for numbers in by_section.values())


def test_every_family_is_listed_with_a_description() -> None:
    assert len(FAMILIES) >= 14 and all(FAMILIES.values())


def test_a_narrow_gutter_page_is_read_column_by_column_by_the_real_engine(tmp_path) -> None:
    """One rendered page (4 mm gutter, tuning seed 0) through the real pipeline: its detector glues rows
    across the gutter; every question of the page is still found with its options."""
    _need_data()
    from resources.hardware import derive_params, detect_hardware
    from resources.ocr_engine import EngineSpec, get_worker

    from ocr_assets.pipeline import extract_paper

    (path,) = generate(tmp_path / "paper", n_papers=1, seed=0, family="gutter")
    gt = json.loads(path.read_text(encoding="utf-8"))
    assert gt["style"]["gutter_px"] == round(4 / 25.4 * 150)
    page_one = tmp_path / "page_one"
    page_one.mkdir()
    source = tmp_path / "paper" / gt["source_pdf"]
    (source / "page-01.png").rename(page_one / "page-01.png")
    doc, _, _ = extract_paper(page_one, "gutter", get_worker(EngineSpec()), derive_params(detect_hardware(), env={}),
                              tmp_path / "work", 150)
    wanted = [str(q["qnum"]) for q in gt["questions"] if [p["page"] for p in q["parts"]] == [1]]
    found = {q["number"]: q for q in doc["questions"]}
    assert len(wanted) >= 8 and all(number in found for number in wanted), (wanted, list(found))
    with_options = [n for n in wanted if [o["label"] for o in found[n]["options"]] == ["A", "B", "C", "D"]]
    assert len(with_options) >= len(wanted) - 1


def test_equation_pages_draw_their_rows_and_formulas_inside_the_page():
    from ocr_assets.synth import SERIF_CANDIDATES, equation_page

    if not any(Path(p).is_file() for p in SERIF_CANDIDATES):
        pytest.skip("no serif Latin font (fonts-liberation)")
    image, rows = equation_page(3, dpi=150)
    assert len(rows) >= 5
    ink = np.asarray(image) < 128
    for row in rows:
        assert row.formulas and all(read in row.text for read, _ in row.formulas)
        for _, (x0, y0, x1, y1) in row.formulas:
            assert 0 <= x0 < x1 <= image.width and ink[int(y0):int(y1), int(x0):int(x1)].any()
    assert any("₂" in row.text for row in rows)  # subscripts read as Unicode, the stacked conditions left out
    assert not any("Δ" in row.text or "点燃" in row.text for row in rows)
