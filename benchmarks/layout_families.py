"""Layout-family report: render papers of each synthetic layout family, run the real extraction (the code path of
`ocr-assets extract` / `eval`) and print, per family and overall, question F1, options exactly segmented, the
share of questions at CER ≤ 0.05 and, for families that print answers, the share of questions carrying them.

    python benchmarks/layout_families.py                       # held-out seeds, 1 paper per family and seed
    python benchmarks/layout_families.py --families gutter wide_titles --papers 2 --seeds 1001 1002 1003
    python benchmarks/layout_families.py --tuning               # the seeds rules may be tuned on

The line-level families follow in a second table, scored the same way (no OCR: their line lists go straight
to extraction, in milliseconds): the answer families of tests/answer_families.py (keys at the end, in the
middle, by section, tables, teacher copies, brackets, answer sheets; held out 2000–2019, tuned 0–9 and
1000–1019) and the inline (A)–(E) option sections of tests/test_extraction.py (held out 5000–5029, tuned
0–39). `--no-line-level` leaves them out; `--tuning` reports their tuning seeds.

Before/after a rule change on the same OCR reading: run once with `--ocr-cache DIR`, then again (from the other
version of the code) with the same DIR.

Seeds: TUNING_SEEDS (0–9) are the ones to look at while building a rule; HELD_OUT_SEEDS (1001–1003) are never
looked at page by page or tuned on, only reported. Papers are rendered under --out (default a temporary folder).

Scoring (ground truth read as written, from the generator's exact record):
- questions are matched by number, the k-th repeat of a number (sections that restart at 1) as "n_k", as the
  pipeline's question_keys names them;
- CER compares stem + options + sub-questions with the question's printed lines, after NFKC, without
  whitespace and punctuation (so "(A)" printed inline and "A." in the JSON compare equal);
- options: the labels in order and each text within CER 0.2 (evaluation.score_paper's rule), against the
  options the generator drew (also for inline (A)–(E) options, which a line parser cannot recover);
- answers: among questions whose answer the paper prints, the share whose extracted `answer` is the printed one.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rapidfuzz.distance import Levenshtein  # noqa: E402

from ocr_assets.evaluation import normalise, question_text  # noqa: E402
from ocr_assets.pages import DEFAULT_PDF_DPI  # noqa: E402
from ocr_assets.synth import FAMILIES, generate  # noqa: E402

TUNING_SEEDS = tuple(range(10))
HELD_OUT_SEEDS = (1001, 1002, 1003)
CER_TARGET = 0.05
OPTION_CER = 0.2


def reading_text(text: str) -> str:
    """What a reader compares: evaluation.normalise, then without punctuation and symbols' brackets."""
    return "".join(c for c in normalise(text) if not unicodedata.category(c).startswith("P"))


def text_cer(hypothesis: str, reference: str) -> float:
    hyp, ref = reading_text(hypothesis), reading_text(reference)
    if not ref:
        return 0.0 if not hyp else 1.0
    return Levenshtein.distance(hyp, ref) / len(ref)


def keyed(numbers: list[str]) -> list[str]:
    """"3", "3_2" …: the k-th occurrence of a number gets a suffix (pipeline.question_keys' naming)."""
    seen: dict[str, int] = {}
    keys = []
    for number in numbers:
        seen[number] = seen.get(number, 0) + 1
        keys.append(number if seen[number] == 1 else f"{number}_{seen[number]}")
    return keys


def gt_question_text(question: dict) -> str:
    """The printed lines of a question without its number prefix."""
    import re

    text = "\n".join(part["text"] for part in question["parts"])
    return re.sub(r"^\s*\d{1,3}\s*[.．、]\s*", "", text, count=1)


def answer_key(text) -> str:
    return "".join(ch for ch in str(text or "").upper() if ch.isalnum())


def score(predicted: list[dict], gt: dict) -> dict:
    gt_by_key = dict(zip(keyed([str(q["qnum"]) for q in gt["questions"]]), gt["questions"]))
    pred_by_key = dict(zip(keyed([q["number"] for q in predicted]), predicted))
    hits = [key for key in gt_by_key if key in pred_by_key]
    counts = {"gt": len(gt_by_key), "found": len(predicted), "hits": len(hits), "cer_ok": 0, "options": 0,
              "options_ok": 0, "answers": 0, "answers_ok": 0}
    misses = []
    for key in hits:
        truth, pred = gt_by_key[key], pred_by_key[key]
        error = text_cer(question_text(pred), gt_question_text(truth))
        counts["cer_ok"] += error <= CER_TARGET
        expected = [(o["label"], o["text"]) for o in truth.get("options") or []]
        options_ok = None
        if expected:
            got = [(o["label"], o["text"]) for o in pred["options"]]
            options_ok = [label for label, _ in got] == [label for label, _ in expected] and all(
                text_cer(g, e) <= OPTION_CER for (_, g), (_, e) in zip(got, expected))
            counts["options"] += 1
            counts["options_ok"] += options_ok
        if truth.get("answer"):
            counts["answers"] += 1
            counts["answers_ok"] += answer_key(pred.get("answer")) == answer_key(truth["answer"])
        if error > CER_TARGET or options_ok is False:
            misses.append({"key": key, "cer": round(error, 3), "options_ok": options_ok})
    counts["missing"] = [key for key in gt_by_key if key not in pred_by_key]
    counts["extra"] = [key for key in pred_by_key if key not in gt_by_key]
    counts["misses"] = misses
    # answers of questions the extraction did not find count as not attached
    counts["answers"] += sum(1 for key in counts["missing"] if gt_by_key[key].get("answer"))
    return counts


