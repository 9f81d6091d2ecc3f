"""Stage 3 — frames become OCR structure: blocks and text lines per page, saved as JSON.

Coordinates are mapped back from frame pixels to the page image as given (or the PDF page at
its render dpi), which is what the output contract promises.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from ocr_assets.frames import Frame, load_frame
from ocr_assets.ink import recover_uncovered_ink
from ocr_assets.monitoring import ResourceSampler
from ocr_assets.runtime import InferenceStats, PageResult, run_inference
from resources.engines.base import Block, PageStructure, TextLine
from resources.hardware import RuntimeParams
from resources.ocr_engine import EnginePool


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


def ocr_frames(
    frames: list[Frame], worker: EnginePool, params: RuntimeParams
) -> tuple[list[PageResult], InferenceStats, dict]:
    """Run every decodable frame through the engine; frames that failed to decode stay failed."""
    readable = [f for f in frames if f.status == "ok"]
    done = [0]

    def predict(batch):
        structures = worker.predict(batch)
        if params.ink_reread:  # formula runs the detector missed: one more read on the same engines
            read = getattr(worker, "read_lines", worker.predict)
            structures = [recover_uncovered_ink(frame, s, read)[0] for frame, s in zip(batch, structures)]
        done[0] += len(batch)
        return structures

    with ResourceSampler(progress=lambda: done[0]) as sampler:
        results, stats = run_inference(
            [(f.index, lambda f=f: load_frame(f)) for f in readable],
            predict,
            batch_size=params.det_batch_size,
            prefetch_depth=params.prefetch_depth,
            decode_workers=params.cpu_workers,
            free_cache=worker.free_cache,
            engines=worker.instances,
        )
    by_index = {r.index: r for r in results}
    scale = {f.index: f.scale for f in frames}
    ordered = []
    for frame in frames:
        result = by_index.get(frame.index) or PageResult(frame.index, "failed", error=frame.error)
        if result.structure is not None:
            result.structure = to_source_pixels(result.structure, scale[frame.index])
        ordered.append(result)
    stats.failed = sum(1 for r in ordered if r.status != "ok")
    return ordered, stats, sampler.summary() | {"samples": sampler.samples}


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
