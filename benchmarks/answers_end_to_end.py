"""Answers through the real engine: the generated answer families (tests/answer_families.py) drawn as page
images, read by the default OCR engine and the whole pipeline, scored as in the line-level tests.

    python -m benchmarks.answers_end_to_end [--seeds 1000 1001] [--families key_at_end answer_sheet] [--keep DIR]

Prints, per family, the papers whose question numbers came out exact and the share of questions with the
right answer (on papers that print none: the share with no answer made up). Slow: one OCR run per page.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from pathlib import Path

from PIL import Image, ImageDraw

from ocr_assets.sample_paper import find_cjk_font
from tests.answer_families import FAMILIES, HEIGHT, LINE_HEIGHT, ROW, WIDTH, GenPaper, score

FONT_PX = 26
CELL_PITCH = 70


def draw_paper(paper: GenPaper, out_dir: Path) -> list[Path]:
    """One PNG per page: each row's text where the line list puts it; a Markdown table as a ruled grid."""
    font = find_cjk_font().load(FONT_PX)
    paths = []
    for page in paper.pages():
        image = Image.new("L", (WIDTH, HEIGHT), 255)
        draw = ImageDraw.Draw(image)
        for line in page.lines:
            x, y = line.x0, line.y0
            if line.text.startswith("|"):
                rows = [r.strip("|").split("|") for r in line.text.split("\n") if not set(r) <= set("|-")]
                for r, cells in enumerate(rows):
                    for c, cell in enumerate(cells):
                        box = (x + c * CELL_PITCH, y + r * (ROW - 6), x + (c + 1) * CELL_PITCH, y + (r + 1) * (ROW - 6))
                        draw.rectangle(box, outline=0, width=2)
                        draw.text((box[0] + 10, box[1] + 6), cell.strip(), fill=0, font=font)
                continue
            draw.text((x, y + (LINE_HEIGHT - FONT_PX) / 2), line.text, fill=0, font=font)
        path = out_dir / f"p{page.page:02d}.png"
        image.save(path)
        paths.append(path)
    return paths


def main(argv: list[str]) -> int:
    from ocr_assets.cli import _runtime
    from ocr_assets.pages import DEFAULT_PDF_DPI
    from ocr_assets.pipeline import extract_paper
    from resources.ocr_engine import DEFAULT_ENGINE

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1000, 1001])
    parser.add_argument("--families", nargs="+", default=[f.__name__ for f in FAMILIES])
    parser.add_argument("--keep", help="write the pages and JSON here instead of a temporary folder")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    engine_args = argparse.Namespace(engine=DEFAULT_ENGINE, det_limit_side_len=None, threads=-1)
    params, worker = _runtime(engine_args)
    families = [f for f in FAMILIES if f.__name__ in args.families]
    print(f"seeds: {args.seeds}")
    print(f"{'family':26} {'papers':>6} {'numbers exact':>14} {'questions':>9} {'found':>6} {'answer right':>13}")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(args.keep) if args.keep else Path(tmp)
        for family in families:
            totals = {"questions": 0, "found": 0, "numbers_exact": 0, "answers_right": 0}
            for seed in args.seeds:
                paper = family(seed)
                paper_dir = root / f"{family.__name__}-{seed}"
                (paper_dir / "pages").mkdir(parents=True, exist_ok=True)
                draw_paper(paper, paper_dir / "pages")
                doc, _, _ = extract_paper(paper_dir / "pages", paper_dir.name, worker, params, paper_dir / "work", DEFAULT_PDF_DPI)
                questions = [argparse.Namespace(**q) for q in doc["questions"]]
                result = score(paper, questions)
                for k in totals:
                    totals[k] += int(result[k])
                if args.keep:
                    import json

                    (paper_dir / "extract.json").write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
            label = "answer right" if family(args.seeds[0]).expect_answers else "no answer (ok)"
            print(f"{family.__name__:26} {len(args.seeds):6} {totals['numbers_exact']:>14} {totals['questions']:>9} "
                  f"{totals['found']:>6} {totals['answers_right'] / max(1, totals['questions']):>13.3f}  ({label})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
