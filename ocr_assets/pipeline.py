"""The four stages as plain functions, shared by the Dagster assets and the `ocr-assets` CLI,
so both run exactly the same code path."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from ocr_assets.blanks import find_blanks
from ocr_assets.extraction import PageLines, extract_questions
from ocr_assets.figures import find_figures, split_figure_text
from ocr_assets.frames import Frame, write_frames
from ocr_assets.pages import enumerate_pages
from ocr_assets.reading_order import drop_page_furniture, furniture_key, reading_order, repeated_furniture
from ocr_assets.runtime import InferenceStats, PageResult
from ocr_assets.structure import ocr_frames
from ocr_assets.tables import Table, find_tables, replace_table_lines
from resources.engines.base import BBox, Block, PageStructure, TextLine
from resources.hardware import RuntimeParams
from resources.ocr_engine import InferenceWorker


def decode_paper(paper: Path, frames_dir: Path, params: RuntimeParams, pdf_dpi: int) -> list[Frame]:
    """Stages 1 and 2: the paper's pages, decoded once into frames on disk."""
    return write_frames(enumerate_pages(paper, pdf_dpi=pdf_dpi), frames_dir, workers=params.cpu_workers)


def questions_from(results: list[PageResult], frames: list[Frame], figures_dir: Path | None = None) -> list[dict]:
    """OCR structure of all pages -> contract-shaped question dicts, figures cropped and attached.

    Lines inside a figure (diagram labels, chart axes) are kept out of the question text."""
    frame_by_index = {f.index: f for f in frames}
    done = [r for r in results if r.structure is not None]
    running = repeated_furniture([(r.structure.lines, r.structure.height) for r in done])
    pages, figures_by_page = [], {}
    for result in done:
        s = result.structure
        figures, blanks, tables = image_findings(s, frame_by_index.get(result.index))
        body, _ = split_figure_text(s.lines, figures)
        body += [blank for blank in blanks if not split_figure_text([blank], figures)[1]]
        body = replace_table_lines(body, tables)
        body = [line for line in body if furniture_key(line.text) not in running]
        lines = reading_order(drop_page_furniture(body, s.width, s.height), s.width, s.height)
        pages.append(PageLines(page=result.index, width=s.width, height=s.height, lines=lines))
        figures_by_page[result.index] = figures
    questions = [q.to_dict() for q in extract_questions(pages)]
    attach_figures(questions, figures_by_page)
    if figures_dir is not None:
        crop_figures(questions, frame_by_index, figures_dir)
    return questions


def image_findings(structure: PageStructure, frame: Frame | None) -> tuple[list[BBox], list[TextLine], list[Table]]:
    """Figures, answer blanks and ruled tables found in the page image, in page pixels.

    The frame is decoded once; the rules run in frame pixels (a downscaled frame has scale < 1)."""
    scale = frame.scale if frame is not None else 1.0
    lines = _scaled(structure.lines, scale)
    blocks = [Block(b.label, tuple(v * scale for v in b.bbox), b.score) for b in structure.blocks]
    gray = None
    if frame is not None and frame.path is not None:
        with Image.open(frame.path) as image:
            gray = np.asarray(image.convert("L"))
    figures = [tuple(round(v / scale, 1) for v in box) for box in find_figures(gray, lines, blocks, structure.width * scale)]
    if gray is None:
        return figures, [], []
    blanks = _scaled(find_blanks(gray, lines), 1 / scale)
    tables = [Table(tuple(v / scale for v in t.bbox), t.rows) for t in find_tables(gray, lines)]
    return figures, blanks, tables


def _scaled(lines: list[TextLine], factor: float) -> list[TextLine]:
    return [TextLine(l.text, tuple(v * factor for v in l.bbox), l.confidence) for l in lines]


def attach_figures(questions: list[dict], figures_by_page: dict[int, list]) -> None:
    """Each figure goes to the question beside or above it on its page; its span grows to cover it."""
    for page, figures in figures_by_page.items():
        for box in figures:
            cy = (box[1] + box[3]) / 2
            on_page = [(q, span) for q in questions for span in q["spans"] if span["page"] == page]
            if not on_page:
                continue
            # on a spread or a two-column page, look in the figure's own column first
            same_column = [(q, sp) for q, sp in on_page if min(sp["bbox"][2], box[2]) - max(sp["bbox"][0], box[0]) > 0]
            on_page = same_column or on_page
            containing = [(q, sp) for q, sp in on_page if sp["bbox"][1] <= cy <= sp["bbox"][3]]
            above = [(q, sp) for q, sp in on_page if sp["bbox"][1] <= box[1]]
            if containing:
                owner, span = containing[-1]
            elif above:
                owner, span = max(above, key=lambda item: item[1]["bbox"][1])
            else:
                owner, span = min(on_page, key=lambda item: item[1]["bbox"][1])
            owner["figures"].append({"page": page, "bbox": [round(v) for v in box], "image": None})
            span["bbox"] = [round(min(span["bbox"][0], box[0])), round(min(span["bbox"][1], box[1])),
                            round(max(span["bbox"][2], box[2])), round(max(span["bbox"][3], box[3]))]


def crop_figures(questions: list[dict], frame_by_index: dict[int, Frame], figures_dir: Path) -> None:
    figures_dir.mkdir(parents=True, exist_ok=True)
    for stale in figures_dir.glob("q*.png"):
        stale.unlink()
    opened: dict[int, Image.Image] = {}  # each page decoded once, however many figures it holds
    try:
        for q in questions:
            for n, figure in enumerate(q["figures"], start=1):
                frame = frame_by_index.get(figure["page"])
                if frame is None or frame.path is None:
                    continue
                if frame.index not in opened:
                    opened[frame.index] = Image.open(frame.path)
                x0, y0, x1, y1 = (v * frame.scale for v in figure["bbox"])
                name = f"q{q['number']}-{n}.png"
                opened[frame.index].crop((int(x0), int(y0), int(x1 + 0.5), int(y1 + 0.5))).save(figures_dir / name)
                figure["image"] = f"{figures_dir.name}/{name}"
    finally:
        for image in opened.values():
            image.close()


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
    paper: Path, paper_key: str, worker: InferenceWorker, params: RuntimeParams, work_dir: Path, pdf_dpi: int,
    figures_dir: Path | None = None,
) -> tuple[dict, InferenceStats, dict]:
    """All four stages in process (the CLI's path; the assets call the same functions one by one)."""
    frames = decode_paper(paper, work_dir / "frames", params, pdf_dpi)
    results, stats, usage = ocr_frames(frames, worker, params)
    questions = questions_from(results, frames, figures_dir)
    return document(paper_key, worker.spec.name, frames, results, questions), stats, usage