def summary(counts: list[dict]) -> dict:
    total = {name: sum(c[name] for c in counts) for name in ("gt", "found", "hits", "cer_ok", "options", "options_ok",
                                                              "answers", "answers_ok")}
    precision = total["hits"] / total["found"] if total["found"] else 0.0
    recall = total["hits"] / total["gt"] if total["gt"] else 0.0
    return {
        "papers": len(counts),
        "questions": total["gt"],
        "f1": round(2 * precision * recall / (precision + recall), 3) if precision + recall else 0.0,
        "options": round(total["options_ok"] / total["options"], 3) if total["options"] else None,
        "cer_le_0_05": round(total["cer_ok"] / total["hits"], 3) if total["hits"] else None,
        "answers": round(total["answers_ok"] / total["answers"], 3) if total["answers"] else None,
    }


def run(families: list[str], seeds: list[int], papers: int, out_dir: Path, engine: str, details: bool,
        ocr_cache: Path | None = None) -> dict:
    """Per family, the counts of each paper. `ocr_cache`: keep each paper's OCR structures there and reuse
    them, so two versions of the rules after OCR are compared on the same reading (stages 1–2 and 4 still run)."""
    from resources.hardware import derive_params, detect_hardware
    from resources.ocr_engine import engine_spec, get_worker

    from ocr_assets.pipeline import decode_paper, questions_from
    from ocr_assets.structure import ocr_frames, read_structures, write_structures

    params = derive_params(detect_hardware())
    worker = None
    report: dict[str, list[dict]] = {}
    for family in families:
        for seed in seeds:
            try:
                gt_paths = generate(out_dir / family / str(seed), papers, seed, family=family)
            except Exception as error:  # a family that cannot be drawn is reported, not fatal to the run
                print(f"  {family} seed {seed}: not generated: {error}", file=sys.stderr)
                continue
            for gt_path in gt_paths:
                gt = json.loads(gt_path.read_text(encoding="utf-8"))
                paper = gt_path.parent.parent / gt["source_pdf"]
                started = time.perf_counter()
                cached = ocr_cache / family / str(seed) / paper.name if ocr_cache else None
                with tempfile.TemporaryDirectory(prefix="layout-family-") as tmp:
                    frames = decode_paper(paper, Path(tmp) / "frames", params, int(gt.get("dpi", DEFAULT_PDF_DPI)))
                    if cached is not None and (cached / "index.json").is_file():
                        results = read_structures(cached)
                    else:
                        worker = worker or get_worker(engine_spec(engine, params, None, -1))
                        results, _, _ = ocr_frames(frames, worker, params)
                        if cached is not None:
                            write_structures(results, cached)
                    questions = questions_from(results, frames)
                counts = score(questions, gt)
                counts["paper"], counts["seconds"] = paper.name, round(time.perf_counter() - started, 1)
                report.setdefault(family, []).append(counts)
                if details:
                    print(f"  {paper.name}: {counts['hits']}/{counts['gt']} found, extra {counts['extra']}, "
                          f"missing {counts['missing']}, misses {counts['misses'][:6]} ({counts['seconds']} s)",
                          file=sys.stderr)
    return report


def _answer_family_gt(paper) -> dict:
    """A generated answer-family paper (tests/answer_families.py) as layout ground truth: each question's
    printed text (stem without its leading score, options, the sub-questions of a free-response one) and, where the paper prints
    it, its answer."""
    import re

    questions = []
    for q in paper.questions:
        stem = re.sub(r"^\s*[（(]\d+分[)）]", "", q.stem)  # the contract keeps a leading "（10分）" in `score`
        text = "\n".join([f"{q.number}. {stem}", *(f"{l}. {o}" for l, o in zip("ABCD", q.options))]
                         + (["(1) 写出变化的条件；", "(2) 说明理由。"] if q.kind == "free" else []))
        questions.append({"qnum": q.number, "parts": [{"text": text}],
                          "options": [{"label": l, "text": o} for l, o in zip("ABCD", q.options)],
                          "answer": q.answer if paper.expect_answers else None, "_expected": q})
    return {"questions": questions}


