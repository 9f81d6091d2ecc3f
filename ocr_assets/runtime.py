"""The inference runtime: producer threads decode frames into a bounded queue, the consumer
runs micro-batches of similar-sized pages on the engine (as many at once as there are engines),
and out-of-memory halves the batch.

Every page ends as a PageResult — done, or failed with its reason. None is ever dropped.
"""

from __future__ import annotations

import queue
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from resources.engines.base import OutOfMemory, PageStructure

Predict = Callable[[Sequence[np.ndarray]], list[PageStructure]]
SIZE_BUCKET_PX = 256  # pages whose sides agree to within this many pixels batch together
_END = object()


@dataclass
class PageResult:
    index: int
    status: str  # "ok" | "failed"
    structure: PageStructure | None = None
    error: str | None = None


@dataclass
class InferenceStats:
    pages: int = 0
    failed: int = 0
    wall_s: float = 0.0
    engine_busy_s: float = 0.0
    wait_for_frames_s: float = 0.0
    batch_sizes: Counter = field(default_factory=Counter)
    oom_fallbacks: int = 0
    engines: int = 1

    @property
    def s_per_page(self) -> float:
        return self.wall_s / self.pages if self.pages else 0.0

    @property
    def pages_per_s(self) -> float:
        return self.pages / self.wall_s if self.wall_s else 0.0

    @property
    def engine_busy_fraction(self) -> float:
        """Share of the wall time the engines computed (averaged over the engines)."""
        return self.engine_busy_s / (self.wall_s * self.engines) if self.wall_s else 0.0


def size_bucket(frame: np.ndarray) -> tuple[int, int]:
    height, width = frame.shape[:2]
    return round(height / SIZE_BUCKET_PX), round(width / SIZE_BUCKET_PX)


def run_inference(
    items: Sequence[tuple[int, Callable[[], np.ndarray]]],
    predict: Predict,
    *,
    batch_size: int = 1,
    prefetch_depth: int = 4,
    decode_workers: int = 2,
    free_cache: Callable[[], None] = lambda: None,
    engines: int = 1,
) -> tuple[list[PageResult], InferenceStats]:
    """OCR every (index, load) item; results come back in the order of `items`.

    `load()` decodes one frame on a producer thread; an exception there becomes that page's error.
    With `engines` > 1, that many batches are in `predict` at once (it must be safe to call from
    several threads, as EnginePool.predict is); the frame queue still bounds what waits in memory.
    """
    started = time.perf_counter()
    stats = InferenceStats(pages=len(items), engines=max(1, engines))
    stats_lock = threading.Lock()
    results: dict[int, PageResult] = {}
    frames: queue.Queue = queue.Queue(maxsize=max(1, prefetch_depth))
    todo: queue.SimpleQueue = queue.SimpleQueue()
    for item in items:
        todo.put(item)
    producers_left = [max(1, min(decode_workers, len(items)))]
    producers_lock = threading.Lock()

    def produce() -> None:
        while True:
            try:
                index, load = todo.get_nowait()
            except queue.Empty:
                break
            try:
                frames.put((index, load(), None))
            except Exception as exc:
                frames.put((index, None, f"cannot decode frame: {exc}"))
        with producers_lock:
            producers_left[0] -= 1
            if producers_left[0] == 0:
                frames.put(_END)

    producers = [threading.Thread(target=produce, daemon=True, name=f"prefetch-{i}") for i in range(producers_left[0])]
    for thread in producers:
        thread.start()

    target = [max(1, batch_size)]  # shrinks after an OOM and stays shrunk for the rest of the run
    buckets: dict[tuple[int, int], list[tuple[int, np.ndarray]]] = defaultdict(list)

    def busy(seconds: float, oom: bool = False) -> None:
        with stats_lock:
            stats.engine_busy_s += seconds
            stats.oom_fallbacks += oom

    def run_batch(batch: list[tuple[int, np.ndarray]]) -> None:
        busy_from = time.perf_counter()
        try:
            structures = predict([frame for _, frame in batch])
        except OutOfMemory as exc:
            busy(time.perf_counter() - busy_from, oom=True)
            free_cache()
            if len(batch) == 1:
                results[batch[0][0]] = PageResult(batch[0][0], "failed", error=f"out of memory at batch size 1: {exc}")
                return
            target[0] = max(1, len(batch) // 2)
            half = len(batch) // 2
            run_batch(batch[:half])
            run_batch(batch[half:])
            return
        except Exception as exc:
            busy(time.perf_counter() - busy_from)
            if len(batch) == 1:
                results[batch[0][0]] = PageResult(batch[0][0], "failed", error=f"engine error: {exc}")
                return
            for single in batch:  # find the page that broke the batch; keep the others
                run_batch([single])
            return
        busy(time.perf_counter() - busy_from)
        with stats_lock:
            stats.batch_sizes[len(batch)] += 1
        if len(structures) != len(batch):
            for index, _ in batch:
                results[index] = PageResult(index, "failed", error=f"engine gave {len(structures)} results for {len(batch)} pages")
            return
        for (index, _), structure in zip(batch, structures):
            results[index] = PageResult(index, "ok", structure)

    # one batch at a time on this thread, or up to `engines` at once on a pool of as many threads
    consumers = ThreadPoolExecutor(stats.engines, thread_name_prefix="batch") if stats.engines > 1 else None
    in_flight = threading.Semaphore(stats.engines)

    def dispatch(batch: list[tuple[int, np.ndarray]]) -> None:
        if consumers is None:
            run_batch(batch)
            return
        in_flight.acquire()  # all engines busy: wait here, so the frame queue (not memory) fills up
        consumers.submit(run_batch, batch).add_done_callback(lambda _: in_flight.release())

    while True:
        waited_from = time.perf_counter()
        item = frames.get()
        stats.wait_for_frames_s += time.perf_counter() - waited_from
        if item is _END:
            break
        index, frame, error = item
        if error is not None:
            results[index] = PageResult(index, "failed", error=error)
            continue
        bucket = buckets[size_bucket(frame)]
        bucket.append((index, frame))
        if len(bucket) >= target[0]:
            batch = bucket[: target[0]]
            del bucket[: target[0]]
            dispatch(batch)
    for bucket in buckets.values():  # flush partial batches, in chunks of the current target
        while bucket:
            batch = bucket[: target[0]]
            del bucket[: target[0]]
            dispatch(batch)
    if consumers is not None:
        consumers.shutdown(wait=True)
    for thread in producers:
        thread.join()

    stats.wall_s = time.perf_counter() - started
    ordered = [results.get(index) or PageResult(index, "failed", error="lost by the runtime") for index, _ in items]
    stats.failed = sum(1 for r in ordered if r.status != "ok")
    return ordered, stats
