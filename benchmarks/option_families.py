"""Figures for the generated families the option and blank rules are proved on (tests/test_extraction.py,
tests/test_blanks.py): share of questions whose options are segmented exactly, share of fill-in rows whose
blanks are all found and placed, on the tuning seeds and on the held-out seeds.

    .venv/bin/python benchmarks/option_families.py            # the pure functions over generated lines
    .venv/bin/python benchmarks/option_families.py --engine   # also: held-out sections drawn in a TC font, read by RapidOCR

With --engine an option counts as segmented when its label is right and its text at least 80 % alike
(the engine misreads Fe3O4 as Fe304 now and then); exact text is reported beside it.
"""

from __future__ import annotations

import argparse
import difflib
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.test_blanks import HELD_OUT_SEEDS, TUNING_SEEDS, _blank_outcome  # noqa: E402
from tests.test_extraction import (  # noqa: E402
    OPTION_HELD_OUT_SEEDS,
    OPTION_TUNING_SEEDS,
    _squeeze,
    extract,
    taiwan_choice_section,
)


def _same_options(want: dict, options: list[tuple[str, str]]) -> tuple[bool, bool]:
    """(segmented, exact): labels equal and texts alike; labels and texts equal."""
    expected = [(label, _squeeze(text).replace("（", "(").replace("）", ")")) for label, text in want["options"]]
    got = [(label, _squeeze(text).replace("（", "(").replace("）", ")")) for label, text in options]
    segmented = [l for l, _ in expected] == [l for l, _ in got] and all(
        difflib.SequenceMatcher(None, a, b).ratio() >= 0.8 for (_, a), (_, b) in zip(expected, got))
    return segmented, expected == got


def lines_figures() -> None:
    for name, seeds in (("tuning", OPTION_TUNING_SEEDS), ("held-out", OPTION_HELD_OUT_SEEDS)):
        total = exact = typed = 0
        for seed in seeds:
            lines, expected = taiwan_choice_section(seed)
            found = {q.number: q for q in extract(lines)}
            for want in expected:
                q = found.get(want["number"])
                total += 1
                ok = q is not None and _same_options(want, [(o.label, o.text) for o in q.options])[1]
                exact += ok
                typed += q is not None and (q.type, q.score) == (want["type"], want["score"])
        print(f"inline options, {name} seeds {seeds.start}-{seeds.stop - 1}: {total} questions, options exactly "
              f"segmented {exact / total:.3f}, type and score right {typed / total:.3f}")
    for name, seeds in (("tuning", TUNING_SEEDS), ("held-out", HELD_OUT_SEEDS)):
        outcomes = [_blank_outcome(seed) for seed in seeds]
        print(f"fill-in pages, {name} seeds {seeds.start}-{seeds.stop - 1}: every blank found and nothing else "
              f"{sum(o[0] for o in outcomes) / len(outcomes):.3f}, blanks placed in their lines "
              f"{sum(o[1] for o in outcomes) / len(outcomes):.3f}")


def engine_figures() -> None:
    from PIL import Image, ImageDraw, ImageFont

    from ocr_assets.pipeline import extract_paper
    from ocr_assets.sample_paper import CJK_FONT_CANDIDATES
    from resources.hardware import derive_params, detect_hardware
    from resources.ocr_engine import EngineSpec, get_worker

    font = None
    for path in CJK_FONT_CANDIDATES:
        for index in range(16):
            try:
                face = ImageFont.truetype(path, 31, index=index)
            except OSError:
                break
            if face.getname()[0].endswith(" TC"):
                font = face
                break
        if font:
            break
    if font is None:
        print("no traditional-Chinese (TC) face of a Noto CJK font found; install fonts-noto-cjk")
        return
    worker, params = get_worker(EngineSpec()), derive_params(detect_hardware(), env={})
    root = Path(tempfile.mkdtemp(prefix="option-families-"))
    total = segmented = exact = typed = 0
    for seed in OPTION_HELD_OUT_SEEDS:
        lines, expected = taiwan_choice_section(seed)
        paper = root / f"s{seed}"
        paper.mkdir()
        image = Image.new("L", (1654, 2339), 255)
        draw = ImageDraw.Draw(image)
        for row, text in enumerate(lines):
            draw.text((157, 160 + 52 * row), text, fill=0, font=font)
        image.save(paper / "p1.png")
        doc, _, _ = extract_paper(paper, paper.name, worker, params, root / f"work{seed}", 200)
        found = {q["number"]: q for q in doc["questions"]}
        for want in expected:
            q = found.get(want["number"])
            total += 1
            seg, same = _same_options(want, [(o["label"], o["text"]) for o in q["options"]]) if q else (False, False)
            segmented, exact = segmented + seg, exact + same
            typed += q is not None and (q["type"], q["score"]) == (want["type"], want["score"])
    print(f"inline options through RapidOCR, held-out seeds: {total} questions, options segmented {segmented / total:.3f}, "
          f"option texts exact {exact / total:.3f}, type and score right {typed / total:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--engine", action="store_true", help="also read drawn held-out pages with the real engine")
    args = parser.parse_args()
    lines_figures()
    if args.engine:
        engine_figures()


if __name__ == "__main__":
    main()
