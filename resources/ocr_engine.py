"""The OCR engine resource: engines loaded once per process, each owned by one inference thread.

PaddleOCR's predict() is not thread-safe (PaddleOCR #18268), so no caller ever touches an
engine: callers hand frames to the engine's own thread and wait for the result. Engines are
process-wide singletons keyed by their settings: every run, asset and CLI call in a process
shares the loaded model, and `MODEL_LOADS` counts how often a model was really loaded.
On a GPU that is one engine. On a CPU the spec may ask for two single-threaded instances that
work on different pages at once (`EnginePool`); each still has its own thread.
"""

from __future__ import annotations

import atexit
import os
import queue
import threading
import time
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Callable, Sequence

import dagster as dg
import numpy as np

from resources.engines.base import EngineUnavailable, OcrEngine, PageStructure
from resources.hardware import RuntimeParams

ENGINE_NAMES = ("rapidocr", "ppstructurev3", "paddleocr")
DEFAULT_ENGINE = "rapidocr"


@dataclass(frozen=True)
class EngineSpec:
    """Everything that decides which model is loaded; equal specs share one loaded engine."""

    name: str = DEFAULT_ENGINE
    det_limit_side_len: int | None = None
    rec_batch_size: int = 1
    det_batch_size: int = 1
    threads: int = -1
    device: str | None = None
    instances: int = 1  # engines working side by side (CPU only); each gets `threads`
    backend: str = "onnxruntime"  # RapidOCR's CPU runtime: onnxruntime or openvino (engines.rapid.CPU_BACKENDS)
    rec_precision: str = "fp32"  # RapidOCR's recogniser: bundled f32 or its cached int8 copy (engines.rapid.REC_PRECISIONS)

    def build(self) -> OcrEngine:
        if self.name == "rapidocr":
            from resources.engines.rapid import RapidEngine, RapidSettings

            return RapidEngine(
                RapidSettings(
                    det_limit_side_len=self.det_limit_side_len or RapidSettings.det_limit_side_len,
                    rec_batch_num=self.rec_batch_size,
                    intra_op_threads=self.threads,
                    use_cuda=(self.device or "cpu").startswith(("gpu", "cuda")),
                    backend=self.backend,
                    rec_precision=self.rec_precision,
                )
            )
        if self.name in ("ppstructurev3", "paddleocr"):
            from resources.engines.paddle import PaddleEngine, PaddleSettings

            return PaddleEngine(
                PaddleSettings(
                    pipeline="PP-StructureV3" if self.name == "ppstructurev3" else "OCR",
                    device=self.device or os.environ.get("EXAMPAPER_PADDLE_DEVICE", "gpu:0"),
                    model_size=os.environ.get("EXAMPAPER_PADDLE_MODELS", "mobile"),
                    text_det_limit_side_len=self.det_limit_side_len or PaddleSettings.text_det_limit_side_len,
                    text_recognition_batch_size=self.rec_batch_size,
                    textline_orientation_batch_size=self.rec_batch_size,
                    page_batch_size=self.det_batch_size,
                    layout_batch_size=self.det_batch_size,
                )
            )
        raise EngineUnavailable(f"unknown engine {self.name!r}; choose one of {', '.join(ENGINE_NAMES)}")


class InferenceWorker:
    """One engine on one dedicated thread; `predict` may be called from any thread."""

    def __init__(self, spec: EngineSpec, build: Callable[[EngineSpec], OcrEngine] | None = None) -> None:
        self.spec = spec
        self._build = build or EngineSpec.build
        self._jobs: queue.Queue = queue.Queue()
        self._ready: Future = Future()
        self._lock = threading.Lock()  # one batch in flight; keeps OOM retries ordered
        self.engine: OcrEngine | None = None
        self._thread = threading.Thread(target=self._serve, name=f"ocr-{spec.name}", daemon=True)
        self._thread.start()
        self._ready.result()  # re-raises EngineUnavailable from the load

    def _serve(self) -> None:
        global MODEL_LOADS
        try:
            engine = self._build(self.spec)
            engine.load()
            self.engine = engine
            MODEL_LOADS += 1
            self._ready.set_result(None)
        except BaseException as exc:  # hand the load error to the caller of __init__
            self._ready.set_exception(exc)
            return
        while True:
            job = self._jobs.get()
            if job is None:
                break
            func, args, future = job
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(func(engine, *args))
            except BaseException as exc:
                future.set_exception(exc)
        engine.close()

    def _call(self, func, *args):
        future: Future = Future()
        with self._lock:
            self._jobs.put((func, args, future))
            return future.result()

    def call(self, func: Callable[[OcrEngine], object]):
        """`func(engine)` on the engine's own thread."""
        return self._call(func)

    def predict(self, frames: Sequence[np.ndarray]) -> list[PageStructure]:
        return self._call(lambda engine, f: engine.predict(f), list(frames))

    def read_lines(self, frames: Sequence[np.ndarray]) -> list[PageStructure]:
        """Text lines only (no layout model), for small crops such as a second read of missed ink;
        an engine without `read_lines` does a full predict."""
        return self._call(lambda engine, f: getattr(engine, "read_lines", engine.predict)(f), list(frames))

    def free_cache(self) -> None:
        self._call(lambda engine: getattr(engine, "free_cache", lambda: None)())

    def close(self) -> None:
        self._jobs.put(None)
        self._thread.join(timeout=30)


