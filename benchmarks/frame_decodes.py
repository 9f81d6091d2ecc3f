"""How often stages 3 and 4 decode a frame, and what a decode costs, on runs kept by stage4_equivalence.py.

    python benchmarks/stage4_equivalence.py dump DIR            # once: frames and OCR structures
    python benchmarks/frame_decodes.py DIR                       # this checkout
    python benchmarks/frame_decodes.py DIR --code /tmp/old-tree  # another version of the code (a `git archive`)

Per run of the kept papers: stage 4 (`questions_from`, figures cropped) and, for the text-layer runs, stage 3's
text-layer path (`ocr_frames` with the PDF's pages and an engine double that reads nothing, so only the
layer, the ink check and the region stacks cost) — frame files opened per page, process CPU-seconds and
wall seconds. Then the cost of one decode (open, load, grey) per frame. Interleave two versions with
--code to compare them on a busy machine.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path


class NoEngine:
    """Stands in for EnginePool: reads no text, costs nothing."""

    instances = 1

    def predict(self, frames):
        from resources.engines.base import PageStructure

        return [PageStructure(f.shape[1], f.shape[0], [], [], "none") for f in frames]

    def free_cache(self):
        pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dir", type=Path)
    parser.add_argument("--code", type=Path, default=Path(__file__).resolve().parents[1], help="repository root to import")
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(args.code))
    import tempfile

    from PIL import Image

    from ocr_assets.frames import read_manifest
    from ocr_assets.pages import enumerate_pages
    from ocr_assets.pipeline import questions_from
    from ocr_assets.structure import ocr_frames, read_structures
    from resources.hardware import derive_params, detect_hardware

    opened: list[str] = []
    real_open = Image.open

    def counting(path, *a, **k):
        opened.append(str(path))
        return real_open(path, *a, **k)

    Image.open = counting
    params = derive_params(detect_hardware())
    runs = json.loads((args.dir / "runs.json").read_text())
    totals = {"stage4": [0, 0, 0.0, 0.0], "stage3": [0, 0, 0.0, 0.0]}  # pages, opens, cpu, wall
    for _ in range(args.rounds):
        for name, paper, dpi, text_layer in runs:
            run_dir = args.dir / name
            frames = read_manifest(run_dir / "frames")
            results = read_structures(run_dir / "ocr")
            opened.clear()
            cpu, wall = time.process_time(), time.perf_counter()
            with tempfile.TemporaryDirectory() as tmp:
                questions_from(results, frames, Path(tmp) / "figures")
            row = totals["stage4"]
            row[0] += len(frames); row[1] += len(opened)
            row[2] += time.process_time() - cpu; row[3] += time.perf_counter() - wall
            if text_layer:
                opened.clear()
                cpu, wall = time.process_time(), time.perf_counter()
                ocr_frames(frames, NoEngine(), params, enumerate_pages(Path(paper), pdf_dpi=dpi))
                row = totals["stage3"]
                row[0] += len(frames); row[1] += len(opened)
                row[2] += time.process_time() - cpu; row[3] += time.perf_counter() - wall
    for stage, (pages, opens, cpu, wall) in totals.items():
        print(f"{stage} ({'text-layer runs, no engine' if stage == 'stage3' else 'all runs, figures cropped'}): "
              f"{pages} pages, {opens / pages:.2f} frame decodes per page, {1000 * cpu / pages:.1f} CPU-ms/page, "
              f"{1000 * wall / pages:.1f} wall-ms/page")
    Image.open = real_open
    cpu, wall, pages = time.process_time(), time.perf_counter(), 0
    for name, *_ in runs:
        for frame in read_manifest(args.dir / name / "frames"):
            if frame.path:
                with Image.open(frame.path) as image:
                    image.convert("L")
                pages += 1
    print(f"one decode (open, load, grey): {1000 * (time.process_time() - cpu) / pages:.1f} CPU-ms, "
          f"{1000 * (time.perf_counter() - wall) / pages:.1f} wall-ms per frame ({pages} frames)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
