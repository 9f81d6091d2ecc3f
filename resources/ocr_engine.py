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
    backend: str = "onnxruntime"  # RapidOCR's CPU runtime: onnxruntime or openvino (hardware.CPU_BACKENDS)
    rec_precision: str = "fp32"  # RapidOCR's recogniser: bundled f32 or its cached int8 copy (hardware.REC_PRECISIONS)

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


class EnginePool:
    """`spec.instances` inference workers behind one `predict`: each call borrows an idle engine, so
    as many batches as there are engines run at once (the runtime's consumers)."""

    def __init__(self, spec: EngineSpec, build: Callable[[EngineSpec], OcrEngine] | None = None) -> None:
        self.spec = spec
        self.workers = [InferenceWorker(spec, build) for _ in range(max(1, spec.instances))]
        self._idle: queue.SimpleQueue = queue.SimpleQueue()
        for worker in self.workers:
            self._idle.put(worker)

    @property
    def instances(self) -> int:
        return len(self.workers)

    def _on_idle_worker(self, call: Callable[["InferenceWorker"], list[PageStructure]]) -> list[PageStructure]:
        worker = self._idle.get()
        try:
            return call(worker)
        finally:
            self._idle.put(worker)

    def predict(self, frames: Sequence[np.ndarray]) -> list[PageStructure]:
        return self._on_idle_worker(lambda worker: worker.predict(frames))

    def read_lines(self, frames: Sequence[np.ndarray]) -> list[PageStructure]:
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
