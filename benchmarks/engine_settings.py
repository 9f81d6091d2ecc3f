"""Speed and recognition quality of RapidOCR settings on real pages with line ground truth.

    .venv/bin/python benchmarks/engine_settings.py [EVALDATA]

Reads ../shared/evaldata (real exam pages + exact text-layer lines; never copied into the repo),
runs each setting over the same pages in one process and prints s/page and line-level CER.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ocr_assets.evaluation import line_cer  # noqa: E402
from resources.engines.rapid import RapidEngine, RapidSettings  # noqa: E402

GT_FILES = {
    "p04_chongqing2023_chem_B-{}.png": "p04_chongqing2023_chem_B.layout_questions.json",
    "p15_guangzhou2022_chem_render-{:02d}.png": "guangzhou2022_zhongkao_chem_render.layout_questions.json",
    "p16_guangdong2022_chem_render-{}.png": "guangdong2022_zhongkao_chem_render.layout_questions.json",
}

SETTINGS = {
    "rapidocr defaults (min side 736, cls, rec batch 6)": RapidSettings(
        det_limit_side_len=736, det_limit_type="min", rec_batch_num=6, use_angle_cls=True, use_layout=False),
    "max side 960, cls, rec batch 8": RapidSettings(rec_batch_num=8, use_angle_cls=True, use_layout=False),
    "max side 960, no cls, rec batch 1": RapidSettings(rec_batch_num=1, use_angle_cls=False, use_layout=False),
    "max side 1280, no cls, rec batch 1": RapidSettings(
        det_limit_side_len=1280, rec_batch_num=1, use_angle_cls=False, use_layout=False),
    "max side 960, no cls, rec batch 1, + layout": RapidSettings(rec_batch_num=1, use_angle_cls=False, use_layout=True),
}


def pages_with_gt(evaldata: Path) -> list[tuple[str, np.ndarray, list[dict]]]:
    pages = []
    for pattern, gt_name in GT_FILES.items():
        gt = json.loads((evaldata / "gt" / gt_name).read_text(encoding="utf-8"))
        for gt_page in gt["pages"]:
            image = evaldata / "pages" / pattern.format(gt_page["page"])
            if image.exists():
                pages.append((image.name, np.asarray(Image.open(image).convert("RGB")), gt_page["lines"]))
    return pages


def main() -> None:
    evaldata = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "shared" / "evaldata"
    pages = pages_with_gt(evaldata)
    print(f"{len(pages)} pages with line ground truth")
    for label, settings in SETTINGS.items():
        engine = RapidEngine(settings)
        engine.load()
        engine.predict([pages[0][1]])  # warm
        edits = chars = 0
        started = time.perf_counter()
        for _, frame, gt_lines in pages:
            [structure] = engine.predict([frame])
            e, c = line_cer(structure.lines, gt_lines)
            edits, chars = edits + e, chars + c
        elapsed = time.perf_counter() - started
        engine.close()
        print(f"{label:<48} {elapsed / len(pages):.3f} s/page   CER {edits / chars:.4f} ({edits}/{chars})", flush=True)


if __name__ == "__main__":
    main()