class SharedPage:
    """One page's parts that any engine of a pool may read: the layout model, then slices of the
    recogniser's crops once the detector has cut them. `take` hands out the next part; `wait` returns
    when every part handed out is done and no more will come."""

    def __init__(self) -> None:
        self._parts: deque = deque()
        self._lock = threading.Lock()
        self._running = 0
        self._closed = False
        self._settled = threading.Condition(self._lock)
        self.errors: list[BaseException] = []

    def add(self, parts, close: bool = False) -> None:
        with self._lock:
            self._parts.extend(parts)
            self._closed = self._closed or close
            self._settled.notify_all()

    def take(self):
        with self._lock:
            if not self._parts:
                return None
            self._running += 1
            return self._parts.popleft()

    def done(self, error: BaseException | None = None) -> None:
        with self._lock:
            self._running -= 1
            if error is not None:
                self.errors.append(error)
                self._parts.clear()  # the page has failed: read nothing more of it
            self._settled.notify_all()

    def fail(self, error: BaseException) -> None:
        """The page cannot be read (its detector failed): no more parts will come."""
        with self._lock:
            self.errors.append(error)
            self._parts.clear()
            self._closed = True
            self._settled.notify_all()

    def wait(self) -> None:
        with self._lock:
            self._settled.wait_for(lambda: self._closed and not self._parts and not self._running)

    @property
    def has_parts(self) -> bool:
        with self._lock:
            return bool(self._parts)


