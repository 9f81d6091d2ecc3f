"""Small generated maths pages for the ink and formula-line tests: Chinese stems with italic Latin
letters, subscripts drawn smaller and lowered, superscripts smaller and raised (as a typeset paper
prints them). Rows are given as runs: plain text, ("i", "S") italic, ("_", "n") subscript,
("^", "2") superscript."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from ocr_assets.sample_paper import find_cjk_font

ITALIC_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif-Italic.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSerif-Italic.ttf",
    "/usr/share/fonts/truetype/liberation2/LiberationSerif-Italic.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSerifCondensed-Italic.ttf",
)

Run = str | tuple[str, str]

STEMS: tuple[tuple[Run, ...], ...] = (
    ("记", ("i", "S"), ("_", "n"), "为数列{", ("i", "a"), ("_", "n"), "}的前", ("i", "n"), "项和，若",
     ("i", "S"), ("_", "3"), "=9，则", ("i", "a"), ("_", "2"), "="),
    ("已知", ("i", "x"), ("^", "2"), "+", ("i", "y"), ("^", "2"), "=4，求", ("i", "x"), "+", ("i", "y"), "的最大值。"),
    ("若", ("i", "S"), ("_", "2"), "=2，", ("i", "S"), ("_", "4"), "=6，则", ("i", "a"), ("_", "5"), "+",
     ("i", "a"), ("_", "6"), "="),
    ("设函数", ("i", "f"), "(", ("i", "x"), ")=", ("i", "x"), ("^", "3"), "−3", ("i", "x"), "，则", ("i", "f"),
     "(2)的值为"),
    ("等比数列中", ("i", "b"), ("_", "1"), "=1，", ("i", "b"), ("_", "4"), "=8，求公比", ("i", "q"), "。"),
    ("在△ABC中，", ("i", "c"), ("^", "2"), "=", ("i", "a"), ("^", "2"), "+", ("i", "b"), ("^", "2"), "，则角C为"),
)

PLAIN_ROWS = ("一、选择题：本题共8小题，每小题5分，共40分。", "二、填空题：本题共4小题，每小题5分。", "三、解答题：解答应写出文字说明。")


@dataclass
class FormulaPage:
    image: Image.Image
    rows: list[tuple[str, tuple[float, float, float, float]]]  # flattened text, row box
    script_boxes: list[tuple[float, float, float, float]]  # where each sub/superscript was drawn
    formula_boxes: list[tuple[float, float, float, float]]  # each run of italic letters with their scripts


def italic_font_path() -> str | None:
    return next((p for p in ITALIC_CANDIDATES if Path(p).is_file()), None)


def flat_text(runs: tuple[Run, ...]) -> str:
    return "".join(run if isinstance(run, str) else run[1] for run in runs)


def render_formula_page(seed: int, rows: int = 8, body_px: int = 26, size=(1240, 1754)) -> FormulaPage:
    """An A4 page at 150 dpi: numbered stems from STEMS (in a seeded order) between plain rows."""
    rng = random.Random(seed)
    cjk = find_cjk_font().load(body_px)
    italic = ImageFont.truetype(italic_font_path(), body_px)
    script = ImageFont.truetype(italic_font_path(), round(body_px * 0.62))
    script_upright = find_cjk_font().load(round(body_px * 0.62))
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    left, y = 110, 140
    pitch = round(body_px * rng.uniform(1.9, 2.4))
    out_rows, scripts, formulas = [], [], []
    stems = list(STEMS)
    rng.shuffle(stems)
    for index in range(rows):
        if index % 3 == 0:
            runs: tuple[Run, ...] = (PLAIN_ROWS[(index // 3) % len(PLAIN_ROWS)],)
        else:
            runs = (f"{index}．",) + stems[index % len(stems)]
        x = left
        formula: list[float] | None = None
        for run in runs:
            if isinstance(run, str):
                if formula is not None:
                    formulas.append(tuple(formula))
                    formula = None
                draw.text((x, y), run, font=cjk, fill="black")
                x += draw.textlength(run, font=cjk)
                continue
            kind, text = run
            font = italic if kind == "i" else script if text.isalpha() else script_upright
            dy = body_px * 0.08 if kind == "i" else body_px * 0.55 if kind == "_" else -body_px * 0.22
            b = draw.textbbox((x, y + dy), text, font=font)
            formula = list(b) if formula is None else [min(formula[0], b[0]), min(formula[1], b[1]),
                                                       max(formula[2], b[2]), max(formula[3], b[3])]
            if kind == "i":
                draw.text((x, y + body_px * 0.08), text, font=italic, fill="black")
                x += draw.textlength(text, font=italic) + 1
            else:
                font = script if text.isalpha() else script_upright
                dy = body_px * 0.55 if kind == "_" else -body_px * 0.22
                box = draw.textbbox((x, y + dy), text, font=font)
                draw.text((x, y + dy), text, font=font, fill="black")
                scripts.append(tuple(float(v) for v in box))
                x += draw.textlength(text, font=font) + 1
        if formula is not None:
            formulas.append(tuple(formula))
        out_rows.append((flat_text(runs), (float(left), float(y), float(x), float(y + body_px * 1.2))))
        y += pitch
    return FormulaPage(image, out_rows, scripts, [tuple(float(v) for v in f) for f in formulas])
