"""Soak: many papers mixed with bad files, dropped in waves into the product as `make run` starts it.

Starts `python -m ocr_assets.launcher` in a temporary data folder, drops `--papers` image-only papers of
`--pages` pages each (default 30 × 10 = 300 pages) in `--waves` waves, each wave mixed with bad files
(empty, truncated and fake PDFs, a text file, a decompression-bomb PNG), and samples the RSS of every
process of the product every few seconds until each paper is done or refused. Prints pages done,
pages failed, refusals, failed runs, wall time and RSS over time (the OCR worker's and the whole
product's), and says whether memory stayed flat after warm-up. Asserts nothing: it reports.

Pages are rendered by `python -m ocr_assets.synth` (needs ../shared/evaldata) or, without it, from the
committed sample paper; duplicate pages are OCR'd like any other.

    .venv/bin/python benchmarks/soak.py [--papers 30] [--pages 10] [--waves 3] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.drop_throughput import free_port, stop_product, ui_answers, wait_until  # noqa: E402

SAMPLE_PDF = REPO / "samples" / "sample_paper.pdf"


def page_pool(tmp: Path) -> list[Path]:
    """Distinct page images to build papers from."""
    try:
        from ocr_assets.synth import generate

        generate(tmp / "synth", n_papers=4, seed=11)
        pages = sorted((tmp / "synth" / "papers").rglob("page-*.*"))
        if pages:
            return pages
    except Exception as exc:  # no evaldata or no CJK font: the sample paper's pages instead
        print(f"synth unavailable ({exc}); using the sample paper's pages", flush=True)
    from ocr_assets.pages import enumerate_pages, load_page

    pages = []
    for ref in enumerate_pages(SAMPLE_PDF):
        path = tmp / f"sample-{ref.index}.png"
        load_page(ref).save(path)
        pages.append(path)
    return pages


def make_papers(staging: Path, pool: list[Path], papers: int, pages: int) -> list[Path]:
    made = []
    for n in range(papers):
        paper = staging / f"soak_{n + 1:02d}"
        paper.mkdir(parents=True)
        for p in range(pages):
            source = pool[(n * pages + p) % len(pool)]
            shutil.copy(source, paper / f"page-{p + 1:02d}{source.suffix}")
        made.append(paper)
    return made


def _bomb_png() -> bytes:
    """A PNG whose header claims 100000 x 100000 pixels (a decompression bomb), a few bytes on disk."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 1000)) + chunk(b"IEND", b"")


