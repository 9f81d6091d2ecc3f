"""The inference benchmark behind `ocr-assets bench` (../shared/CONTRACT.md): the same pages,
the same loaded engine, three ways — engine only, naive serial loop, production pipeline."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
import psutil

from ocr_assets.frames import Frame, load_frame, write_frames
from ocr_assets.pages import PageRef
from ocr_assets.runtime import run_inference
from resources import ocr_engine
from resources.hardware import RuntimeParams
from resources.ocr_engine import InferenceWorker


def _rss_mb() -> float:
    return psutil.Process().memory_info().rss / 2**20


def run_bench(refs: list[PageRef], worker: InferenceWorker, params: RuntimeParams) -> dict:
    rss_start = _rss_mb()
    with tempfile.TemporaryDirectory(prefix="ocr-bench-") as tmp:
        frames = [f for f in write_frames(refs, Path(tmp), workers=params.cpu_workers) if f.status == "ok"]

        decoded = [load_frame(f) for f in frames]
        started = time.perf_counter()
        for frame in decoded:
            worker.predict([frame])
        engine_only_s = time.perf_counter() - started
        del decoded

        started = time.perf_counter()
        for frame in frames:  # the old behaviour: decode, then infer, one page at a time
            worker.predict([load_frame(frame)])
        serial_s = time.perf_counter() - started

        results, stats = run_inference(
            [(f.index, lambda f=f: load_frame(f)) for f in frames],
            worker.predict,
            batch_size=params.det_batch_size,
            prefetch_depth=params.prefetch_depth,
            decode_workers=params.cpu_workers,
            free_cache=worker.free_cache,
        )
        pipelined_s = stats.wall_s
    return {
        "pages": len(frames),
        "engine": worker.spec.name,
        "engine_only_s": round(engine_only_s, 3),
        "serial_s": round(serial_s, 3),
        "pipelined_s": round(pipelined_s, 3),
        "speedup": round(serial_s / pipelined_s, 3) if pipelined_s else None,
        "overhead": round(pipelined_s / engine_only_s, 3) if engine_only_s else None,
        "s_per_page": round(pipelined_s / len(frames), 3) if frames else None,
        "failed": stats.failed,
        "model_loads": ocr_engine.MODEL_LOADS,
        "rss_start_mb": round(rss_start, 1),
        "rss_end_mb": round(_rss_mb(), 1),
    }
