"""`ocr-assets` — the command line of ../shared/CONTRACT.md: extract, bench, hw.

Runs the same stage functions as the Dagster assets, in process, without the daemon.
JSON goes to stdout (or --out); logs go to stderr.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from ocr_assets.pages import DEFAULT_PDF_DPI, BadPaper, enumerate_pages, paper_key
from resources.engines.base import EngineUnavailable
from resources.ocr_engine import DEFAULT_ENGINE, ENGINE_NAMES, engine_spec, get_worker

log = logging.getLogger("ocr_assets")


class UsageError(Exception):
    """Unusable path or option: exit 2 with one line on stderr."""


def _runtime(args):
    from resources.hardware import derive_params, detect_hardware

    try:
        params = derive_params(detect_hardware())
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    spec = engine_spec(args.engine, params, args.det_limit_side_len, args.threads)
    try:
        worker = get_worker(spec)
    except EngineUnavailable as exc:
        raise UsageError(str(exc)) from exc
    return params, worker


def cmd_extract(args) -> int:
    from ocr_assets.pipeline import extract_paper

    paper = Path(args.path)
    try:
        enumerate_pages(paper, pdf_dpi=args.dpi)  # fail fast, before loading a model
    except BadPaper as exc:
        raise UsageError(str(exc)) from exc
    params, worker = _runtime(args)
    with tempfile.TemporaryDirectory(prefix="ocr-assets-") as tmp:
        work_dir = Path(args.work_dir) if args.work_dir else Path(tmp)
        if args.figures_dir:
            figures_dir = Path(args.figures_dir)
        elif args.review_dir:  # the review page shows the crops from its own folder
            figures_dir = Path(args.review_dir) / "figures"
        else:
            figures_dir = Path(args.out).parent / "figures" if args.out else None
        doc, stats, _ = extract_paper(paper, paper_key(paper), worker, params, work_dir, args.dpi, figures_dir,
                                      text_layer=not args.no_text_layer)
        if args.review_dir:
            from ocr_assets.frames import read_manifest
            from ocr_assets.review import render_review

            review_html, _ = render_review(doc, read_manifest(work_dir / "frames"), Path(args.review_dir))
            log.info("review page: %s", review_html.resolve())
    log.info(
        "%s: %d pages (%d failed), %d questions, %.2f s/page",
        paper.name, stats.pages, stats.failed, len(doc["questions"]), stats.s_per_page,
    )
    text = json.dumps(doc, ensure_ascii=False, indent=2)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
    else:
        print(text)
    return 0


def cmd_bench(args) -> int:
    from ocr_assets.bench import run_bench

    paper = Path(args.path)
    try:
        refs = enumerate_pages(paper, pdf_dpi=args.dpi)
    except BadPaper as exc:
        raise UsageError(str(exc)) from exc
    if args.pages:
        refs = (refs * (args.pages // len(refs) + 1))[: args.pages]  # repeat pages to reach N
        refs = [replace(r, index=i) for i, r in enumerate(refs, start=1)]
    params, worker = _runtime(args)
    print(json.dumps(run_bench(refs, worker, params), ensure_ascii=False))
    return 0


def default_gt_dir() -> Path:
    return Path(__file__).resolve().parents[2] / "shared" / "evaldata" / "gt"


def _ground_truths(gt_dir: Path):
    """(file, ground truth, paper) for each `*.layout_questions.json` (paper: its `source_pdf`) and each
    one-page `*.gt.md` whose page image of the same name is in `../pages` (MinerU's problem page)."""
    from ocr_assets.evaluation import markdown_ground_truth

    for gt_file in sorted(gt_dir.glob("*.layout_questions.json")):
        gt = json.loads(gt_file.read_text(encoding="utf-8"))
        yield gt_file, gt, (gt_dir.parent / gt["source_pdf"]).resolve()
    for gt_file in sorted(gt_dir.glob("*.gt.md")):
        stem = gt_file.name.removesuffix(".gt.md")
        images = sorted((gt_dir.parent / "pages").glob(f"{stem}.*"))
        if images:
            yield gt_file, markdown_ground_truth(gt_file.read_text(encoding="utf-8")), images[0].resolve()


def cmd_eval(args) -> int:
    gt_dir = Path(args.gt_dir) if args.gt_dir else default_gt_dir()
    ground_truths = list(_ground_truths(gt_dir))
    if not ground_truths:
        raise UsageError(f"{gt_dir}: no *.layout_questions.json (or *.gt.md beside its page image) ground truth here")
    params, worker = _runtime(args)
    # the OCR path scores every page as an image; --text-layer scores born-digital pages read from their layer
    modes = [False, True] if args.text_layer else [False]
    for text_layer in modes:
        if args.text_layer:
            print(f"== {'text layer where the PDF has one, OCR elsewhere' if text_layer else 'OCR of every page image'} ==")
        _eval_block(args, ground_truths, params, worker, text_layer)
    return 0


def _eval_block(args, ground_truths, params, worker, text_layer: bool) -> None:
    from ocr_assets.evaluation import overall, score_paper, spec_ground_truth
    from ocr_assets.pipeline import extract_paper

    scores, names = [], []
    for gt_file, gt, paper in ground_truths:
        if not paper.exists():
            log.warning("%s: source %s not found, skipped", gt_file.name, paper)
            continue
        with tempfile.TemporaryDirectory(prefix="ocr-eval-") as tmp:
            doc, stats, usage = extract_paper(paper, paper_key(paper), worker, params, Path(tmp), int(gt.get("dpi", args.dpi)),
                                              text_layer=text_layer)
        from_layer = sum(1 for how in usage["read_by"].values() if how == "text_layer")
        log.info("%s: %d of %d pages read from the text layer, %.3f s/page for the inference stage",
                 paper.name, from_layer, stats.pages, stats.s_per_page)
        if args.out_dir:
            Path(args.out_dir).mkdir(parents=True, exist_ok=True)
            (Path(args.out_dir) / f"{paper.stem}{'.text_layer' if text_layer else ''}.json").write_text(json.dumps(doc, ensure_ascii=False, indent=1))
        if not args.as_given:
            gt, changed = spec_ground_truth(gt)
            log.info("%s: ground truth read as the issue defines questions: %s", gt_file.name,
                     ", ".join(f"{count} {what.replace('_', ' ')}" for what, count in changed.items()))
        scores.append(score_paper(doc["questions"], gt, table_cells_in_order=args.as_given))
        names.append(paper.stem)
    columns = ("questions_gt", "questions_found", "f1", "cer_median", "cer_le_0_05", "options_exact",
               "span_pages_exact", "figures_attached")
    print("paper".ljust(52) + "".join(c.rjust(17) for c in columns))
    for name, score in zip(names, scores):
        print(name[:51].ljust(52) + "".join(str(score[c]).rjust(17) for c in columns))
        if score["missing"] or score["extra"]:
            print(f"    missing {score['missing']}  extra {score['extra']}")
        if args.details:
            for miss in score["misses"]:
                ours, theirs = miss["span_pages"]
                print(f"    Q{miss['number']}: cer {miss['cer']}"
                      + ("" if miss["options_exact"] is not False else ", options not exact")
                      + ("" if ours == theirs else f", pages {ours} (ground truth {theirs})")
                      + ("" if miss["figures"][0] == miss["figures"][1] else f", figures {miss['figures'][0]}/{miss['figures'][1]}")
                      + (f"; {' '.join(miss['edits'])}" if miss["cer"] > 0.05 else ""))
    total = overall(scores)
    print("OVERALL".ljust(52) + "".join(str(total[c]).rjust(17) for c in columns))


def cmd_hw(args) -> int:
    from resources.hardware import as_json, banner, derive_params, detect_hardware

    hw = detect_hardware()
    try:
        params = derive_params(hw)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    print(json.dumps(as_json(hw, params), indent=2) if args.json else banner(hw, params))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ocr-assets", description="Exam papers -> questions (see README.md)")
    sub = parser.add_subparsers(dest="command", required=True)

    def engine_options(p):
        p.add_argument("--engine", default=DEFAULT_ENGINE, choices=ENGINE_NAMES)
        p.add_argument("--dpi", type=int, default=DEFAULT_PDF_DPI, help="render dpi for PDF pages")
        p.add_argument("--det-limit-side-len", type=int, default=None, help="detector input side limit (px)")
        p.add_argument("--threads", type=int, default=-1, help="engine CPU threads (-1: all)")

    extract = sub.add_parser("extract", help="one paper -> questions JSON")
    extract.add_argument("path")
    extract.add_argument("--out")
    extract.add_argument("--work-dir", help="keep frames here (default: a temporary folder)")
    extract.add_argument("--figures-dir", help="save figure crops here (default: figures/ beside --out; none on stdout)")
    extract.add_argument("--no-text-layer", action="store_true", help="OCR every page, even a PDF page with a text layer")
    extract.add_argument("--review-dir", help="also write review.html / review.md for people here")
    engine_options(extract)
    extract.set_defaults(func=cmd_extract)

    bench = sub.add_parser("bench", help="time the inference stage three ways")
    bench.add_argument("path")
    bench.add_argument("--pages", type=int, default=None, help="repeat the paper's pages up to N pages")
    engine_options(bench)
    bench.set_defaults(func=cmd_bench)

    evaluate = sub.add_parser("eval", help="score extraction against *.layout_questions.json ground truth")
    evaluate.add_argument("gt_dir", nargs="?", help="default: ../shared/evaldata/gt beside the repository")
    evaluate.add_argument("--out-dir", help="also write each paper's extracted JSON here")
    evaluate.add_argument("--text-layer", action="store_true",
                          help="also score the papers with born-digital pages read from their text layer (a second block)")
    evaluate.add_argument("--details", action="store_true",
                          help="under each paper, the questions that miss a target and the first differences")
    evaluate.add_argument(
        "--as-given", action="store_true",
        help="score against the ground truth exactly as written; by default page furniture (lines and figures "
             "repeated at one place on 3+ pages), answer keys and the reading passages of later questions are "
             "taken out of a question's ground truth, as the issue defines a question",
    )
    engine_options(evaluate)
    evaluate.set_defaults(func=cmd_eval)

    hw = sub.add_parser("hw", help="detected hardware and derived parameters")
    hw.add_argument("--json", action="store_true")
    hw.set_defaults(func=cmd_hw)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(message)s")
    args = build_parser().parse_args(argv)
    started = time.perf_counter()
    try:
        code = args.func(args)
    except UsageError as exc:
        print(f"ocr-assets: {exc}", file=sys.stderr)
        return 2
    log.info("done in %.1f s", time.perf_counter() - started)
    return code


if __name__ == "__main__":
    sys.exit(main())
