"""The inference benchmark behind `ocr-assets bench` (../shared/CONTRACT.md): the same pages, the
same engine settings, three ways — engine only and the naive serial loop on one engine with default
threads (the old behaviour), and the production pipeline on the engines the runtime parameters ask
for (on a CPU that may be two single-threaded engines working on different pages)."""

from __future__ import annotations

import tempfile
import time
from dataclasses import replace
from pathlib import Path

import psutil

from ocr_assets.frames import load_frame, write_frames
from ocr_assets.pages import PageRef
from ocr_assets.runtime import run_inference
from resources import ocr_engine
from resources.hardware import RuntimeParams
from resources.ocr_engine import EnginePool, get_worker

ROUND_PAGES = 20  # the three ways take turns on each round, in a rotating order, so machine drift hits all alike


def _rss_mb() -> float:
    return psutil.Process().memory_info().rss / 2**20


def run_bench(refs: list[PageRef], worker: EnginePool, params: RuntimeParams) -> dict:
    rss_start = _rss_mb()
    single = worker if worker.instances == 1 else get_worker(replace(worker.spec, instances=1, threads=-1))
    engine_only_s = serial_s = pipelined_s = wait_s = busy_s = 0.0
    failed = 0
    with tempfile.TemporaryDirectory(prefix="ocr-bench-") as tmp:
        frames = [f for f in write_frames(refs, Path(tmp), workers=params.cpu_workers) if f.status == "ok"]
        for engine in {single, worker}:  # first-call allocations out of the timing, in every engine
            for _ in range(engine.instances):
                engine.predict([load_frame(frames[0])])
        for round_index, start in enumerate(range(0, len(frames), ROUND_PAGES)):
            chunk = frames[start : start + ROUND_PAGES]

            def engine_only() -> None:
                nonlocal engine_only_s
                decoded = [load_frame(f) for f in chunk]
                started = time.perf_counter()
                for frame in decoded:
                    single.predict([frame])
                engine_only_s += time.perf_counter() - started

            def serial() -> None:
                nonlocal serial_s
                started = time.perf_counter()
                for frame in chunk:  # the old behaviour: decode, then infer, one page at a time
                    single.predict([load_frame(frame)])
                serial_s += time.perf_counter() - started

            def pipelined() -> None:
                nonlocal pipelined_s, wait_s, busy_s, failed
                _, stats = run_inference(
                    [(f.index, lambda f=f: load_frame(f)) for f in chunk],
                    worker.predict,
                    batch_size=params.det_batch_size,
                    prefetch_depth=params.prefetch_depth,
                    decode_workers=params.cpu_workers,
                    free_cache=worker.free_cache,
                    engines=worker.instances,
                )
                pipelined_s += stats.wall_s
                wait_s += stats.wait_for_frames_s
                busy_s += stats.engine_busy_s
                failed += stats.failed

            ways = [engine_only, serial, pipelined]
            shift = round_index % len(ways)  # each way goes first, second and third in turn
            for way in ways[shift:] + ways[:shift]:
                way()
    rss_end = _rss_mb()
    return {
        "pages": len(frames),
        "engine": worker.spec.name,
        "engine_only_s": round(engine_only_s, 3),
        "serial_s": round(serial_s, 3),
        "pipelined_s": round(pipelined_s, 3),
        "speedup": round(serial_s / pipelined_s, 3) if pipelined_s else None,
        "overhead": round(pipelined_s / engine_only_s, 3) if engine_only_s else None,
        "s_per_page": round(pipelined_s / len(frames), 3) if frames else None,
        "engine_busy_fraction": round(busy_s / (pipelined_s * worker.instances), 3) if pipelined_s else None,
        "wait_for_frames_s": round(wait_s, 3),
        "failed": failed,
        "model_loads": ocr_engine.MODEL_LOADS,
        "engines": worker.instances,  # in the production path (the other two use one engine)
        "rss_start_mb": round(rss_start, 1),
        "rss_end_mb": round(rss_end, 1),  # long-run growth of the production path: benchmarks/long_run_rss.py
    }
