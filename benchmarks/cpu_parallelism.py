"""Two CPU questions from the runtime issue, measured on the same pages:

1. Do two single-threaded engine instances (one page each, in parallel) beat one engine that uses
   all cores? As threads of one process, and as two processes (in case Python's lock, not the
   cores, were what two threads wait on).
2. Does recognising text-line crops from several pages in one batch beat per-page batches?

    .venv/bin/python benchmarks/cpu_parallelism.py PAPER
"""

from __future__ import annotations

import multiprocessing
import sys
import threading
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ocr_assets.pages import enumerate_pages, load_page  # noqa: E402
from resources.engines.rapid import RapidEngine, RapidSettings  # noqa: E402


def per_page(label: str, seconds: float, pages: int) -> None:
    print(f"{label:<52} {seconds / pages:.3f} s/page", flush=True)


def engines_vs_threads(frames: list[np.ndarray]) -> None:
    one = RapidEngine(RapidSettings(intra_op_threads=-1, use_layout=False))
    one.load()
    started = time.perf_counter()
    for frame in frames:
        one.predict([frame])
    per_page("one engine, all cores", time.perf_counter() - started, len(frames))
    one.close()

    pair = [RapidEngine(RapidSettings(intra_op_threads=1, use_layout=False)) for _ in range(2)]
    for engine in pair:
        engine.load()
    threads = [
        threading.Thread(target=lambda e=e, part=frames[i::2]: [e.predict([f]) for f in part])
        for i, e in enumerate(pair)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    per_page("two engines, one thread each, in parallel", time.perf_counter() - started, len(frames))


def _one_thread_engine(frames: list[np.ndarray], ready, go, done) -> None:
    engine = RapidEngine(RapidSettings(intra_op_threads=1, use_layout=False))
    engine.load()
    engine.predict(frames[:1])  # first-call allocations out of the timing
    ready.set()
    go.wait()
    for frame in frames:
        engine.predict([frame])
    done.put(time.perf_counter())


def engines_in_processes(frames: list[np.ndarray]) -> None:
    context = multiprocessing.get_context("spawn")
    ready, go, done = [context.Event() for _ in range(2)], context.Event(), context.Queue()
    workers = [context.Process(target=_one_thread_engine, args=(frames[i::2], ready[i], go, done)) for i in range(2)]
    for worker in workers:
        worker.start()
    for event in ready:
        event.wait()
    started = time.perf_counter()  # perf_counter is system-wide on Linux: comparable across processes
    go.set()
    finished = max(done.get() for _ in workers)
    for worker in workers:
        worker.join()
    per_page("two engines, one thread each, in two processes", finished - started, len(frames))


def cross_page_recognition(frames: list[np.ndarray]) -> None:
    from rapidocr import RapidOCR
    from rapidocr.ch_ppocr_rec import TextRecInput

    ocr = RapidOCR(params={"Global.log_level": "warning", "Det.limit_type": "max", "Det.limit_side_len": 960,
                           "Global.use_cls": False})
    crops_per_page = []
    for frame in frames:
        image, record = ocr.preprocess_img(np.ascontiguousarray(frame[:, :, ::-1]))
        crops, _ = ocr.detect_and_crop(image, record)
        crops_per_page.append(crops)
    every_crop = [crop for crops in crops_per_page for crop in crops]
    recognizer = ocr._load_rec_model()  # RapidOCR loads models lazily
    for batch in (1, 4, 8, 16):
        recognizer.rec_batch_num = batch
        for scope, groups in (("per page", crops_per_page), ("all pages together", [every_crop])):
            started = time.perf_counter()
            for group in groups:
                recognizer(TextRecInput(img=group))
            per_page(f"recognition only, batch {batch:2d}, {scope}", time.perf_counter() - started, len(frames))


def main() -> None:
    frames = [np.asarray(load_page(ref)) for ref in enumerate_pages(Path(sys.argv[1]))]
    frames = frames * max(1, 12 // len(frames))
    print(f"{len(frames)} pages")
    engines_vs_threads(frames)
    engines_in_processes(frames)
    cross_page_recognition(frames)


if __name__ == "__main__":
    main()
