"""What reading a born-digital page from its text layer costs, against OCR of the same page, in one
process, page by page interleaved (a loaded machine slows both alike). Prints figures; asserts none.

    .venv/bin/python benchmarks/text_layer_speed.py PDF [PDF ...] [--ocr] [--dpi 150] [--repeat 3] [--gt-dir DIR]

Per page: `layer_s` = pypdfium2 characters -> lines, images and verdict (what text_layer.read_text_layer
does without the page image); `ink_check_s` = the check that the layer covers the page's glyph ink (on
the rendered page, already decoded); `ocr_s` = the default engine on the rendered page (with --ocr).
The text-layer work is single-threaded: its CPU time (printed too) is what it costs on an idle core
when other processes crowd the machine.
With --gt-dir (`*.layout_questions.json` whose `source_pdf` is one of the PDFs: text-layer ground
truth), the characters read are compared with the ground truth's, as a multiset per page (the two
readers split lines differently; what is read must be the same characters).
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections import Counter
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ocr_assets.evaluation import normalise  # noqa: E402
from ocr_assets.pages import enumerate_pages, load_page  # noqa: E402
from ocr_assets.text_layer import read_text_layer, uncovered_text_share  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("pdfs", nargs="+")
    parser.add_argument("--ocr", action="store_true", help="also time the default engine on each page")
    parser.add_argument("--dpi", type=int, default=150)
    parser.add_argument("--repeat", type=int, default=3, help="best of N for the text-layer timings")
    parser.add_argument("--gt-dir", help="text-layer ground truth (*.layout_questions.json) for the exactness figures")
    args = parser.parse_args()
    truth = {}  # (pdf name, page) -> ground-truth characters
    for gt_file in sorted(Path(args.gt_dir).glob("*.layout_questions.json")) if args.gt_dir else []:
        gt = json.loads(gt_file.read_text(encoding="utf-8"))
        for page in gt["pages"]:
            truth[(Path(gt["source_pdf"]).name, page["page"])] = Counter(normalise("".join(l["text"] for l in page["lines"])))
    compared = differing = 0
    engine = None
    if args.ocr:
        from resources.engines.rapid import RapidEngine

        engine = RapidEngine()
        engine.load()
    rows = []
    for pdf in args.pdfs:
        for ref in enumerate_pages(Path(pdf), pdf_dpi=args.dpi):
            layer_s, layer_cpu, page = [], [], None
            for _ in range(args.repeat):
                started, cpu = time.perf_counter(), time.process_time()
                page = read_text_layer(ref.file, ref.pdf_page, args.dpi)
                layer_s.append(time.perf_counter() - started)
                layer_cpu.append(time.process_time() - cpu)
            gray = np.asarray(load_page(ref).convert("L"))
            ink_s, ink_cpu = [], []
            for _ in range(args.repeat):
                started, cpu = time.perf_counter(), time.process_time()
                uncovered_text_share(gray, page.lines, page.figures + page.regions)
                ink_s.append(time.perf_counter() - started)
                ink_cpu.append(time.process_time() - cpu)
            ocr_s = None
            if engine is not None:
                rgb = np.asarray(load_page(ref))
                started = time.perf_counter()
                engine.predict([rgb])
                ocr_s = time.perf_counter() - started
            rows.append((Path(pdf).name, ref.index, page.read_by, len(page.lines), len(page.regions), min(layer_s), min(ink_s), ocr_s,
                         min(layer_cpu), min(ink_cpu)))
            expected = truth.get((Path(pdf).name, ref.index))
            if expected is not None and page.read_by == "text_layer":
                ours = Counter(normalise("".join(line.text for line in page.lines)))
                compared += sum(expected.values())
                differing += sum(((ours - expected) + (expected - ours)).values())
            print(f"{rows[-1][0][:40]:<40} p{ref.index:<3} {page.read_by:<10} lines {len(page.lines):>3} regions {len(page.regions)}"
                  f"  layer_s {min(layer_s):.4f} (cpu {min(layer_cpu):.4f})  ink_check_s {min(ink_s):.4f} (cpu {min(ink_cpu):.4f})"
                  + (f"  ocr_s {ocr_s:.3f}" if ocr_s else ""),
                  flush=True)
    from_layer = [r for r in rows if r[2] == "text_layer"]
    if from_layer:
        layer = [r[5] for r in from_layer]
        ink = [r[6] for r in from_layer]
        print(f"text-layer pages: {len(from_layer)} of {len(rows)}; layer_s median {statistics.median(layer):.4f} max {max(layer):.4f}; "
              f"ink_check_s median {statistics.median(ink):.4f} max {max(ink):.4f}; "
              f"pages over 0.05 s (layer + ink check): {sum(1 for r in from_layer if r[5] + r[6] > 0.05)}")
        # CPU time of this (single-threaded) work: what the wall time would be on an idle core
        layer_cpu, ink_cpu = [r[8] for r in from_layer], [r[9] for r in from_layer]
        print(f"cpu time: layer median {statistics.median(layer_cpu):.4f} max {max(layer_cpu):.4f}; ink check median "
              f"{statistics.median(ink_cpu):.4f} max {max(ink_cpu):.4f}; pages over 0.05 s: "
              f"{sum(1 for r in from_layer if r[8] + r[9] > 0.05)}")
    if compared:
        print(f"exactness against the ground truth: {differing} characters differ (missing + extra) of {compared} "
              f"({differing / compared:.5f})")
    if engine is not None:
        ocr = [r[7] for r in rows]
        print(f"ocr_s median {statistics.median(ocr):.3f} max {max(ocr):.3f} (same pages, same process)")


if __name__ == "__main__":
    main()
