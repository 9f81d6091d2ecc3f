"""The runtime's concurrency logic with a test double for the engine."""

import threading
from types import SimpleNamespace

import numpy as np
import pytest

from ocr_assets.runtime import run_inference
from resources.engines.base import OutOfMemory, PageStructure, TextLine
from resources.ocr_engine import EngineSpec, InferenceWorker


def frame(height=100, width=80, value=0):
    return np.full((height, width, 3), value, dtype=np.uint8)


class FakeEngine:
    """Reads the page number from the pixels; can run out of memory above a batch size."""

    name = "fake"

    def __init__(self, max_batch=None, always_oom=(), broken=()):
        self.max_batch, self.always_oom, self.broken = max_batch, set(always_oom), set(broken)
        self.batches, self.threads = [], set()
        self.freed = 0

    def load(self):
        pass

    def predict(self, frames):
        self.threads.add(threading.get_ident())
        pages = [int(f[0, 0, 0]) for f in frames]
        if self.max_batch and len(frames) > self.max_batch or self.always_oom & set(pages):
            raise OutOfMemory("CUDA out of memory (fake)")
        if self.broken & set(pages):
            raise ValueError("corrupt tensor (fake)")
        self.batches.append(pages)
        return [PageStructure(f.shape[1], f.shape[0], [TextLine(str(p), (0, 0, 1, 1), 1.0)]) for p, f in zip(pages, frames)]

    def free_cache(self):
        self.freed += 1

    def close(self):
        pass


def items(n, sizes=None):
    return [(i, (lambda i=i: frame(*(sizes[i - 1] if sizes else (100, 80)), value=i))) for i in range(1, n + 1)]


def texts(results):
    return [r.structure.lines[0].text if r.structure else None for r in results]


def test_results_come_back_in_page_order_with_batches():
    engine = FakeEngine()
    results, stats = run_inference(items(7), engine.predict, batch_size=3, prefetch_depth=2, decode_workers=3)
    assert [r.index for r in results] == list(range(1, 8))
    assert texts(results) == [str(i) for i in range(1, 8)]
    assert all(r.status == "ok" for r in results)
    assert sorted(sum(engine.batches, [])) == list(range(1, 8))
    assert max(len(b) for b in engine.batches) == 3
    assert stats.pages == 7 and stats.failed == 0 and sum(k * v for k, v in stats.batch_sizes.items()) == 7


def test_pages_of_different_size_are_not_batched_together():
    sizes = [(100, 80), (2000, 1400), (100, 80), (2000, 1400)]
    engine = FakeEngine()
    results, _ = run_inference(items(4, sizes), engine.predict, batch_size=2, decode_workers=1)
    assert sorted(map(sorted, engine.batches)) == [[1, 3], [2, 4]]
    assert texts(results) == ["1", "2", "3", "4"]


def test_oom_halves_the_batch_and_every_page_is_done():
    engine = FakeEngine(max_batch=1)
    results, stats = run_inference(items(8), engine.predict, batch_size=4, decode_workers=2, free_cache=engine.free_cache)
    assert [r.status for r in results] == ["ok"] * 8
    assert texts(results) == [str(i) for i in range(1, 9)]
    assert stats.oom_fallbacks >= 2 and engine.freed == stats.oom_fallbacks
    assert set(stats.batch_sizes) == {1}


def test_page_that_still_fails_at_batch_one_is_recorded_not_dropped():
    engine = FakeEngine(always_oom={3}, broken={5})
    results, stats = run_inference(items(6), engine.predict, batch_size=2, decode_workers=2, free_cache=engine.free_cache)
    assert len(results) == 6
    by_index = {r.index: r for r in results}
    assert by_index[3].status == "failed" and "out of memory at batch size 1" in by_index[3].error
    assert by_index[5].status == "failed" and "corrupt tensor" in by_index[5].error
    assert [r.status for i, r in sorted(by_index.items()) if i not in (3, 5)] == ["ok"] * 4
    assert stats.failed == 2


