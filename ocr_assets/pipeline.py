"""The four stages as plain functions, shared by the Dagster assets and the `ocr-assets` CLI,
so both run exactly the same code path."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from ocr_assets.blanks import ANSWER_BOX, drop_misread_boxes, find_answer_boxes, find_blanks, place_blanks
from ocr_assets.extraction import PageLines, extract_questions
from ocr_assets.figures import find_figures, is_qr_code, repeated_figures, split_figure_text
from ocr_assets.formula_lines import join_formula_pieces
from ocr_assets.frames import Frame, write_frames
from ocr_assets.pages import enumerate_pages
from ocr_assets.reading_order import (
    drop_page_furniture,
    in_side_margin,
    is_running_header,
    reading_order,
    repeated_furniture,
    running_titles,
)
from ocr_assets.runtime import InferenceStats, PageResult
from ocr_assets.structure import ocr_frames
from ocr_assets.tables import Table, find_tables, replace_table_lines
from ocr_assets.text_layer import TEXT_LAYER
from resources.engines.base import BBox, Block, PageStructure, TextLine
from resources.hardware import RuntimeParams
from resources.ocr_engine import EnginePool


def decode_paper(paper: Path, frames_dir: Path, params: RuntimeParams, pdf_dpi: int) -> list[Frame]:
    """Stages 1 and 2: the paper's pages, decoded once into frames on disk."""
    return write_frames(enumerate_pages(paper, pdf_dpi=pdf_dpi), frames_dir, workers=params.cpu_workers)


def questions_from(results: list[PageResult], frames: list[Frame], figures_dir: Path | None = None) -> list[dict]:
    """OCR structure of all pages -> contract-shaped question dicts, figures cropped and attached.

    Lines inside a figure (diagram labels, chart axes) are kept out of the question text."""
    frame_by_index = {f.index: f for f in frames}
    done = [r for r in results if r.structure is not None]
    running = repeated_furniture([(r.structure.lines, r.structure.height) for r in done])
    titles = running_titles(done[0].structure.lines, done[0].structure.height) if done else []
    findings = {r.index: image_findings(r.structure, frame_by_index.get(r.index)) for r in done}
    logos = repeated_figures({index: found[0] for index, found in findings.items()})
    pages, figures_by_page = [], {}
    for result in done:
        s = result.structure
        figures, blanks, tables, codes = findings[result.index]
        # a logo or watermark on every page is furniture: it and the text OCR reads inside it go
        # so are the boxes of a binding margin (座位号 □□, 准考证号 □□□) and QR codes
        page_logos = [box for box in figures if (result.index, box) in logos or in_side_margin(box, s.width) or box in codes]
        figures = [box for box in figures if box not in page_logos]
        body, _ = split_figure_text(split_figure_text(s.lines, page_logos)[0], figures)
        answer_spaces = [blank for blank in blanks if not split_figure_text([blank], figures)[1]]
        body = drop_misread_boxes(body, [b for b in answer_spaces if b.text.startswith(ANSWER_BOX)])
        body = place_blanks(body, answer_spaces)  # a blank the OCR read across goes into that line's text
        body = replace_table_lines(body, tables)
        on_later_page = titles if result is not done[0] else []
        body = [line for line in body if not is_running_header(line, s.height, running, on_later_page)]
        body = join_formula_pieces(drop_page_furniture(body, s.width, s.height))  # a raised 2 stays in its row
        lines = reading_order(body, s.width, s.height, s.blocks)
        pages.append(PageLines(page=result.index, width=s.width, height=s.height, lines=lines))
        figures_by_page[result.index] = figures
    extracted = extract_questions(pages)
    questions = [q.to_dict() for q in extracted]
    attach_figures(questions, figures_by_page, [[(r.page, r.bbox) for r in q.regions] for q in extracted],
                   [[(r.page, r.bbox) for r in q.solution_regions] for q in extracted])
    if figures_dir is not None:
        crop_figures(questions, frame_by_index, figures_dir)
    return questions


def image_findings(
    structure: PageStructure, frame: Frame | None
) -> tuple[list[BBox], list[TextLine], list[Table], list[BBox]]:
    """Figures, answer blanks, ruled tables and the figures that are QR codes, in page pixels.

    The frame is decoded once; the rules run in frame pixels (a downscaled frame has scale < 1)."""
    scale = frame.scale if frame is not None else 1.0
    lines = _scaled(structure.lines, scale)
    blocks = [Block(b.label, tuple(v * scale for v in b.bbox), b.score) for b in structure.blocks]
    gray = None
    if frame is not None and frame.path is not None:
        with Image.open(frame.path) as image:
            gray = np.asarray(image.convert("L"))
    found = find_figures(gray, lines, blocks, structure.width * scale, structure.height * scale)
    figures = [tuple(round(v / scale, 1) for v in box) for box in found]
    if gray is None:
        return figures, [], [], []
    spaces = find_blanks(gray, lines) + find_answer_boxes(gray, lines)
    blanks = _scaled(spaces, 1 / scale)
    # a blank in a cell is part of the cell's text ("有 ______ 产生")
    tables = [Table(tuple(v / scale for v in t.bbox), t.rows) for t in find_tables(gray, lines + spaces, found)]
    codes = [page_box for page_box, box in zip(figures, found) if is_qr_code(gray, box)]
    return figures, blanks, tables, codes


def _scaled(lines: list[TextLine], factor: float) -> list[TextLine]:
    return [TextLine(l.text, tuple(v * factor for v in l.bbox), l.confidence) for l in lines]


