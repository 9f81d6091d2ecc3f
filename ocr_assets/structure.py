"""Stage 3 — frames become OCR structure: blocks and text lines per page, saved as JSON.

Coordinates are mapped back from frame pixels to the page image as given (or the PDF page at
its render dpi), which is what the output contract promises.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Callable

import numpy as np

from ocr_assets.frames import Frame, FrameImage, load_frame
from ocr_assets.ink import recover_uncovered_ink
from ocr_assets.monitoring import ResourceSampler
from ocr_assets.pages import PageRef
from ocr_assets.runtime import InferenceStats, PageResult, run_inference
from ocr_assets.text_layer import OCR, TEXT_LAYER, TextLayerPage, read_text_layer, reads_as_formula
from resources.engines.base import Block, PageStructure, TextLine
from resources.hardware import RuntimeParams
from resources.ocr_engine import EnginePool

REGION_PAD_PX = 16  # white paper around an image region, so the detector sees its edges


def to_source_pixels(structure: PageStructure, scale: float) -> PageStructure:
    if scale == 1.0:
        return structure

    def box(b):
        return tuple(round(v / scale, 1) for v in b)

    return replace(
        structure,
        width=round(structure.width / scale),
        height=round(structure.height / scale),
        lines=[
            TextLine(l.text, box(l.bbox), l.confidence, tuple((x / scale, y / scale) for x, y in l.polygon))
            for l in structure.lines
        ],
        blocks=[Block(b.label, box(b.bbox), b.score) for b in structure.blocks],
    )


def read_text_layers(refs: list[PageRef], frames: list[Frame]) -> tuple[dict[int, TextLayerPage], dict[int, tuple]]:
    """The text layer of every decoded PDF page, with its verdict (checked against the frame's ink);
    a layer that cannot be read leaves its page to OCR, with the reason. Also, per page read from its
    layer that has image regions, the (load, placements) of their stack under the page's index negated:
    cut from the same decode of the frame as the ink check, so only the regions stay in memory."""
    decoded = {f.index for f in frames if f.status == "ok"}
    layers, regions = {}, {}
    for ref in refs:
        if ref.pdf_page is None or ref.index not in decoded:
            continue
        frame = next(f for f in frames if f.index == ref.index)
        pixels = FrameImage(frame)  # decoded only if the layer gets as far as the ink check
        try:
            try:
                layers[ref.index] = read_text_layer(ref.file, ref.pdf_page, ref.dpi or 150, pixels.gray, frame.scale)
            except Exception as exc:  # a broken layer costs the page its shortcut, never the page
                layers[ref.index] = TextLayerPage(0, 0, read_by=OCR, reason=f"text layer not readable: {exc}")
            layer = layers[ref.index]
            if layer.read_by == TEXT_LAYER and layer.regions:
                load, placements = _regions_loader(frame, layer.regions, pixels.engine_rgb)
                regions[-ref.index] = (_already_loaded(load), placements)
        finally:
            pixels.release()
    return layers, regions


def _already_loaded(load: Callable[[], np.ndarray]) -> Callable[[], np.ndarray]:
    """`load` run now; the loader gives its result (or raises its error, as the page's) later."""
    try:
        stack = load()
    except Exception as exc:
        error = exc

        def fail() -> np.ndarray:
            raise error
        return fail
    return lambda: stack


def _regions_loader(frame: Frame, boxes: list, page_pixels: Callable[[], np.ndarray] | None = None) -> tuple:
    """(load, placements) for a page's image regions stacked into one padded image, so the engine
    is called once per page: placements are (top in the stack, bottom, x and y offset to frame pixels).
    `page_pixels` gives the frame as the engine reads it (default: decoded from its file)."""
    crops, placements, top = [], [], 0
    for box in boxes:
        x0, y0, x1, y1 = (int(round(v * frame.scale)) for v in box)
        crops.append((x0, y0, x1, y1))
        height = y1 - y0 + 2 * REGION_PAD_PX
        placements.append((top, top + height, x0 - REGION_PAD_PX, y0 - REGION_PAD_PX - top))
        top += height
    width = max(x1 - x0 for x0, _, x1, _ in crops) + 2 * REGION_PAD_PX

    def load() -> np.ndarray:
        page = page_pixels() if page_pixels is not None else load_frame(frame)
        stack = np.full((top, width, 3), 255, dtype=np.uint8)
        for (x0, y0, x1, y1), (row, *_) in zip(crops, placements):
            crop = page[y0:y1, x0:x1]
            stack[row + REGION_PAD_PX: row + REGION_PAD_PX + crop.shape[0], REGION_PAD_PX: REGION_PAD_PX + crop.shape[1]] = crop
        return stack

    return load, placements


def ocr_frames(
    frames: list[Frame], worker: EnginePool, params: RuntimeParams, refs: list[PageRef] | None = None
) -> tuple[list[PageResult], InferenceStats, dict]:
    """Run every decodable frame through the engine; frames that failed to decode stay failed.

    With `refs`, a PDF page whose text layer holds its text is read from the layer instead, and
    only its images go to the engine; `usage["read_by"]` says per page which way and why."""
    started = time.perf_counter()
    # a page's image regions go to the engine as one stack, under the page's index negated
    layers, regions = read_text_layers(refs, frames) if refs else ({}, {})
    from_layer = {index: layer for index, layer in layers.items() if layer.read_by == TEXT_LAYER}
    readable = [f for f in frames if f.status == "ok" and f.index not in from_layer]
    frame_by_index = {f.index: f for f in frames}
    done = [0]

    def counted(predict):
        def run(batch):
            structures = predict(batch)
            done[0] += len(batch)
            return structures
        return run

    read_lines = getattr(worker, "read_lines", worker.predict)  # text only, no layout model
    ink = InkCost()

    def timed_read_lines(frames):
        began = time.perf_counter()
        try:
            return read_lines(frames)
        finally:
            ink.add(engine_calls=1, engine_s=time.perf_counter() - began)

    def read_pages(batch):
        structures = worker.predict(batch)
        if params.ink_reread:  # formula runs the detector missed: one more read on the same engines
            recovered = []
            for frame, structure in zip(batch, structures):
                began, cpu_began = time.perf_counter(), time.thread_time()
                page, report, added = recover_uncovered_ink(frame, structure, timed_read_lines)
                ink.add(pages=1, wall_s=time.perf_counter() - began, thread_cpu_s=time.thread_time() - cpu_began,
                        regions=len(report.regions), lines_added=len(added))
                recovered.append(page)
            structures = recovered
        return structures

    def infer(items, predict):
        return run_inference(items, counted(predict), batch_size=params.det_batch_size, prefetch_depth=params.prefetch_depth,
                             decode_workers=params.cpu_workers, free_cache=worker.free_cache, engines=worker.instances)

    with ResourceSampler(progress=lambda: done[0]) as sampler:
        results, stats = infer([(f.index, lambda f=f: load_frame(f)) for f in readable], read_pages)
        if regions:  # image regions need text only: the engine skips its layout model for them
            region_results, region_stats = infer([(stack_id, load) for stack_id, (load, _) in regions.items()],
                                                 read_lines)
            results += region_results
            stats.engine_busy_s += region_stats.engine_busy_s
            stats.batch_sizes += region_stats.batch_sizes
    stats.wall_s = time.perf_counter() - started  # reading the text layers included
    by_index = {r.index: r for r in results}
    scale = {f.index: f.scale for f in frames}
    for index, layer in from_layer.items():
        by_index[index] = _text_layer_result(index, layer, frame_by_index[index], regions, by_index)
    ordered = []
    for frame in frames:
        result = by_index.get(frame.index) or PageResult(frame.index, "failed", error=frame.error)
        if result.structure is not None:
            result.structure = to_source_pixels(result.structure, scale[frame.index])
        ordered.append(result)
    stats.pages = len(frames)
    stats.failed = sum(1 for r in ordered if r.status != "ok")
    read_by = {i: TEXT_LAYER if i in from_layer else f"{OCR}: {layers[i].reason}" if i in layers else OCR
               for i in (f.index for f in frames)}
    return ordered, stats, sampler.summary() | {"samples": sampler.samples, "read_by": read_by, "ink_reread": ink.summary()}


class InkCost:
    """What the second read of uncovered ink cost in one OCR step (summed over pages, thread-safe):
    `wall_s` includes the engine calls (`engine_s`); `thread_cpu_s` is the analysis's own CPU on the
    calling thread (the engine computes on its own threads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.totals = {"pages": 0, "regions": 0, "engine_calls": 0, "lines_added": 0,
                       "wall_s": 0.0, "engine_s": 0.0, "thread_cpu_s": 0.0}

    def add(self, **amounts) -> None:
        with self._lock:
            for key, value in amounts.items():
                self.totals[key] += value

    def summary(self) -> dict:
        with self._lock:
            return {k: round(v, 3) if isinstance(v, float) else v for k, v in self.totals.items()}


def _text_layer_result(index: int, layer: TextLayerPage, frame: Frame, regions: dict, by_index: dict) -> PageResult:
    """A text-layer page as the engine would give it, in frame pixels: the layer's lines, plus the
    formulas the engine read in the page's image regions; a region that reads as no formula is a
    figure; regions the engine failed on are noted, not fatal."""
    lines = [TextLine(l.text, tuple(v * frame.scale for v in l.bbox), l.confidence) for l in layer.lines]
    blocks = [Block(b.label, tuple(v * frame.scale for v in b.bbox), b.score) for b in layer.blocks()]
    error = None
    if -index in regions:
        result = by_index.pop(-index, None)
        placements = regions[-index][1]
        read = [[] for _ in placements]
        if result is None or result.structure is None:
            error = f"{len(layer.regions)} image region(s) in text lines not OCR'd: {result.error if result else 'no result'}"
        else:
            for line in result.structure.lines:
                middle = (line.y0 + line.y1) / 2
                at = next((k for k, p in enumerate(placements) if p[0] <= middle < p[1]), len(placements) - 1)
                dx, dy = placements[at][2:]
                read[at].append(TextLine(line.text, (line.x0 + dx, line.y0 + dy, line.x1 + dx, line.y1 + dy), line.confidence))
        for box, found in zip(layer.regions, read):
            if reads_as_formula(found):
                lines += found
            else:
                blocks.append(Block("figure", tuple(v * frame.scale for v in box), 1.0))
    structure = PageStructure(frame.width, frame.height, lines, blocks, TEXT_LAYER, layer.elapsed_s)
    return PageResult(index, "ok", structure, error)


def write_structures(results: list[PageResult], out_dir: Path) -> list[dict]:
    """One JSON per page plus an index; returns the index entries."""
    out_dir.mkdir(parents=True, exist_ok=True)
    index = []
    for result in results:
        path = out_dir / f"page-{result.index:04d}.json"
        if result.structure is not None:
            path.write_text(json.dumps(result.structure.to_dict(), ensure_ascii=False))
        elif path.exists():
            path.unlink()
        index.append({"index": result.index, "status": result.status, "error": result.error,
                      "path": str(path) if result.structure is not None else None})
    (out_dir / "index.json").write_text(json.dumps(index, indent=1, ensure_ascii=False))
    return index


def read_structures(out_dir: Path) -> list[PageResult]:
    results = []
    for entry in json.loads((out_dir / "index.json").read_text()):
        structure = PageStructure.from_dict(json.loads(Path(entry["path"]).read_text())) if entry["path"] else None
        results.append(PageResult(entry["index"], entry["status"], structure, entry["error"]))
    return results