def test_decode_error_becomes_that_pages_error_not_a_hung_run():
    def bad():
        raise OSError("truncated PNG")

    work = items(3)
    work[1] = (2, bad)
    results, stats = run_inference(work, FakeEngine().predict, batch_size=2, prefetch_depth=1, decode_workers=2)
    assert [r.status for r in results] == ["ok", "failed", "ok"]
    assert "truncated PNG" in results[1].error


def test_empty_input():
    results, stats = run_inference([], FakeEngine().predict)
    assert results == [] and stats.pages == 0


def test_worker_runs_the_engine_on_one_dedicated_thread():
    engine = FakeEngine()
    worker = InferenceWorker(EngineSpec(name="fake"), build=lambda spec: engine)
    try:
        callers = [threading.Thread(target=lambda i=i: worker.predict([frame(value=i)])) for i in range(1, 9)]
        for t in callers:
            t.start()
        for t in callers:
            t.join()
        assert len(engine.threads) == 1 and threading.get_ident() not in engine.threads
        assert sorted(sum(engine.batches, [])) == list(range(1, 9))
    finally:
        worker.close()


def test_worker_load_error_reaches_the_caller():
    class Broken(FakeEngine):
        def load(self):
            raise RuntimeError("no models here")

    with pytest.raises(RuntimeError, match="no models here"):
        InferenceWorker(EngineSpec(name="broken"), build=lambda spec: Broken())


class SlowEngine(FakeEngine):
    """Counts how many predict calls overlap (each engine instance is its own object)."""

    in_flight = 0
    most_in_flight = 0
    lock = threading.Lock()

    def predict(self, frames):
        with SlowEngine.lock:
            SlowEngine.in_flight += 1
            SlowEngine.most_in_flight = max(SlowEngine.most_in_flight, SlowEngine.in_flight)
        try:
            threading.Event().wait(0.02)  # a page's compute, so the two engines overlap
            return super().predict(frames)
        finally:
            with SlowEngine.lock:
                SlowEngine.in_flight -= 1


def test_two_cpu_engines_work_on_different_pages_at_once_and_each_keeps_its_thread():
    from resources.ocr_engine import EnginePool

    engines = []

    def build(spec):
        engines.append(SlowEngine(max_batch=1, always_oom={5}))
        return engines[-1]

    SlowEngine.most_in_flight = 0
    pool = EnginePool(EngineSpec(name="fake", instances=2), build=build)
    try:
        results, stats = run_inference(items(12), pool.predict, batch_size=2, prefetch_depth=2, decode_workers=2,
                                       free_cache=pool.free_cache, engines=pool.instances)
    finally:
        pool.close()
    assert texts(results) == [str(i) if i != 5 else None for i in range(1, 13)]  # in page order
    assert "out of memory at batch size 1" in results[4].error  # the OOM path still ends every page
    assert SlowEngine.most_in_flight == 2 and all(len(e.threads) == 1 for e in engines)
    assert all(e.batches for e in engines)  # both engines did work
    assert engines[0].threads != engines[1].threads
    assert stats.engines == 2 and 0 < stats.engine_busy_fraction <= 1.0


def test_engine_spec_splits_the_cores_between_cpu_engines_only_for_rapidocr():
    from resources.hardware import Hardware, derive_params
    from resources.ocr_engine import engine_spec

    params = derive_params(Hardware(None, None, 20.0, 2), {})
    rapid = engine_spec("rapidocr", params)
    assert (rapid.instances, rapid.threads) == (2, 1)
    assert engine_spec("ppstructurev3", params).instances == 1
    assert engine_spec("rapidocr", params, threads=2).threads == 2  # an explicit --threads is kept