def attach_figures(questions: list[dict], figures_by_page: dict[int, list], regions: list[list] | None = None,
                   solutions: list[list] | None = None) -> None:
    """Each figure goes to the question beside or above it on its page, decided on where the text
    stands: `regions[i]` lists question i's (page, bbox) per column it runs in (default: its spans).
    `solutions[i]` the same for the worked answer printed under it: a figure whose text is the
    answer's (the diagram of a 【解析】) goes to no question. The owner's span grows to cover the figure."""
    if regions is None:
        regions = [[(s["page"], s["bbox"]) for s in q["spans"]] for q in questions]
    solutions = solutions or [[] for _ in questions]
    for page, figures in figures_by_page.items():
        on_page = [(q, tuple(box), False) for q, q_regions in zip(questions, regions) for p, box in q_regions if p == page]
        if not on_page:
            continue
        on_page += [(q, tuple(box), True) for q, answer in zip(questions, solutions) for p, box in answer if p == page]
        first_page = page == min(figures_by_page)
        owners = [figure_owner(box, [region for _, region, _ in on_page]) for box in figures]
        for box, index in zip(figures, owners):
            owner, region, in_answer = on_page[index]
            if in_answer:
                continue  # a diagram of the printed answer, not of the question
            if first_page and box[3] <= region[1]:
                # owned by the first question below it, so above every question of its column (on a
                # spread, of its own half): the title's artwork or a score table
                continue
            owner["figures"].append({"page": page, "bbox": [round(v) for v in box], "image": None})
            span = next(s for s in owner["spans"] if s["page"] == page)
            span["bbox"] = [round(min(span["bbox"][0], box[0])), round(min(span["bbox"][1], box[1])),
                            round(max(span["bbox"][2], box[2])), round(max(span["bbox"][3], box[3]))]


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


def _runs_beside(span, box) -> bool:
    """The two share a fair part of their height (touching edges do not count)."""
    shared = _overlap(span[1], span[3], box[1], box[3])
    return shared > 0.2 * min(span[3] - span[1], box[3] - box[1])


def figure_owner(box, spans: list) -> int:
    """Index of the span (one question's text in one column of this page, x0 y0 x1 y1) a figure belongs to.

    The question whose text runs beside the figure (most shared height): in the figure's column, or
    just left of it in the same text column (a picture floated right of a short stem); else the
    nearest question above it in its column; else the first one below it."""
    column = [i for i, s in enumerate(spans) if _overlap(s[0], s[2], box[0], box[2]) > 0] or list(range(len(spans)))

    def in_text_column(i: int) -> bool:  # ends left of the figure, under or over a question of its column
        return spans[i][2] <= box[0] and any(_overlap(spans[i][0], spans[i][2], spans[j][0], spans[j][2]) > 0 for j in column)

    beside = [i for i in range(len(spans)) if (i in column or in_text_column(i)) and _runs_beside(spans[i], box)]
    if beside:
        return max(beside, key=lambda i: _overlap(spans[i][1], spans[i][3], box[1], box[3]))
    above = [i for i in column if spans[i][1] <= box[1]]
    if above:
        return max(above, key=lambda i: spans[i][1])
    return min(column, key=lambda i: spans[i][1])


def question_keys(questions: list[dict]) -> list[str]:
    """A file-name key per question: its number, and "1_2", "1_3" … for the second and later
    questions of that number (primary-school papers number each section from 1 again)."""
    seen: dict[str, int] = {}
    keys = []
    for q in questions:
        seen[q["number"]] = seen.get(q["number"], 0) + 1
        keys.append(q["number"] if seen[q["number"]] == 1 else f"{q['number']}_{seen[q['number']]}")
    return keys


def crop_figures(questions: list[dict], frame_by_index: dict[int, Frame], figures_dir: Path) -> None:
    figures_dir.mkdir(parents=True, exist_ok=True)
    for stale in figures_dir.glob("q*.png"):
        stale.unlink()
    opened: dict[int, Image.Image] = {}  # each page decoded once, however many figures it holds
    try:
        for q, key in zip(questions, question_keys(questions)):
            for n, figure in enumerate(q["figures"], start=1):
                frame = frame_by_index.get(figure["page"])
                if frame is None or frame.path is None:
                    continue
                if frame.index not in opened:
                    opened[frame.index] = Image.open(frame.path)
                x0, y0, x1, y1 = (v * frame.scale for v in figure["bbox"])
                name = f"q{key}-{n}.png"
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
            "read_by": (TEXT_LAYER if structure.engine == TEXT_LAYER else "ocr") if structure else None,
        })
    return entries


def document(paper_key: str, engine: str, frames: list[Frame], results: list[PageResult], questions: list[dict]) -> dict:
    return {"paper": paper_key, "engine": engine, "pages": page_entries(frames, results), "questions": questions}


def extract_paper(
    paper: Path, paper_key: str, worker: EnginePool, params: RuntimeParams, work_dir: Path, pdf_dpi: int,
    figures_dir: Path | None = None, text_layer: bool = True,
) -> tuple[dict, InferenceStats, dict]:
    """All four stages in process (the CLI's path; the assets call the same functions one by one).
    `text_layer`: read born-digital PDF pages from their text layer (False: OCR every page)."""
    refs = enumerate_pages(paper, pdf_dpi=pdf_dpi)
    frames = write_frames(refs, work_dir / "frames", workers=params.cpu_workers)
    results, stats, usage = ocr_frames(frames, worker, params, refs if text_layer else None)
    questions = questions_from(results, frames, figures_dir)
    return document(paper_key, worker.spec.name, frames, results, questions), stats, usage