def line_level_report(tuning: bool) -> tuple[dict[str, list[dict]], str]:
    """Per line-level family, the counts of each generated paper (see the module's docstring)."""
    from ocr_assets.extraction import extract_questions
    from tests.answer_families import FAMILIES as ANSWER_FAMILIES
    from tests.answer_families import HELD_OUT_SEEDS as ANSWER_HELD_OUT
    from tests.answer_families import TUNED_SEEDS as ANSWER_TUNED
    from tests.answer_families import answer_is_right
    from tests.test_extraction import OPTION_HELD_OUT_SEEDS, OPTION_TUNING_SEEDS, extract, taiwan_choice_section

    report: dict[str, list[dict]] = {}
    answer_seeds = ANSWER_TUNED if tuning else ANSWER_HELD_OUT
    for family in ANSWER_FAMILIES:
        for seed in answer_seeds:
            paper = family(seed)
            found = extract_questions(paper.pages())
            gt = _answer_family_gt(paper)
            counts = score([q.to_dict() for q in found], gt)
            if paper.expect_answers:  # the family's own rule: a key's worked answer may hold more than the letter
                by_key = dict(zip(keyed([q.number for q in found]), found))
                counts["answers_ok"] = sum(
                    1 for key, truth in zip(keyed([str(q["qnum"]) for q in gt["questions"]]), gt["questions"])
                    if key in by_key and answer_is_right(truth["_expected"], by_key[key].answer))
            counts["paper"] = f"{family.__name__}_s{seed}"
            report.setdefault(family.__name__, []).append(counts)
    option_seeds = OPTION_TUNING_SEEDS if tuning else OPTION_HELD_OUT_SEEDS
    for seed in option_seeds:
        lines, expected = taiwan_choice_section(seed)
        gt = {"questions": [{"qnum": int(want["number"]), "parts": [{"text": "\n".join(
            [f"{want['number']}. {want['stem']}"] + [f"({l}){t}" for l, t in want["options"]])}],
            "options": [{"label": l, "text": t} for l, t in want["options"]]} for want in expected]}
        counts = score([q.to_dict() for q in extract(lines)], gt)
        counts["paper"] = f"inline_option_section_s{seed}"
        report.setdefault("inline_option_sections", []).append(counts)
    seeds = (f"answers {answer_seeds[0]}–{answer_seeds[-1]}, options {option_seeds[0]}–{option_seeds[-1]}"
             f" ({'tuning' if tuning else 'held out'})")
    return report, seeds


def print_table(report: dict[str, list[dict]]) -> None:
    columns = ("papers", "questions", "f1", "options", "cer_le_0_05", "answers")
    print("family".ljust(24) + "".join(c.rjust(13) for c in columns))
    for family, counts in report.items():
        row = summary(counts)
        print(family.ljust(24) + "".join(str(row[c] if row[c] is not None else "-").rjust(13) for c in columns))
    row = summary([c for counts in report.values() for c in counts])
    print("OVERALL".ljust(24) + "".join(str(row[c] if row[c] is not None else "-").rjust(13) for c in columns))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--families", nargs="+", default=list(FAMILIES), choices=list(FAMILIES))
    parser.add_argument("--seeds", nargs="+", type=int, default=None, help=f"default: held out {HELD_OUT_SEEDS}")
    parser.add_argument("--tuning", action="store_true", help=f"use the tuning seeds {TUNING_SEEDS[:3]}")
    parser.add_argument("--papers", type=int, default=1, help="papers per family and seed")
    parser.add_argument("--out", type=Path, default=None, help="render the papers here (default: a temporary folder)")
    parser.add_argument("--engine", default="rapidocr")
    parser.add_argument("--json", type=Path, default=None, help="also write the per-paper counts here")
    parser.add_argument("--details", action="store_true", help="per paper: missing, extra and missed questions")
    parser.add_argument("--ocr-cache", type=Path, default=None,
                        help="keep/reuse each paper's OCR structures here (compare rule versions on one reading)")
    parser.add_argument("--no-line-level", action="store_true",
                        help="leave out the line-level answer and inline-option families")
    parser.add_argument("--line-level-only", action="store_true", help="only the line-level families (no OCR)")
    args = parser.parse_args(argv)
    if not args.no_line_level:
        line_report, line_seeds = line_level_report(args.tuning)
        print(f"line-level families (no OCR), seeds {line_seeds}, 1 paper or section per seed")
        print_table(line_report)
        if args.json:
            args.json.with_suffix(".line_level.json").write_text(json.dumps(line_report, ensure_ascii=False, indent=1, default=str))
        if args.line_level_only:
            return 0
        print()
    seeds = args.seeds or list(TUNING_SEEDS[:3] if args.tuning else HELD_OUT_SEEDS)
    with tempfile.TemporaryDirectory(prefix="layout-families-") as tmp:
        report = run(args.families, seeds, args.papers, args.out or Path(tmp), args.engine, args.details, args.ocr_cache)
    print(f"seeds {seeds} ({'tuning' if set(seeds) <= set(TUNING_SEEDS) else 'held out' if set(seeds) <= set(HELD_OUT_SEEDS) else 'mixed'}), "
          f"{args.papers} paper(s) per family and seed")
    print_table(report)
    if args.json:
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
