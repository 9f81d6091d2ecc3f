"""The four stages as plain functions, shared by the Dagster assets and the `ocr-assets` CLI,
so both run exactly the same code path."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from ocr_assets.extraction import extract_questions
from ocr_assets.frames import Frame, write_frames
from ocr_assets.page_analysis import AnalysedPage, analyse_pages
from ocr_assets.pages import enumerate_pages
from ocr_assets.runtime import InferenceStats, PageResult
from ocr_assets.structure import ocr_frames
from ocr_assets.text_layer import TEXT_LAYER
from resources.hardware import RuntimeParams
from resources.ocr_engine import EnginePool


def decode_paper(paper: Path, frames_dir: Path, params: RuntimeParams, pdf_dpi: int) -> list[Frame]:
    """Stages 1 and 2: the paper's pages, decoded once into frames on disk."""
    return write_frames(enumerate_pages(paper, pdf_dpi=pdf_dpi), frames_dir, workers=params.cpu_workers)


def questions_from(results: list[PageResult], frames: list[Frame], figures_dir: Path | None = None) -> list[dict]:
    """OCR structure of all pages -> contract-shaped question dicts, figures cropped and attached.

    Each page goes down the chain of `page_analysis.PAGE_PASSES` (figures, blanks and tables from its
    image, then its lines cleaned and put in reading order); the questions are read across the pages.
    Lines inside a figure (diagram labels, chart axes) are kept out of the question text."""
    frame_by_index = {f.index: f for f in frames}
    pages = analyse_pages([AnalysedPage.of(r.index, r.structure, frame_by_index.get(r.index), keep_crops=figures_dir is not None)
                           for r in results if r.structure is not None])
    extracted = extract_questions([page.page_lines() for page in pages])
    questions = [q.to_dict() for q in extracted]
    attach_figures(questions, {page.index: page.figures for page in pages},
                   [[(r.page, r.bbox) for r in q.regions] for q in extracted],
                   [[(r.page, r.bbox) for r in q.solution_regions] for q in extracted])
    if figures_dir is not None:
        save_figures(questions, {page.index: page.crops for page in pages}, figures_dir)
    return questions


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


def save_figures(questions: list[dict], crops: dict[int, dict[tuple, Image.Image]], figures_dir: Path) -> None:
    """The crop of each attached figure saved as `q<key>-<n>.png`, its path set as the figure's `image`;
    `crops[page][box]` was cut by the page's analysis while its frame was decoded."""
    figures_dir.mkdir(parents=True, exist_ok=True)
    for stale in figures_dir.glob("q*.png"):
        stale.unlink()
    for q, key in zip(questions, question_keys(questions)):
        for n, figure in enumerate(q["figures"], start=1):
            crop = crops.get(figure["page"], {}).get(tuple(figure["bbox"]))
            if crop is None:
                continue
            name = f"q{key}-{n}.png"
            crop.save(figures_dir / name)
            figure["image"] = f"{figures_dir.name}/{name}"


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
