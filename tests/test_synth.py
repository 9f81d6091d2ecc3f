"""The synthetic-paper generator: LaTeX flattening, and ground truth that agrees with itself and its pages."""

from __future__ import annotations

import json
from pathlib import Path

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
