"""The four stages as plain functions, shared by the Dagster assets and the `ocr-assets` CLI,
so both run exactly the same code path."""

from __future__ import annotations

from pathlib import Path

from ocr_assets.extraction import PageLines, extract_questions
from ocr_assets.frames import Frame, write_frames
from ocr_assets.pages import PageRef, enumerate_pages
from ocr_assets.reading_order import drop_page_furniture, reading_order
from ocr_assets.runtime import InferenceStats, PageResult
from ocr_assets.structure import ocr_frames
from resources.hardware import RuntimeParams
from resources.ocr_engine import InferenceWorker


def decode_paper(paper: Path, frames_dir: Path, params: RuntimeParams, pdf_dpi: int) -> tuple[list[PageRef], list[Frame]]:
    refs = enumerate_pages(paper, pdf_dpi=pdf_dpi)
    return refs, write_frames(refs, frames_dir, workers=params.cpu_workers)


def questions_from(results: list[PageResult]) -> list[dict]:
    """OCR structure of all pages -> contract-shaped question dicts."""
    pages = []
    for result in results:
        if result.structure is None:
            continue
        s = result.structure
        lines = reading_order(drop_page_furniture(s.lines, s.width, s.height), s.width, s.height)
        pages.append(PageLines(page=result.index, width=s.width, height=s.height, lines=lines))
    return [q.to_dict() for q in extract_questions(pages)]


def page_entries(frames: list[Frame], results: list[PageResult]) -> list[dict]:
    """The contract's `pages` list: every page, with its status and, if it failed, why."""
    by_index = {r.index: r for r in results}
    entries = []
    for frame in frames:
        result = by_index.get(frame.index)
        structure = result.structure if result else None
        entries.append({
            "index": frame.index,
            "source": frame.source,
            "width": structure.width if structure else round(frame.width / frame.scale),
            "height": structure.height if structure else round(frame.height / frame.scale),
            "dpi": frame.dpi,
            "status": result.status if result else frame.status,
            "error": (result.error if result else None) or frame.error,
        })
    return entries


def document(paper_key: str, engine: str, frames: list[Frame], results: list[PageResult], questions: list[dict]) -> dict:
    return {"paper": paper_key, "engine": engine, "pages": page_entries(frames, results), "questions": questions}


def extract_paper(
    paper: Path, paper_key: str, worker: InferenceWorker, params: RuntimeParams, work_dir: Path, pdf_dpi: int
) -> tuple[dict, InferenceStats, dict]:
    """All four stages in process (the CLI's path; the assets call the same functions one by one)."""
    _, frames = decode_paper(paper, work_dir / "frames", params, pdf_dpi)
    results, stats, usage = ocr_frames(frames, worker, params)
    return document(paper_key, worker.spec.name, frames, results, questions_from(results)), stats, usage
