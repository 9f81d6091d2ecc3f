"""The four stages as four Dagster assets, one partition per paper. The assets are thin: they
wire resources to the stage functions and report what a person watching the run wants to see."""


import base64
import io
import os
from pathlib import Path

import dagster as dg
from PIL import Image

from ocr_assets.frames import Frame, write_frames
from ocr_assets.monitoring import usage_plot_md
from ocr_assets.pages import DEFAULT_PDF_DPI, PageRef, enumerate_pages
from ocr_assets.partitions import papers_partitions
from ocr_assets.pipeline import page_entries, questions_from
from ocr_assets.review import markdown_text, render_review
from ocr_assets.structure import ocr_frames, read_structures, write_structures
from resources import ocr_engine as engine_module
from resources.drop_folder import DropFolder
from resources.hardware import HardwareConfig, as_json, banner
from resources.ocr_engine import OcrEngineResource
from resources.storage import ArtifactStore, QuestionStore, replace_paper

GROUP = "exam_papers"


class PagesConfig(dg.Config):
    pdf_dpi: int = int(os.environ.get("EXAMPAPER_PDF_DPI", DEFAULT_PDF_DPI))


def _thumbnail_md(path: str, width: int = 360) -> str:
    with Image.open(path) as image:
        image.thumbnail((width, width * 2))
        buffer = io.BytesIO()
        image.convert("L").save(buffer, format="JPEG", quality=60)
    return f"![page](data:image/jpeg;base64,{base64.b64encode(buffer.getvalue()).decode()})"


@dg.asset(partitions_def=papers_partitions, group_name=GROUP, kinds={"pdf"})
def pages(context: dg.AssetExecutionContext, config: PagesConfig, drop_folder: DropFolder) -> list[dict]:
    """The paper's pages: PDF pages (rendered at `pdf_dpi`), one image, or a folder of images in natural order."""
    paper = drop_folder.find(context.partition_key)
    refs = enumerate_pages(paper, pdf_dpi=config.pdf_dpi)
    context.add_output_metadata({
        "paper": str(paper.resolve()),
        "page_count": len(refs),
        "sources": dg.MetadataValue.md("\n".join(f"{r.index}. `{r.source}`" for r in refs[:50])),
        "pdf_dpi": config.pdf_dpi if refs[0].pdf_page is not None else None,
    })
    return [r.to_dict() for r in refs]


@dg.asset(partitions_def=papers_partitions, group_name=GROUP, kinds={"image"})
def decoded_frames(
    context: dg.AssetExecutionContext, pages: list[dict], hardware: HardwareConfig, artifacts: ArtifactStore
) -> list[dict]:
    """Normalised RGB page frames written once to disk, with a manifest (path, size, dpi, checksum)."""
    _, params = hardware.detect()
    out_dir = artifacts.paper_dir("frames", context.partition_key)
    frames = write_frames([PageRef(**p) for p in pages], out_dir, workers=params.cpu_workers)
    failed = [f for f in frames if f.status != "ok"]
    for frame in failed:
        context.log.warning(f"page {frame.index} ({frame.source}): {frame.error}")
    first_ok = next((f for f in frames if f.status == "ok"), None)
    context.add_output_metadata({
        "frames": len(frames),
        "failed": len(failed),
        "failures": dg.MetadataValue.json({f.index: f.error for f in failed}),
        "frames_dir": dg.MetadataValue.path(str(out_dir.resolve())),
        "total_mb": round(sum(Path(f.path).stat().st_size for f in frames if f.path) / 2**20, 2),
        "first_page": dg.MetadataValue.md(_thumbnail_md(first_ok.path)) if first_ok else "no readable page",
    })
    return [f.to_dict() for f in frames]


