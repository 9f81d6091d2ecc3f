"""Memory over a long run of the production path (prefetch + micro-batching, one warm engine).

    .venv/bin/python benchmarks/long_run_rss.py PAPER [--pages 200]

Repeats the paper's pages up to N and prints RSS at pages 1, 20, 50, 100, 150 and N, and the growth
from page 20 to page N (target: under 5 %).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ocr_assets.frames import load_frame, write_frames  # noqa: E402
from ocr_assets.pages import enumerate_pages  # noqa: E402
from ocr_assets.runtime import run_inference  # noqa: E402
from resources.hardware import derive_params, detect_hardware  # noqa: E402
from resources.ocr_engine import engine_spec, get_worker  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("paper")
    parser.add_argument("--pages", type=int, default=200)
    args = parser.parse_args()
    params = derive_params(detect_hardware())
    refs = enumerate_pages(Path(args.paper))
    refs = [replace(r, index=i) for i, r in enumerate((refs * (args.pages // len(refs) + 1))[: args.pages], start=1)]
    worker = get_worker(engine_spec("rapidocr", params))  # the production engines (two on a CPU)
    checkpoints = sorted({1, 20, 50, 100, 150, args.pages})
    rss: dict[int, float] = {}
    done = [0]
    lock = threading.Lock()

    def predict(batch):
        structures = worker.predict(batch)
        with lock:  # two engines finish batches on two threads
            before, done[0] = done[0], done[0] + len(batch)
            for mark in checkpoints:
                if before < mark <= done[0]:
                    rss[mark] = round(psutil.Process().memory_info().rss / 2**20, 1)
        return structures

    with tempfile.TemporaryDirectory() as tmp:
        frames = write_frames(refs, Path(tmp), workers=params.cpu_workers)
        started = time.perf_counter()
        _, stats = run_inference(
            [(f.index, lambda f=f: load_frame(f)) for f in frames], predict,
            batch_size=params.det_batch_size, prefetch_depth=params.prefetch_depth, decode_workers=params.cpu_workers,
            engines=worker.instances,
        )
    growth = 100 * (rss[args.pages] / rss[20] - 1) if 20 in rss else None
    print(json.dumps({"pages": args.pages, "engines": worker.instances, "s_per_page": round((time.perf_counter() - started) / args.pages, 3),
                      "failed": stats.failed, "rss_mb": rss, "growth_20_to_end_pct": round(growth, 2) if growth else None}))


if __name__ == "__main__":
    main()
