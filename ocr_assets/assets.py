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
from ocr_assets.pages import DEFAULT_PDF_DPI, SUPPORTED, BadPaper, PageRef, enumerate_pages
from ocr_assets.partitions import papers_partitions
from ocr_assets.pipeline import page_entries, questions_from
from ocr_assets.review import markdown_text, render_review
from ocr_assets.review_server import inline_plot, review_url
from ocr_assets.structure import ocr_frames, read_structures, write_structures
from resources import ocr_engine as engine_module
from resources.drop_folder import DropFolder, DroppedPaper
from resources.hardware import HardwareConfig, as_json, banner
from resources.ocr_engine import OcrEngineResource
from resources.storage import ArtifactStore, QuestionStore, record_paper_failure, replace_paper

GROUP = "exam_papers"


class PagesConfig(dg.Config):
    pdf_dpi: int = int(os.environ.get("EXAMPAPER_PDF_DPI", DEFAULT_PDF_DPI))


def _thumbnail_md(path: str, width: int = 360) -> str:
    with Image.open(path) as image:
        image.thumbnail((width, width * 2))
        buffer = io.BytesIO()
        image.convert("L").save(buffer, format="JPEG", quality=60)
    return f"![page](data:image/jpeg;base64,{base64.b64encode(buffer.getvalue()).decode()})"


# Run tags of a refused paper: the reconcile schedule and the sensor skip it until its bytes change.
REFUSED_TAG = "exampaper/refused"
REFUSED_SHA_TAG = "exampaper/refused_sha256"


@dg.asset(partitions_def=papers_partitions, group_name=GROUP, kinds={"pdf"})
def pages(
    context: dg.AssetExecutionContext,
    config: PagesConfig,
    drop_folder: DropFolder,
    store: QuestionStore,
    ocr_engine: OcrEngineResource,
    artifacts: ArtifactStore,
) -> list[dict]:
    """The paper's pages: PDF or Word pages (rendered at `pdf_dpi`), one image, or a folder of images in natural order.
    A file that cannot be read is refused once: a failure that is never retried, and a "refused" row in the database."""
    dropped = drop_folder.get(context.partition_key)
    try:
        if dropped.problem:
            raise BadPaper(dropped.problem, dropped.reason or "unreadable")
        refs = enumerate_pages(dropped.path, pdf_dpi=config.pdf_dpi, converted_dir=Path(artifacts.data_dir) / "converted")
    except BadPaper as exc:
        raise _refuse(context, dropped, exc, store, ocr_engine.engine) from exc
    paper = dropped.path
    context.add_output_metadata({
        "paper": str(paper.resolve()),
        "page_count": len(refs),
        "sources": dg.MetadataValue.md("\n".join(f"{r.index}. `{r.source}`" for r in refs[:50])),
        "pdf_dpi": config.pdf_dpi if refs[0].pdf_page is not None else None,
        "read_as": "PDF converted by LibreOffice" if dropped.kind == "word" else dropped.kind,
    })
    return [r.to_dict() for r in refs]


def _refuse(
    context: dg.AssetExecutionContext, dropped: DroppedPaper, exc: BadPaper, store: QuestionStore, engine: str
) -> dg.Failure:
    """Record the refusal (database row, run tags) and the Failure to raise: retrying cannot help."""
    message = str(exc)
    sha = dropped.content_hash()
    paper_id = record_paper_failure(
        store.engine(),
        {"key": dropped.key, "name": dropped.path.name, "source_path": str(dropped.path.absolute()), "engine": engine},
        message,
        "bad_file",
    )
    # max_retries 0 on this run: Dagster's run retries would otherwise re-run a file that cannot change by itself
    context.instance.add_run_tags(
        context.run_id, {REFUSED_TAG: exc.reason, REFUSED_SHA_TAG: sha, "dagster/max_retries": "0"}
    )
    context.log.error(f"refused: {message}")
    return dg.Failure(
        description=f"Refused {dropped.path.name}: {message}",
        metadata={
            "file": str(dropped.path.absolute()),
            "reason": exc.reason,
            "error": message,
            "supported": SUPPORTED,
            "paper_id": paper_id,
            "sha256": sha,
            "what_next": "replace the file in the drop folder; it is read again once its bytes change",
        },
        allow_retries=False,
    )


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
    helped_before = worker.parts_helped
    results, stats, usage = ocr_frames(frames, worker, params, [PageRef(**p) for p in pages])
    index = write_structures(results, artifacts.paper_dir("ocr", context.partition_key))
    failures = {r.index: r.error for r in results if r.status != "ok"}
    for page, error in failures.items():
        context.log.warning(f"page {page}: {error}")
    plot = usage_plot_md(usage.pop("samples"))
    read_by = usage.pop("read_by")
    ink_reread = usage.pop("ink_reread")
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
        "ink_reread": dg.MetadataValue.json(ink_reread),
        "engines": worker.instances,
        # parts of a page (layout model, slices of line crops) read by an engine that had no page of its own
        "parts_read_by_idle_engine": worker.parts_helped - helped_before,
        "model_loads_in_process": engine_module.MODEL_LOADS,
        "worker_pid": os.getpid(),
        **{k: v for k, v in usage.items() if v is not None},
        "hardware": dg.MetadataValue.json(as_json(hw, params)),
        "utilisation_plot": dg.MetadataValue.md(
            inline_plot(plot, artifacts.paper_dir("review", context.partition_key) / "utilisation.png",
                        Path(artifacts.data_dir) / "review") if plot else "run too short to plot"
        ),
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
        "review_link": dg.MetadataValue.url(review_url(review_html, Path(artifacts.data_dir) / "review")),
        "database": store.engine().url.render_as_string(hide_password=True),
        "preview": dg.MetadataValue.md(
            "| # | type | score | stem | options | sub |\n|---|---|---|---|---|---|\n" + preview
        ),
    })
    return {"paper_id": paper_id, "questions": len(questions)}
