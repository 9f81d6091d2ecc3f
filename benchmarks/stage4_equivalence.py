"""Before/after proof for a refactor of the stages after OCR: same frames and OCR structures in, same
questions JSON and figure crops out.

    python benchmarks/stage4_equivalence.py dump DIR    # run stages 1-4 on every paper, keep all inputs/outputs
    python benchmarks/stage4_equivalence.py check DIR   # (other code version) stage 4 again on the kept inputs
    python benchmarks/stage4_equivalence.py check DIR --stage3   # also stage 3 of the text-layer runs again

Papers: every paper `ocr-assets eval` scores (../shared/evaldata/gt), read both ways (OCR of every page, as
`eval` does; the text layer where the PDF has one, as `extract` does), and `--families` generated papers
(tuning seeds only, OCR of every page). `check` prints one line per paper and run: same, or which file differs.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ocr_assets.cli import _ground_truths, default_gt_dir  # noqa: E402
from ocr_assets.frames import read_manifest  # noqa: E402
from ocr_assets.pages import enumerate_pages  # noqa: E402
from ocr_assets.pipeline import decode_paper, questions_from  # noqa: E402
from ocr_assets.structure import ocr_frames, read_structures, write_structures  # noqa: E402

FAMILY_SEEDS = (2, 7)  # tuning seeds (0-9): never the held-out ones


def papers(families: list[str], render_dir: Path) -> list[tuple[str, Path, int, bool]]:
    """(run name, paper, dpi, read the text layer) for each run."""
    runs = []
    for _, gt, paper in _ground_truths(default_gt_dir()):
        dpi = int(gt.get("dpi", 150))
        runs.append((f"eval/{paper.stem}/ocr", paper, dpi, False))
        if paper.suffix.lower() == ".pdf":
            runs.append((f"eval/{paper.stem}/text_layer", paper, dpi, True))
    if families:
        from ocr_assets.synth import generate

        for family in families:
            for seed in FAMILY_SEEDS:
                try:
                    gt_paths = generate(render_dir / family / str(seed), 1, seed, family=family)
                except Exception as error:  # a family that cannot be drawn at this seed is reported, not fatal
                    print(f"{family} seed {seed}: not generated: {error}", file=sys.stderr)
                    continue
                for gt_path in gt_paths:
                    gt = json.loads(gt_path.read_text(encoding="utf-8"))
                    paper = gt_path.parent.parent / gt["source_pdf"]
                    runs.append((f"synth/{family}/{seed}/{paper.stem}", paper, int(gt.get("dpi", 150)), False))
    return runs


def stage4(run_dir: Path, out_name: str) -> float:
    frames = read_manifest(run_dir / "frames")
    results = read_structures(run_dir / "ocr")
    started = time.process_time()
    questions = questions_from(results, frames, run_dir / out_name / "figures")
    seconds = time.process_time() - started
    (run_dir / out_name / "questions.json").write_text(json.dumps(questions, ensure_ascii=False, indent=1))
    return seconds


def dump(out: Path, families: list[str]) -> None:
    from resources.hardware import derive_params, detect_hardware
    from resources.ocr_engine import engine_spec, get_worker

    params = derive_params(detect_hardware())
    worker = get_worker(engine_spec("rapidocr", params, None, -1))
    runs = papers(families, out / "rendered")
    (out / "runs.json").write_text(json.dumps([(n, str(p), d, t) for n, p, d, t in runs], indent=1))
    for name, paper, dpi, text_layer in runs:
        run_dir = out / name
        refs = enumerate_pages(paper, pdf_dpi=dpi)
        frames = decode_paper(paper, run_dir / "frames", params, dpi)
        results, _, _ = ocr_frames(frames, worker, params, refs if text_layer else None)
        write_structures(results, run_dir / "ocr")
        # the structures as stage 4 reads them back (the JSON round trip rounds nothing, but be exact)
        seconds = stage4(run_dir, "before")
        print(f"{name}: {len(frames)} pages, stage 4 {seconds:.2f} CPU-s", flush=True)


def same_tree(a: Path, b: Path) -> list[str]:
    """Files of either folder that are not in both, byte for byte."""
    names = sorted({p.relative_to(root) for root in (a, b) for p in root.rglob("*") if p.is_file()})
    return [str(n) for n in names if not ((a / n).is_file() and (b / n).is_file() and filecmp.cmp(a / n, b / n, shallow=False))]


def structures_differ(a: Path, b: Path) -> list[str]:
    """Page structures that differ, their timing (`elapsed_s`) left out."""
    def read(path: Path) -> dict | None:
        if not path.is_file():
            return None
        data = json.loads(path.read_text())
        data.pop("elapsed_s", None)
        return data

    names = sorted({p.name for p in a.glob("page-*.json")} | {p.name for p in b.glob("page-*.json")})
    return [n for n in names if read(a / n) != read(b / n)]


def check(out: Path, stage3: bool) -> int:
    runs = json.loads((out / "runs.json").read_text())
    differing = 0
    worker = params = None
    for name, paper, dpi, text_layer in runs:
        run_dir = out / name
        seconds = stage4(run_dir, "after")
        diff = same_tree(run_dir / "before", run_dir / "after")
        if stage3 and text_layer:
            from resources.hardware import derive_params, detect_hardware
            from resources.ocr_engine import engine_spec, get_worker

            if worker is None:
                params = derive_params(detect_hardware())
                worker = get_worker(engine_spec("rapidocr", params, None, -1))
            frames = read_manifest(run_dir / "frames")
            results, _, _ = ocr_frames(frames, worker, params, enumerate_pages(Path(paper), pdf_dpi=dpi))
            write_structures(results, run_dir / "ocr_after")
            diff += [f"ocr/{n}" for n in structures_differ(run_dir / "ocr", run_dir / "ocr_after")]
        differing += bool(diff)
        print(f"{name}: {'same' if not diff else 'DIFFERS: ' + ', '.join(diff[:8])} (stage 4 {seconds:.2f} CPU-s)", flush=True)
    print(f"{len(runs) - differing} of {len(runs)} runs the same")
    return 1 if differing else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=("dump", "check"))
    parser.add_argument("dir", type=Path)
    parser.add_argument("--families", nargs="*", default=[], help="generated families to add (seeds 2 and 7)")
    parser.add_argument("--stage3", action="store_true", help="check: re-run stage 3 of the text-layer runs too")
    args = parser.parse_args(argv)
    if args.mode == "dump":
        dump(args.dir, args.families)
        return 0
    return check(args.dir, args.stage3)


if __name__ == "__main__":
    sys.exit(main())
