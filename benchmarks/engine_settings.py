"""Speed and recognition quality of RapidOCR settings on real pages with line ground truth.

    .venv/bin/python benchmarks/engine_settings.py [EVALDATA]               # one engine, settings
    .venv/bin/python benchmarks/engine_settings.py --backends [--rounds 5]  # CPU backends x engines
    .venv/bin/python benchmarks/engine_settings.py --ink [--rounds 3]       # missed ink: side vs re-read
    .venv/bin/python benchmarks/engine_settings.py --profile                # CPU-s per stage, one engine
    .venv/bin/python benchmarks/engine_settings.py --backends --only "onnxruntime x2, 1 thread each" \
        --only "onnxruntime x2, 1 thread each, int8 rec" --rounds 3          # the int8 recogniser A/B

Reads ../shared/evaldata (real exam pages + exact text-layer lines; never copied into the repo),
runs each setting over the same pages in one process and prints s/page and line-level CER.
`--backends` times the engine pools the runtime can choose (onnxruntime or OpenVINO, one all-threads
engine or two single-threaded ones on different pages, layout model included as in production) in
rotating order round after round, and prints the median s/page of each with its line CER.
`--profile` runs one single-threaded engine (production settings) over the pages and prints, per page,
the thread CPU seconds of the layout model, the detector and recogniser sessions, and the rest (pre- and
post-processing, crops), with the number of lines read: where the time goes. `--precision int8` profiles
the int8 recogniser (resources/engines/int8.py).
`--ink` measures, per real page, the text-size ink no OCR line covers (ocr_assets/ink.py) at detector
side 960 and 1280, each with and without a second read of the uncovered regions on the same engine,
and prints the cost and line CER of each way.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import psutil
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ocr_assets.evaluation import line_cer  # noqa: E402
from resources.engines.rapid import RapidEngine, RapidSettings  # noqa: E402
from ocr_assets.ink import recover_uncovered_ink, uncovered_ink  # noqa: E402
from resources.ocr_engine import EnginePool, EngineSpec  # noqa: E402

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


# The pools the runtime can choose on a CPU (resources/hardware.py derive_params): backend, engines, threads each.
BACKEND_POOLS = {
    "onnxruntime x2, 1 thread each": EngineSpec(backend="onnxruntime", instances=2, threads=1),
    "onnxruntime x2, 1 thread each, int8 rec": EngineSpec(
        backend="onnxruntime", instances=2, threads=1, rec_precision="int8"),
    "onnxruntime x1, all threads": EngineSpec(backend="onnxruntime", instances=1, threads=-1),
    "onnxruntime x1, all threads, int8 rec": EngineSpec(
        backend="onnxruntime", instances=1, threads=-1, rec_precision="int8"),
    "openvino x1, all threads": EngineSpec(backend="openvino", instances=1, threads=-1),
    "openvino x2, 1 thread each": EngineSpec(backend="openvino", instances=2, threads=1),
    "openvino x2, 1 thread each, side 1280": EngineSpec(
        backend="openvino", instances=2, threads=1, det_limit_side_len=1280),
    "openvino x1, all threads, side 1280": EngineSpec(backend="openvino", instances=1, threads=-1, det_limit_side_len=1280),
}


def read_pages(pool: EnginePool, frames: list[np.ndarray]) -> tuple[float, list, float]:
    """Wall time for the pool to read every frame, as many pages at once as it has engines, and the
    CPU seconds the process spent on it (all threads): less sensitive to a busy machine than wall time."""
    started, cpu_started = time.perf_counter(), time.process_time()
    with ThreadPoolExecutor(max_workers=pool.instances) as executor:
        structures = list(executor.map(lambda frame: pool.predict([frame])[0], frames))
    return time.perf_counter() - started, structures, time.process_time() - cpu_started


def compare_backends(pages, rounds: int, only: list[str] | None) -> None:
    pools = {label: EnginePool(spec) for label, spec in BACKEND_POOLS.items() if not only or label in only}
    frames = [frame for _, frame, _ in pages]
    for pool in pools.values():  # first-call allocations out of the timing, in every engine
        read_pages(pool, frames[: pool.instances])
    seconds: dict[str, list[float]] = {label: [] for label in pools}
    cpu_seconds: dict[str, list[float]] = {label: [] for label in pools}
    cer: dict[str, float] = {}
    labels = list(pools)
    for round_index in range(rounds):
        order = labels[round_index % len(labels):] + labels[: round_index % len(labels)]  # rotate: drift hits all
        for label in order:
            elapsed, structures, cpu = read_pages(pools[label], frames)
            seconds[label].append(elapsed / len(frames))
            cpu_seconds[label].append(cpu / len(frames))
            edits = chars = 0
            for structure, (_, _, gt_lines) in zip(structures, pages):
                e, c = line_cer(structure.lines, gt_lines)
                edits, chars = edits + e, chars + c
            cer[label] = edits / chars
        print(f"round {round_index + 1}/{rounds}: " + ", ".join(
            f"{l} {seconds[l][-1]:.3f} s, {cpu_seconds[l][-1]:.3f} cpu-s (CER {cer[l]:.4f})" for l in order), flush=True)
    print(f"\n{len(frames)} pages, {rounds} rounds; timings on a shared machine are noisy, medians in s/page\n")
    print(f"| {'engine pool':<40} | median s/page | min | max | median CPU s/page | line CER |")
    print(f"|{'-' * 42}|---------------|-----|-----|-------------------|----------|")
    for label in labels:
        runs = seconds[label]
        print(f"| {label:<40} | {statistics.median(runs):.3f} | {min(runs):.3f} | {max(runs):.3f} "
              f"| {statistics.median(cpu_seconds[label]):.3f} | {cer[label]:.4f} |")
    for pool in pools.values():
        pool.close()


INK_POOL = "openvino x2, 1 thread each"  # the pool whose engines read at each side (--pool to change)
INK_WAYS = (("side 960", 960, False), ("side 960 + re-read", 960, True),
            ("side 1280", 1280, False), ("side 1280 + re-read", 1280, True))


def all_pages(evaldata: Path) -> list[tuple[str, np.ndarray]]:
    return [(path.name, np.asarray(Image.open(path).convert("RGB")))
            for path in sorted((evaldata / "pages").iterdir()) if path.suffix.lower() in (".png", ".jpg", ".jpeg")]


def compare_ink(evaldata: Path, gt_pages, rounds: int, pool_label: str) -> None:
    spec = BACKEND_POOLS[pool_label]
    pools = {side: EnginePool(EngineSpec(backend=spec.backend, instances=spec.instances, threads=spec.threads,
                                         det_limit_side_len=side)) for side in (960, 1280)}
    pages = all_pages(evaldata)
    gt_by_name = {name: gt for name, _, gt in gt_pages}
    for pool in pools.values():
        read_pages(pool, [frame for _, frame in pages[: pool.instances]])  # warm

    def read_one(way, frame):
        _, side, reread = way
        [structure] = pools[side].predict([frame])
        if not reread:
            return structure, []
        recovered, _, added = recover_uncovered_ink(frame, structure, pools[side].read_lines)
        return recovered, added

    seconds = {way[0]: [] for way in INK_WAYS}
    per_page: dict[str, dict[str, tuple]] = {way[0]: {} for way in INK_WAYS}
    for round_index in range(rounds):
        order = INK_WAYS[round_index % len(INK_WAYS):] + INK_WAYS[: round_index % len(INK_WAYS)]
        for way in order:
            pool = pools[way[1]]
            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=pool.instances) as executor:
                results = list(executor.map(lambda frame: read_one(way, frame), [f for _, f in pages]))
            seconds[way[0]].append((time.perf_counter() - started) / len(pages))
            for (name, frame), (structure, added) in zip(pages, results):
                per_page[way[0]][name] = (structure, added)
        print(f"round {round_index + 1}/{rounds}: " + ", ".join(f"{w[0]} {seconds[w[0]][-1]:.3f}" for w in order),
              flush=True)
    print(f"\nuncovered text-size ink per page (share of the page's text-size ink; components), {pool_label}:\n")
    print(f"| {'page':<58} | " + " | ".join(f"{w[0]:<20}" for w in INK_WAYS) + " | chars re-read at 960 |")
    print(f"|{'-' * 60}|" + "|".join("-" * 22 for _ in INK_WAYS) + "|---|")
    totals = {w[0]: [0, 0] for w in INK_WAYS}
    for name, frame in pages:
        cells = []
        for way in INK_WAYS:
            structure, _ = per_page[way[0]][name]
            report = uncovered_ink(frame, structure.lines, structure.blocks)
            totals[way[0]][0] += report.uncovered_ink_px
            totals[way[0]][1] += report.text_ink_px
            cells.append(f"{report.uncovered_share:6.2%} ({report.uncovered_components:4d})")
        added = per_page["side 960 + re-read"][name][1]
        text = "".join(line.text for line in added)
        cells.append(f"{len(text)} {text[:40]!r}")
        print(f"| {name:<58} | " + " | ".join(f"{c:<20}" for c in cells) + " |")
    print(f"\n{len(pages)} pages, {rounds} rounds; timings on a shared machine are noisy, medians in s/page\n")
    print(f"| {'way':<20} | median s/page | uncovered ink, all pages | line CER ({len(gt_pages)} GT pages) |")
    print(f"|{'-' * 22}|---------------|---|---|")
    for way in INK_WAYS:
        edits = chars = 0
        for name, gt_lines in gt_by_name.items():
            e, c = line_cer(per_page[way[0]][name][0].lines, gt_lines)
            edits, chars = edits + e, chars + c
        share = totals[way[0]][0] / max(1, totals[way[0]][1])
        print(f"| {way[0]:<20} | {statistics.median(seconds[way[0]]):.3f} | {share:.2%} | {edits / chars:.4f} |")
    for pool in pools.values():
        pool.close()


class _ThreadClock:
    """A model session that adds the calling thread's CPU seconds of each call to `seconds[key]`
    (the engine is single-threaded, so onnxruntime runs the model on the calling thread)."""

    def __init__(self, session, key: str, seconds: dict) -> None:
        self.session, self.key, self.seconds = session, key, seconds

    def __call__(self, *args, **kwargs):
        started = time.thread_time()
        try:
            return self.session(*args, **kwargs)
        finally:
            self.seconds[self.key] = self.seconds.get(self.key, 0.0) + time.thread_time() - started
            self.seconds[self.key + " calls"] = self.seconds.get(self.key + " calls", 0) + 1

    def __getattr__(self, name):
        return getattr(self.session, name)


def profile_stages(pages, precision: str, arena: bool = True) -> None:
    engine = RapidEngine(RapidSettings(intra_op_threads=1, rec_precision=precision, cpu_mem_arena=arena))
    engine.load()
    ocr, handler = engine._ocr, engine._layout.model_handler.model_processors
    seconds: dict[str, float] = {}
    ocr.text_det.session = _ThreadClock(ocr.text_det.session, "detector", seconds)
    ocr.text_rec.session = _ThreadClock(ocr.text_rec.session, "recogniser", seconds)
    handler.session = _ThreadClock(handler.session, "layout", seconds)
    stages = ("layout", "detector", "recogniser")
    totals = {key: 0.0 for key in (*stages, "rest", "total", "wall", "lines")}
    edits = chars = 0
    print(f"\nrecogniser {precision} ({engine.rec_model}), onnxruntime memory arena {'on' if arena else 'off'}; "
          "thread CPU seconds per page, one single-threaded engine\n")
    print(f"| {'page':<40} | layout | detector | recogniser | rest | total CPU-s | wall s | lines |")
    print(f"|{'-' * 42}|--------|----------|------------|------|-------------|--------|-------|")
    for name, frame, gt_lines in pages:
        seconds.clear()
        started, cpu_started = time.perf_counter(), time.thread_time()
        [structure] = engine.predict([frame])
        total, wall = time.thread_time() - cpu_started, time.perf_counter() - started
        row = {key: seconds.get(key, 0.0) for key in stages}
        row.update(rest=total - sum(row.values()), total=total, wall=wall, lines=len(structure.lines))
        for key, value in row.items():
            totals[key] += value
        e, c = line_cer(structure.lines, gt_lines)
        edits, chars = edits + e, chars + c
        print(f"| {name:<40} | {row['layout']:.3f} | {row['detector']:.3f} | {row['recogniser']:.3f} | "
              f"{row['rest']:.3f} | {total:.3f} | {wall:.3f} | {row['lines']} |")
    n = len(pages)
    print(f"| {'mean':<40} | {totals['layout'] / n:.3f} | {totals['detector'] / n:.3f} | "
          f"{totals['recogniser'] / n:.3f} | {totals['rest'] / n:.3f} | {totals['total'] / n:.3f} | "
          f"{totals['wall'] / n:.3f} | {totals['lines'] / n:.1f} |")
    print(f"\nline CER {edits / chars:.4f} ({edits}/{chars}); recogniser batch {engine.settings.rec_batch_num}; "
          f"process RSS after the pages {psutil.Process().memory_info().rss / 2**20:.0f} MB")
    engine.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("evaldata", nargs="?", type=Path,
                        default=Path(__file__).resolve().parents[2] / "shared" / "evaldata")
    parser.add_argument("--backends", action="store_true", help="compare CPU backends and engine counts")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--only", action="append", help="a pool label from BACKEND_POOLS (repeatable)")
    parser.add_argument("--ink", action="store_true", help="uncovered ink per page and the ways to recover it")
    parser.add_argument("--pool", default=INK_POOL, help="with --ink: the pool label from BACKEND_POOLS")
    parser.add_argument("--profile", action="store_true", help="CPU seconds per stage of one engine")
    parser.add_argument("--precision", default="fp32", choices=("fp32", "int8"), help="with --profile")
    parser.add_argument("--no-arena", action="store_true", help="with --profile: onnxruntime's CPU memory arena off "
                        "(RapidOCR's own default)")
    args = parser.parse_args()
    evaldata = args.evaldata
    pages = pages_with_gt(evaldata)
    print(f"{len(pages)} pages with line ground truth")
    if args.backends:
        compare_backends(pages, args.rounds, args.only)
        return
    if args.profile:
        profile_stages(pages, args.precision, arena=not args.no_arena)
        return
    if args.ink:
        compare_ink(evaldata, pages, args.rounds, args.pool)
        return
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