@dg.asset(partitions_def=papers_partitions, group_name=GROUP, kinds={"python"}, pool="ocr_engine")
def ocr_structure(
    context: dg.AssetExecutionContext,
    pages: list[dict],
    decoded_frames: list[dict],
    ocr_engine: OcrEngineResource,
    hardware: HardwareConfig,
    artifacts: ArtifactStore,
) -> list[dict]:
    """Blocks and text lines per page in reading-ready form, one JSON per page, from the process's warm engine."""
    hw, params = hardware.detect()
    context.log.info("hardware and runtime parameters:\n" + banner(hw, params))
    worker = ocr_engine.worker(params)
    frames = [Frame(**f) for f in decoded_frames]
    results, stats, usage = ocr_frames(frames, worker, params, [PageRef(**p) for p in pages])
    index = write_structures(results, artifacts.paper_dir("ocr", context.partition_key))
    failures = {r.index: r.error for r in results if r.status != "ok"}
    for page, error in failures.items():
        context.log.warning(f"page {page}: {error}")
    plot = usage_plot_md(usage.pop("samples"))
    read_by = usage.pop("read_by")
    context.add_output_metadata({
        "engine": worker.spec.name,
        "pages": stats.pages,
        "pages_from_text_layer": sum(1 for how in read_by.values() if how == "text_layer"),
        "read_by": dg.MetadataValue.json({str(k): v for k, v in read_by.items()}),
        "failed_pages": len(failures),
        "failures": dg.MetadataValue.json(failures),
        "wall_s": round(stats.wall_s, 3),
        "s_per_page": round(stats.s_per_page, 3),
        "pages_per_s": round(stats.pages_per_s, 3),
        "engine_busy_fraction": round(stats.engine_busy_fraction, 3),
        "wait_for_frames_s": round(stats.wait_for_frames_s, 3),
        "batch_sizes": dg.MetadataValue.json({str(k): v for k, v in sorted(stats.batch_sizes.items())}),
        "oom_fallbacks": stats.oom_fallbacks,
        "engines": worker.instances,
        "model_loads_in_process": engine_module.MODEL_LOADS,
        "worker_pid": os.getpid(),
        **{k: v for k, v in usage.items() if v is not None},
        "hardware": dg.MetadataValue.json(as_json(hw, params)),
        "utilisation_plot": dg.MetadataValue.md(plot or "run too short to plot"),
    })
    return index


@dg.asset(partitions_def=papers_partitions, group_name=GROUP, kinds={"sql"})
def exam_questions(
    context: dg.AssetExecutionContext,
    decoded_frames: list[dict],
    ocr_structure: list[dict],
    drop_folder: DropFolder,
    ocr_engine: OcrEngineResource,
    store: QuestionStore,
    artifacts: ArtifactStore,
) -> dict:
    """Questions extracted from the OCR structure and written to the database, replacing the paper's old rows."""
    key = context.partition_key
    results = read_structures(artifacts.paper_dir("ocr", key))
    frames = [Frame(**f) for f in decoded_frames]
    review_dir = artifacts.paper_dir("review", key)
    questions = questions_from(results, frames, review_dir / "figures")
    entries = page_entries(frames, results)
    review_html, _ = render_review(
        {"paper": key, "engine": ocr_engine.engine, "pages": entries, "questions": questions}, frames, review_dir
    )
    paper = drop_folder.find(key)
    paper_id = replace_paper(
        store.engine(),
        {"key": key, "name": paper.name, "source_path": str(paper.resolve()), "engine": ocr_engine.engine},
        entries,
        questions,
    )
    preview = "\n".join(
        f"| {q['number']} | {q['type']} | {q['score'] if q['score'] is not None else ''} | "
        f"{markdown_text(q['stem'][:60]).replace('|', '/')} | {len(q['options'])} | {len(q['sub_questions'])} |"
        for q in questions[:15]
    )
    context.add_output_metadata({
        "questions": len(questions),
        "numbers": ", ".join(q["number"] for q in questions),
        "failed_pages": sum(1 for e in entries if e["status"] != "ok"),
        "paper_id": paper_id,
        "review_page": dg.MetadataValue.path(str(review_html.resolve())),
        "database": store.engine().url.render_as_string(hide_password=True),
        "preview": dg.MetadataValue.md(
            "| # | type | score | stem | options | sub |\n|---|---|---|---|---|---|\n" + preview
        ),
    })
    return {"paper_id": paper_id, "questions": len(questions)}