def bad_files(staging: Path, wave: int) -> list[Path]:
    sample = SAMPLE_PDF.read_bytes()
    files = {
        f"bad_{wave}_empty.pdf": b"",
        f"bad_{wave}_truncated.pdf": sample[: len(sample) * 3 // 5],
        f"bad_{wave}_fake.pdf": b"a text file saved with the wrong name\n",
        f"bad_{wave}_notes.txt": b"not a paper\n",
        f"bad_{wave}_bomb.png": _bomb_png(),
    }
    made = []
    for name, content in files.items():
        (staging / name).write_bytes(content)
        made.append(staging / name)
    return made


def product_rss(root: int) -> tuple[float, float]:
    """(whole product, largest worker) resident memory in MiB."""
    total, worker = 0.0, 0.0
    try:
        procs = [psutil.Process(root), *psutil.Process(root).children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0, 0.0
    for proc in procs:
        try:
            rss = proc.memory_info().rss / 2**20
            total += rss
            if "celery" in " ".join(proc.cmdline()):
                worker = max(worker, rss)
        except psutil.NoSuchProcess:
            continue
    return total, worker


def paper_rows(database: Path) -> dict[str, tuple]:
    if not database.exists():
        return {}
    with sqlite3.connect(database) as conn:
        try:
            return {key: (status, pages, failed, error) for key, status, pages, failed, error in conn.execute(
                "select key, status, page_count, failed_pages, error from papers")}
        except sqlite3.OperationalError:
            return {}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--papers", type=int, default=30)
    parser.add_argument("--pages", type=int, default=10)
    parser.add_argument("--waves", type=int, default=3)
    parser.add_argument("--sample-every", type=float, default=5.0, help="seconds between RSS samples")
    parser.add_argument("--timeout", type=float, default=5400)
    parser.add_argument("--json", type=Path, help="write the figures and the RSS series here")
    args = parser.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="soak-"))
    data, staging = tmp / "data", tmp / "staging"
    staging.mkdir(parents=True)
    papers = make_papers(staging, page_pool(tmp), args.papers, args.pages)
    waves = [papers[i::args.waves] for i in range(args.waves)]
    bad = [bad_files(staging, w + 1) for w in range(args.waves)]
    from ocr_assets.pages import paper_key

    refused_expected = {paper_key(p) for wave in bad for p in wave}  # the keys the product gives them
    print(f"{len(papers)} papers x {args.pages} pages, {sum(len(b) for b in bad)} bad files, {args.waves} waves; "
          f"data in {data}", flush=True)

    port = free_port()
    env = {**os.environ, "EXAMPAPER_DATA_DIR": str(data), "DAGSTER_HOME": str(data / "dagster_home"),
           "EXAMPAPER_SETTLE_SECONDS": "2"}
    for key in ("EXAMPAPER_DROP_DIR", "EXAMPAPER_DATABASE_URL", "EXAMPAPER_CELERY_BROKER",
                "EXAMPAPER_CELERY_BACKEND", "EXAMPAPER_CELERY_QUEUE"):
        env.pop(key, None)
    (data / "drop").mkdir(parents=True)
    started = time.time()
    product = subprocess.Popen([sys.executable, "-m", "ocr_assets.launcher", "--port", str(port)], cwd=REPO,
                               env=env, stdout=(tmp / "product.log").open("w"), stderr=subprocess.STDOUT,
                               start_new_session=True)
    samples = []  # (seconds since the first drop, pages done, product MiB, worker MiB)
    database = data / "exampapers.sqlite"
    try:
        wait_until(lambda: ui_answers(port) or product.poll() is not None, 300, "the UI did not answer")
        dropped = time.time()
        keys = {p.name for p in papers}
        next_wave, next_sample = 0, 0.0
        while True:
            now = time.time() - dropped
            if next_wave < len(waves) and (next_wave == 0 or now >= next_wave * 60):  # a wave a minute
                for item in waves[next_wave] + bad[next_wave]:
                    item.rename(data / "drop" / item.name)  # appears whole
                next_wave += 1
            rows = paper_rows(database)
            if now >= next_sample:
                total, worker = product_rss(product.pid)
                done_pages = sum(pages - failed for key, (status, pages, failed, _) in rows.items() if key in keys)
                samples.append((round(now, 1), done_pages, round(total), round(worker)))
                print(f"{now:7.0f} s  pages done {done_pages:4d}  product {total:7.0f} MiB  worker {worker:6.0f} MiB",
                      flush=True)
                next_sample = now + args.sample_every
            finished = [k for k in keys if rows.get(k, ("",))[0] == "done"]
            refused = [k for k in refused_expected if rows.get(k, ("",))[0] == "refused"]
            if next_wave == len(waves) and len(finished) == len(keys) and len(refused) == len(refused_expected):
                break
            if now > args.timeout or product.poll() is not None:
                print("soak: stopped before every paper was done (timeout or the product exited)", flush=True)
                break
            time.sleep(1.0)  # polling another process's database
        wall = time.time() - dropped
    finally:
        stop_product(product)

    rows = paper_rows(database)
    from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

    instance = DagsterInstance.from_config(str(data / "dagster_home"))
    runs = instance.get_run_records(RunsFilter(job_name="process_paper"))
    failed_runs = [r for r in runs if r.dagster_run.status == DagsterRunStatus.FAILURE]
    refused_runs = [r for r in failed_runs if r.dagster_run.tags.get("exampaper/refused")]
    pages_done = sum(pages - failed for key, (status, pages, failed, _) in rows.items() if key in keys)
    pages_failed = sum(failed for key, (status, pages, failed, _) in rows.items() if key in keys)
    lost = sorted(k for k in keys if rows.get(k, ("",))[0] != "done")
    warm = [s for s in samples if s[1] >= args.pages * 2]  # after two papers' pages
    worker_series = [s[3] for s in warm if s[3]]
    figures = {
        "papers": len(keys), "pages": len(keys) * args.pages, "pages_done": pages_done, "pages_failed": pages_failed,
        "papers_not_done": lost, "bad_files": len(refused_expected),
        "refused_rows": sum(1 for k in refused_expected if rows.get(k, ("",))[0] == "refused"),
        "runs": len(runs), "failed_runs": len(failed_runs), "refused_runs": len(refused_runs),
        "failed_runs_not_refusals": len(failed_runs) - len(refused_runs),
        "wall_s": round(wall, 1), "pages_per_s": round(pages_done / wall, 3), "product_up_s": round(dropped - started, 1),
        "worker_rss_mib_after_warmup": {"first": worker_series[0], "max": max(worker_series), "last": worker_series[-1]}
        if worker_series else None,
        "product_rss_mib_max": max((s[2] for s in samples), default=None),
    }
    print("\n" + json.dumps(figures, indent=1))
    if worker_series:
        growth = worker_series[-1] - worker_series[0]
        print(f"worker RSS after warm-up: {worker_series[0]} -> {worker_series[-1]} MiB (max {max(worker_series)}), "
              f"{growth:+d} MiB over {len(worker_series)} samples")
    if args.json:
        args.json.write_text(json.dumps({**figures, "samples": samples}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