class EnginePool:
    """`spec.instances` inference workers behind one `predict`: each call borrows an idle engine, so
    as many pages as there are engines are read at once (the runtime's consumers).

    An engine that can read a page in parts (RapidEngine: detect, layout, recognise, assemble) shares
    its page: while the page's engine runs the detector, an idle engine may run the layout model, and
    once the crops are cut, idle engines read slices of them. An engine is idle at the end of every
    paper (its last page is on the other engine) and while a page waits for decoding; sharing fills
    that time. A caller waiting for an engine always goes first: a helping engine leaves after its
    slice. Each engine still runs only on its own thread.
    """

    CROPS_PER_PART = 4  # recogniser crops in one slice: small enough that the last slice ends soon

    def __init__(self, spec: EngineSpec, build: Callable[[EngineSpec], OcrEngine] | None = None) -> None:
        self.spec = spec
        self.workers = [InferenceWorker(spec, build) for _ in range(max(1, spec.instances))]
        self._idle: queue.SimpleQueue = queue.SimpleQueue()
        for worker in self.workers:
            self._idle.put(worker)
        self._lock = threading.Lock()
        self._waiting = 0  # callers waiting for an engine
        self._shared: list[SharedPage] = []  # pages with parts an idle engine may take
        engine = self.workers[0].engine
        self.shares_pages = len(self.workers) > 1 and all(
            callable(getattr(engine, name, None)) for name in ("detect", "layout", "rec_order", "recognise", "assemble"))
        self.parts_helped = 0  # parts read by an engine other than the page's own

    @property
    def instances(self) -> int:
        return len(self.workers)

    def _borrow(self) -> InferenceWorker:
        with self._lock:
            self._waiting += 1
        try:
            return self._idle.get()
        finally:
            with self._lock:
                self._waiting -= 1

    def _release(self, worker: InferenceWorker) -> None:
        self._idle.put(worker)
        self._recruit()

    def _recruit(self) -> None:
        """Idle engines start helping shared pages, unless a caller is waiting for one."""
        while True:
            with self._lock:
                if self._waiting or not any(page.has_parts for page in self._shared):
                    return
                try:
                    worker = self._idle.get_nowait()
                except queue.Empty:
                    return
            threading.Thread(target=self._help, args=(worker,), daemon=True, name="ocr-helper").start()

    def _next_part(self):
        with self._lock:
            if self._waiting:
                return None, None
            for page in self._shared:
                part = page.take()
                if part is not None:
                    return page, part
        return None, None

    def _help(self, worker: InferenceWorker) -> None:
        try:
            while True:
                page, part = self._next_part()
                if part is None:
                    break
                self._read_part(worker, page, part)
                with self._lock:
                    self.parts_helped += 1
        finally:
            self._release(worker)

    @staticmethod
    def _read_part(worker: InferenceWorker, page: SharedPage, part) -> None:
        try:
            worker.call(part)
        except BaseException as exc:
            page.done(exc)
        else:
            page.done()

    def _on_idle_worker(self, call: Callable[["InferenceWorker"], list[PageStructure]]) -> list[PageStructure]:
        worker = self._borrow()
        try:
            return call(worker)
        finally:
            self._release(worker)

    def _read_shared(self, frame: np.ndarray, with_layout: bool) -> PageStructure:
        started = time.perf_counter()
        blocks: list = []
        page = SharedPage()
        owner = self._borrow()
        try:
            if with_layout:  # needs no crops: an idle engine may run it while this one detects
                page.add([lambda engine: blocks.extend(engine.layout(frame))])
            with self._lock:
                self._shared.append(page)
            try:
                self._recruit()
                try:
                    detected = owner.call(lambda engine: engine.detect(frame))
                    batches = owner.call(lambda engine: engine.rec_order(detected))
                    texts: list = [None] * len(detected.rec_inputs)
                    page.add([self._slice_reader(detected.rec_inputs, indices, texts)
                              for indices in self._slices(batches)], close=True)
                except BaseException as exc:
                    page.fail(exc)
                self._recruit()  # an engine that ran the layout model has left: call it back for the slices
                while (part := page.take()) is not None:
                    self._read_part(owner, page, part)
                page.wait()
            finally:
                with self._lock:
                    self._shared.remove(page)
            if page.errors:
                raise page.errors[0]
            return owner.call(lambda engine: engine.assemble(detected, texts, blocks, started))
        finally:
            self._release(owner)

    def _slices(self, batches: list[list[int]]) -> list[list[int]]:
        """Whole recogniser batches, about CROPS_PER_PART crops a slice."""
        per_slice = max(1, self.CROPS_PER_PART // max(1, max((len(b) for b in batches), default=1)))
        return [sum(batches[i:i + per_slice], []) for i in range(0, len(batches), per_slice)]

    @staticmethod
    def _slice_reader(crops: list, indices: list[int], texts: list):
        def read(engine) -> None:
            for index, text in zip(indices, engine.recognise([crops[i] for i in indices]), strict=True):
                texts[index] = text
        return read

    def predict(self, frames: Sequence[np.ndarray]) -> list[PageStructure]:
        if self.shares_pages:
            return [self._read_shared(frame, with_layout=True) for frame in frames]
        return self._on_idle_worker(lambda worker: worker.predict(frames))

    def read_lines(self, frames: Sequence[np.ndarray]) -> list[PageStructure]:
        if self.shares_pages:
            return [self._read_shared(frame, with_layout=False) for frame in frames]
        return self._on_idle_worker(lambda worker: worker.read_lines(frames))

    def free_cache(self) -> None:
        for worker in self.workers:
            worker.free_cache()

    def close(self) -> None:
        for worker in self.workers:
            worker.close()


MODEL_LOADS = 0
_WORKERS: dict[EngineSpec, EnginePool] = {}
_WORKERS_LOCK = threading.Lock()


def get_worker(spec: EngineSpec) -> EnginePool:
    """The process-wide engines for `spec`, loading the model(s) on first use only."""
    with _WORKERS_LOCK:
        worker = _WORKERS.get(spec)
        if worker is None:
            worker = _WORKERS[spec] = EnginePool(spec)
        return worker


def shutdown_workers() -> None:
    with _WORKERS_LOCK:
        for worker in _WORKERS.values():
            worker.close()
        _WORKERS.clear()


atexit.register(shutdown_workers)


def engine_spec(name: str, params: RuntimeParams, det_limit_side_len: int | None = None, threads: int = -1) -> EngineSpec:
    """The spec the runtime parameters ask for: several single-threaded RapidOCR engines where
    `cpu_engines` says so (derive_params gives 1 whenever there is a GPU), on `cpu_backend`."""
    instances = params.cpu_engines if name == "rapidocr" else 1
    return EngineSpec(
        backend=params.cpu_backend if name == "rapidocr" else "onnxruntime",
        rec_precision=params.rec_precision if name == "rapidocr" else "fp32",
        name=name,
        det_limit_side_len=det_limit_side_len,
        rec_batch_size=params.rec_batch_size,
        det_batch_size=params.det_batch_size,
        threads=1 if instances > 1 and threads == -1 else threads,
        instances=instances,
    )


class OcrEngineResource(dg.ConfigurableResource):
    """Which engine to run and its knobs; the loaded engine itself is a per-process singleton."""

    engine: str = DEFAULT_ENGINE
    det_limit_side_len: int | None = None
    threads: int = -1

    def spec(self, params: RuntimeParams) -> EngineSpec:
        return engine_spec(self.engine, params, self.det_limit_side_len, self.threads)

    def worker(self, params: RuntimeParams) -> EnginePool:
        return get_worker(self.spec(params))