class PartsEngine(FakeEngine):
    """Reads a page in parts, as RapidEngine does: the page's pixel value says how many line crops
    it has; each crop reads as '<page>.<line>'. Records which thread read which crop."""

    def __init__(self, broken_crop=None, oom_crop=None):
        super().__init__()
        self.broken_crop, self.oom_crop = broken_crop, oom_crop
        self.read = []  # (thread, crop)

    def predict(self, frames):
        raise AssertionError("a pool of engines that read pages in parts never calls predict")

    def detect(self, rgb):
        self.threads.add(threading.get_ident())
        page = int(rgb[0, 0, 0])
        return SimpleNamespace(page=page, rec_inputs=[f"{page}.{line}" for line in range(page)])

    def layout(self, rgb):
        self.threads.add(threading.get_ident())
        return [f"layout of {int(rgb[0, 0, 0])}"]

    def rec_order(self, detected):
        return [[i] for i in range(len(detected.rec_inputs))]

    def recognise(self, crops):
        self.threads.add(threading.get_ident())
        threading.Event().wait(0.002 * len(crops))  # a crop's compute, so another engine can join
        if self.broken_crop in crops:
            raise ValueError("corrupt tensor (fake)")
        if self.oom_crop in crops:
            raise OutOfMemory("out of memory (fake)")
        self.read += [(threading.get_ident(), crop) for crop in crops]
        return [(crop, 0.9) for crop in crops]

    def assemble(self, detected, texts, blocks, started):
        self.threads.add(threading.get_ident())
        lines = [TextLine(text, (0, i, 1, i + 1), score) for i, (text, score) in enumerate(texts)]
        return PageStructure(80, 100, lines, blocks)


def parts_pool(**engine_kwargs):
    from resources.ocr_engine import EnginePool

    engines = []

    def build(spec):
        engines.append(PartsEngine(**engine_kwargs))
        return engines[-1]

    return EnginePool(EngineSpec(name="fake", instances=2), build=build), engines


def test_a_page_read_alone_is_shared_by_both_engines_each_on_its_own_thread():
    pool, engines = parts_pool()
    try:
        assert pool.shares_pages
        [page] = pool.predict([frame(value=40)])
    finally:
        pool.close()
    assert [line.text for line in page.lines] == [f"40.{i}" for i in range(40)]  # every crop, in order
    assert page.blocks == ["layout of 40"]
    assert all(e.read for e in engines), "the idle engine never helped"
    assert pool.parts_helped > 0
    assert all(len(e.threads) == 1 for e in engines) and engines[0].threads != engines[1].threads
    assert sorted(crop for e in engines for _, crop in e.read) == sorted(f"40.{i}" for i in range(40))  # each once


def test_shared_pages_keep_every_page_and_its_order_under_several_callers():
    pool, engines = parts_pool()
    try:
        results, stats = run_inference(items(12), pool.predict, prefetch_depth=2, decode_workers=2,
                                       engines=pool.instances)
        lines = pool.read_lines([frame(value=3)])[0]
    finally:
        pool.close()
    assert [r.status for r in results] == ["ok"] * 12
    assert [[line.text for line in r.structure.lines] for r in results] == [
        [f"{page}.{line}" for line in range(page)] for page in range(1, 13)]
    assert lines.blocks == [] and [line.text for line in lines.lines] == ["3.0", "3.1", "3.2"]  # no layout model
    assert all(len(e.threads) == 1 for e in engines)


@pytest.mark.parametrize("bad, error, kind", [({"broken_crop": "30.17"}, "engine error: corrupt tensor", ValueError),
                                              ({"oom_crop": "30.17"}, "out of memory at batch size 1", OutOfMemory)])
def test_a_slice_that_fails_on_either_engine_fails_its_page_only(bad, error, kind):
    pool, _ = parts_pool(**bad)
    try:
        with pytest.raises(kind):
            pool.predict([frame(value=30)])
        results, _ = run_inference([(1, lambda: frame(value=30)), (2, lambda: frame(value=20))], pool.predict,
                                   free_cache=pool.free_cache, engines=pool.instances)
        assert pool.predict([frame(value=5)])[0].lines  # both engines are back in the pool
    finally:
        pool.close()
    assert results[0].status == "failed" and error in results[0].error
    assert results[1].status == "ok" and len(results[1].structure.lines) == 20
