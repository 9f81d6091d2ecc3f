"""End to end: a stack of image-only papers dropped into the product as the README starts it.

Starts `python -m ocr_assets.launcher` (what `make run` runs) in a temporary data folder on a free
port, drops N papers at once (folders of page images, so OCR does all the work), waits until every
paper's questions are in the database, and prints:
- pages/s end to end (from the drop, and from the first run's start), against the engine-only
  pages/s measured on the same pages in this session (`ocr-assets bench`'s engine-only and
  production-pipeline figures, before the drop and after the product stopped);
- model loads per worker process (from the `ocr_structure` run metadata) against engines per process;
- time to the first paper's questions; per-stage time (queue wait, each asset step, run overhead);
- where every second from the drop to the last questions went (settle and sensor tick, run queue,
  Celery dispatch and job load, each step over all runs, run overhead, idle worker), what the
  uncovered-ink re-read cost inside the OCR step, the OCR worker's CPU-seconds per step, and the
  CPU-seconds of each product process (worker, daemon, code server, webserver) against the whole
  machine's, so a run on a shared machine says how much of the two cores the product really had.

Papers: the Chongqing pages (6 pages) copied N-2 times plus the Guangzhou (3) and Guangdong (2)
renders from ../shared/evaldata (read, never copied into the repo), or, without evaldata, papers
rendered by `python -m ocr_assets.synth`. Timings on a shared machine are noisy: compare runs made
on the same machine at the same time.

    .venv/bin/python benchmarks/drop_throughput.py [--papers 8] [--settle 2] [--workers 1]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
EVALDATA_PAGES = REPO.parent / "shared" / "evaldata" / "pages"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(condition, timeout: float, what: str, poll: float = 0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(poll)  # polling the product's processes
    raise SystemExit(f"benchmark: {what} within {timeout:.0f} s")


def make_papers(out: Path, count: int) -> list[Path]:
    """`count` image-only papers as folders of page images, from evaldata or rendered by synth."""
    out.mkdir(parents=True)
    chongqing = sorted(EVALDATA_PAGES.glob("p04_chongqing2023_chem_B-*.png"))
    others = [sorted(EVALDATA_PAGES.glob("p15_guangzhou2022_chem_render-*.png")),
              sorted(EVALDATA_PAGES.glob("p16_guangdong2022_chem_render-*.png"))]
    if chongqing and all(others):
        sources = others[: max(0, min(2, count - 1))]
        sources = [chongqing] * (count - len(sources)) + sources
    else:
        from ocr_assets.synth import generate

        synth_dir = out.parent / "synth"
        generate(synth_dir, n_papers=count)
        sources = [sorted(p.iterdir()) for p in sorted((synth_dir / "papers").iterdir())][:count]
    papers = []
    for index, pages in enumerate(sources, start=1):
        paper = out / f"paper_{index:02d}"
        paper.mkdir()
        for number, page in enumerate(pages, start=1):
            shutil.copy(page, paper / f"page-{number:02d}{page.suffix}")
        papers.append(paper)
    return papers


def engine_only(papers: list[Path]) -> dict:
    """The engines alone on the pages of the drop, frames decoded beforehand: one engine with all threads
    page by page (each distinct page read once, weighted by how often the drop holds it), and the
    production engines (`EXAMPAPER_CPU_ENGINES`) through the runtime on every page of the drop, as the
    product reads them (the copies of one paper weigh as they do end to end)."""
    from ocr_assets.frames import load_frame, write_frames
    from ocr_assets.pages import enumerate_pages
    from ocr_assets.runtime import run_inference
    from resources.hardware import derive_params, detect_hardware
    from resources.ocr_engine import DEFAULT_ENGINE, engine_spec, get_worker

    seen: dict[bytes, int] = {}  # content -> position in refs
    refs, copies, order = [], [], []  # distinct pages (with their paper), how often each is dropped, every page
    for number, paper in enumerate(papers):
        for ref in enumerate_pages(paper):
            content = Path(ref.file).read_bytes()
            if content not in seen:
                seen[content] = len(refs)
                refs.append((number, ref))
                copies.append(0)
            copies[seen[content]] += 1
            order.append(seen[content])
    params = derive_params(detect_hardware())
    production = get_worker(engine_spec(os.environ.get("EXAMPAPER_ENGINE", DEFAULT_ENGINE), params))
    single = get_worker(replace(production.spec, instances=1, threads=-1))
    with tempfile.TemporaryDirectory(prefix="engine-only-") as tmp:
        # each paper's frames in a folder of their own: frame files are named by page number
        by_paper: dict[int, list] = defaultdict(list)
        for number, ref in refs:
            by_paper[number].append(ref)
        written = {(number, frame.index): frame for number, paper_refs in by_paper.items()
                   for frame in write_frames(paper_refs, Path(tmp) / f"paper-{number}", workers=params.cpu_workers)}
        frames = [written[number, ref.index] for number, ref in refs]
        decoded = [load_frame(f) for f in frames]
        for engine in {single, production}:  # first-call allocations out of the timing
            for _ in range(engine.instances):
                engine.predict([decoded[0]])
        single_s = 0.0
        for frame, count in zip(decoded, copies):
            started = time.perf_counter()
            single.predict([frame])
            single_s += count * (time.perf_counter() - started)
        every = [decoded[i] for i in order]
        cpu_from = time.process_time()
        _, stats = run_inference([(i, lambda f=f: f) for i, f in enumerate(every)], production.predict,
                                 batch_size=params.det_batch_size, prefetch_depth=params.prefetch_depth,
                                 decode_workers=params.cpu_workers, free_cache=production.free_cache,
                                 engines=production.instances)
        pipelined_cpu_s = time.process_time() - cpu_from
    return {
        "pipelined_cpu_s_per_page": pipelined_cpu_s / len(order),
        "pages": len(order),
        "distinct": len(refs),
        "engine_only_pages_per_s": len(order) / single_s,
        "pipelined_pages_per_s": len(order) / stats.wall_s,
        "engines": production.instances,
    }


def stop_product(product: subprocess.Popen) -> None:
    """SIGTERM, as a person's Ctrl-C would; the whole group killed if it has not stopped in 20 s."""
    product.send_signal(signal.SIGTERM)
    try:
        product.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(product.pid, signal.SIGKILL)


def ui_answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=2) as reply:
            return reply.status == 200
    except OSError:
        return False


def collect(instance, keys: list[str]) -> dict | None:
    """Per paper: its successful run (after retries) and what it recorded; None while any is unfinished."""
    from dagster import DagsterRunStatus, RunsFilter

    records = instance.get_run_records(RunsFilter(job_name="process_paper"))
    by_key = defaultdict(list)
    for record in records:
        by_key[record.dagster_run.tags.get("dagster/partition")].append(record)
    done = {}
    for key in keys:
        runs = by_key.get(key, [])
        if not runs or any(not r.dagster_run.is_finished for r in runs):
            return None
        success = [r for r in runs if r.dagster_run.status == DagsterRunStatus.SUCCESS]
        will_retry = [r for r in runs if r.dagster_run.tags.get("dagster/will_retry") == "true"
                      and not any(o.dagster_run.tags.get("dagster/parent_run_id") == r.dagster_run.run_id for o in runs)]
        if not success and will_retry:
            return None  # its retry is not created yet
        done[key] = {"runs": runs, "success": success[0] if success else None}
    return done


def stage_times(instance, done: dict) -> dict:
    from dagster import AssetKey, DagsterEventType

    stages = defaultdict(list)
    for key, paper in done.items():
        for record in paper["runs"]:
            run_id = record.dagster_run.run_id
            if record.start_time is not None:
                stages["queued → started"].append(record.start_time - record.create_timestamp.timestamp())
            starts = {}
            step_total = 0.0
            for event in instance.all_logs(run_id, of_type={DagsterEventType.STEP_START, DagsterEventType.STEP_SUCCESS}):
                if event.dagster_event.event_type == DagsterEventType.STEP_START:
                    starts[event.step_key] = event.timestamp
                elif event.step_key in starts:
                    stages[f"step {event.step_key}"].append(event.timestamp - starts[event.step_key])
                    step_total += event.timestamp - starts[event.step_key]
            if record.start_time and record.end_time:
                stages["run wall"].append(record.end_time - record.start_time)
                stages["run overhead (wall - steps)"].append(record.end_time - record.start_time - step_total)
    questions = instance.fetch_materializations(AssetKey("exam_questions"), limit=1000).records
    ocr = instance.fetch_materializations(AssetKey("ocr_structure"), limit=1000).records
    return {"stages": stages, "questions_at": [r.timestamp for r in questions],
            "ocr_metadata": [r.asset_materialization.metadata for r in ocr]}


ROLES = (  # (what the command line holds, the role in the breakdown); first match wins
    ("celery", "OCR worker (celery, runs the papers)"),
    ("dagster_webserver", "webserver (UI)"),
    ("dagster-webserver", "webserver (UI)"),
    ("_daemon", "daemon (sensor, run queue, monitoring, retries)"),
    ("dagster-daemon", "daemon (sensor, run queue, monitoring, retries)"),
    ("code-server", "code server(s) (sensor evaluation, UI queries)"),
    ("api grpc", "code server(s) (sensor evaluation, UI queries)"),
    ("ocr_assets.launcher", "launcher + review server"),
    ("dagster dev", "dagster dev (parent)"),
)


def role_of(cmdline: list[str]) -> str:
    text = " ".join(cmdline)
    return next((role for needle, role in ROLES if needle in text), "other: " + " ".join(cmdline[:3])[:60])


class ProcessCpu:
    """Samples the CPU-seconds of every process of the product (by role) and of the whole machine,
    so a window (the drop to the last questions) can be charged to each: who used the two cores."""

    def __init__(self, root_pid: int, interval_s: float = 0.5) -> None:
        import psutil
        import threading

        self._psutil = psutil
        self.root = psutil.Process(root_pid)
        self.interval_s = interval_s
        self.samples: list[tuple[float, dict[int, tuple[str, float]], float]] = []
        self._roles: dict[int, str] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="process-cpu")

    def __enter__(self) -> "ProcessCpu":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        psutil = self._psutil
        found = {}
        try:
            tree = [self.root, *self.root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return
        for proc in tree:
            try:
                if proc.pid not in self._roles:
                    self._roles[proc.pid] = role_of(proc.cmdline())
                times = proc.cpu_times()
                found[proc.pid] = (self._roles[proc.pid], times.user + times.system)
            except psutil.Error:
                continue
        machine = psutil.cpu_times()
        busy = machine.user + machine.nice + machine.system + getattr(machine, "irq", 0) + getattr(machine, "softirq", 0)
        self.samples.append((time.time(), found, busy))

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self._sample()

    def role_cpu_at(self, role: str, when: float) -> float:
        """CPU-seconds the processes of `role` had used by `when`, interpolated between samples."""
        points = [(t, sum(cpu for r, cpu in found.values() if r == role)) for t, found, _ in self.samples]
        if not points:
            return 0.0
        if when <= points[0][0]:
            return points[0][1]
        for (t0, c0), (t1, c1) in zip(points, points[1:]):
            if t0 <= when <= t1:
                return c0 + (c1 - c0) * (when - t0) / (t1 - t0) if t1 > t0 else c1
        return points[-1][1]

    def window(self, start: float, end: float) -> tuple[dict[str, float], float]:
        """CPU-seconds per role and of the whole machine between two wall-clock times (to the
        nearest sample); a process born inside the window counts from zero."""
        before = [s for s in self.samples if s[0] <= start] or self.samples[:1]
        upto = [s for s in self.samples if s[0] <= end] or self.samples[:1]
        first, last = before[-1], upto[-1]
        roles: dict[str, float] = defaultdict(float)
        for pid, (role, cpu) in last[1].items():
            roles[role] += cpu - first[1].get(pid, (role, 0.0))[1]
        return dict(roles), last[2] - first[2]


def run_events(instance, run_id: str) -> dict:
    """Wall-clock times of a run's lifecycle events (the first of each kind)."""
    from dagster import DagsterEventType as E

    kinds = {E.RUN_ENQUEUED: "enqueued", E.RUN_DEQUEUED: "dequeued", E.RUN_STARTING: "starting",
             E.RUN_START: "started", E.RUN_SUCCESS: "ended", E.RUN_FAILURE: "ended"}
    times = {}
    for event in instance.all_logs(run_id, of_type=set(kinds)):
        times.setdefault(kinds[event.dagster_event.event_type], event.timestamp)
    return times


def critical_path(instance, done: dict, dropped: float, last_questions: float) -> list[tuple[str, float]]:
    """Every second between the drop and the last paper's questions, on the path that decides it:
    the first run's way from the drop into the worker, then the worker's runs back to back (their
    steps, their overhead, the gaps between them; time runs overlapped counted once), up to the
    last questions. The rows add up to the total."""
    from dagster import DagsterEventType

    runs = sorted((r for v in done.values() for r in v["runs"] if r.start_time), key=lambda r: r.start_time)
    first = runs[0]
    ev = run_events(instance, first.dagster_run.run_id)
    created = first.create_timestamp.timestamp()
    rows = [
        ("drop → first run created (settle + sensor tick + evaluation)", created - dropped),
        ("created → dequeued (run queue daemon)", ev.get("dequeued", created) - created),
        ("dequeued → launched (Celery task sent)", ev.get("starting", ev.get("dequeued", created)) - ev.get("dequeued", created)),
        ("launched → started in the worker (broker poll, job load)", first.start_time - ev.get("starting", created)),
    ]
    steps: dict[str, float] = defaultdict(float)
    overhead = 0.0
    spans = []
    windows = []  # (step key or "run", start, end): for the worker's CPU per step
    for record in runs:
        starts, total = {}, 0.0
        for event in instance.all_logs(record.dagster_run.run_id,
                                       of_type={DagsterEventType.STEP_START, DagsterEventType.STEP_SUCCESS,
                                                DagsterEventType.STEP_FAILURE}):
            if event.dagster_event.event_type == DagsterEventType.STEP_START:
                starts[event.step_key] = event.timestamp
            elif event.step_key in starts:
                steps[event.step_key] += event.timestamp - starts[event.step_key]
                total += event.timestamp - starts[event.step_key]
                windows.append((event.step_key, starts[event.step_key], event.timestamp))
        end = record.end_time or record.start_time
        overhead += end - record.start_time - total
        spans.append((record.start_time, end))
        windows.append(("run", record.start_time, end))
    covered, idle, reach = 0.0, 0.0, spans[0][0]  # union of the runs' spans, and the holes in it
    for start, end in sorted(spans):
        if start > reach:
            idle += start - reach
        covered += max(0.0, end - max(start, reach))
        reach = max(reach, end)
    overlap = sum(end - start for start, end in spans) - covered
    rows += [(f"step {key} (all runs)", value) for key, value in sorted(steps.items())]
    rows += [("run overhead outside steps (all runs)", overhead),
             ("minus: time runs overlapped each other (several workers)", -overlap),
             ("no run in progress between the first start and the last end", idle),
             ("last run's end → the last questions (negative: questions before the run ended)", last_questions - reach)]
    return rows, windows


def print_breakdown(instance, done: dict, report: dict, sampler: ProcessCpu, dropped: float, last_questions: float,
                    pages_total: int) -> float:
    """Where the seconds between the drop and the last questions went, and whose CPU they were;
    returns the product's CPU-seconds in that window."""
    total = last_questions - dropped
    rows, windows = critical_path(instance, done, dropped, last_questions)
    print(f"\nwhere the {total:.1f} s from the drop to the last questions went")
    for label, seconds in rows:
        print(f"  {label:<78} {seconds:7.2f} s {100 * seconds / total:5.1f} %")
    print(f"  {'sum':<78} {sum(s for _, s in rows):7.2f} s")
    ink = defaultdict(float)
    for metadata in report["ocr_metadata"]:
        if "ink_reread" in metadata:
            for key, value in metadata["ink_reread"].value.items():
                ink[key] += value
    ocr_wall = sum(m["wall_s"].value for m in report["ocr_metadata"])
    waits = sum(m["wait_for_frames_s"].value for m in report["ocr_metadata"])
    if ink:
        print(f"inside ocr_structure ({ocr_wall:.1f} s of OCR wall, {waits:.1f} s waiting for decoded frames): "
              f"uncovered-ink re-read on {int(ink['pages'])} pages, {int(ink['engine_calls'])} extra engine calls "
              f"({ink['engine_calls'] / max(1, ink['pages']):.2f}/page, {int(ink['regions'])} regions, "
              f"{int(ink['lines_added'])} lines added), {ink['wall_s']:.1f} s wall in batch threads of which "
              f"{ink['engine_s']:.1f} s in the engine; analysis CPU {ink['thread_cpu_s']:.1f} s "
              f"({ink['thread_cpu_s'] / max(1, ink['pages']):.3f} CPU-s/page)")
    worker = ROLES[0][1]
    step_cpu: dict[str, float] = defaultdict(float)
    for key, start, end in windows:
        step_cpu[key] += sampler.role_cpu_at(worker, end) - sampler.role_cpu_at(worker, start)
    run_cpu = step_cpu.pop("run", 0.0)
    print(f"the OCR worker's CPU-seconds per step (sampled every {sampler.interval_s:g} s; with several "
          "runs at once, overlapping steps share the same seconds):")
    for key, seconds in sorted(step_cpu.items()):
        print(f"  {key:<30} {seconds:7.1f} CPU-s  {seconds / pages_total:6.3f} CPU-s/page")
    print(f"  {'runs outside steps':<30} {run_cpu - sum(step_cpu.values()):7.1f} CPU-s")
    roles, machine = sampler.window(dropped, last_questions)
    product = sum(roles.values())
    print(f"CPU-seconds in that window ({2 * total:.0f} core-s on 2 cores; "
          f"machine busy {machine:.1f}, product {product:.1f}, other processes on the machine {machine - product:.1f}):")
    for role, seconds in sorted(roles.items(), key=lambda kv: -kv[1]):
        print(f"  {role:<60} {seconds:7.1f} CPU-s  {seconds / total:5.2f} cores  "
              f"{seconds / pages_total:6.3f} CPU-s/page")
    return product


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--papers", type=int, default=8)
    parser.add_argument("--settle", type=float, default=2.0, help="EXAMPAPER_SETTLE_SECONDS for the drop (product: 10)")
    parser.add_argument("--workers", type=int, default=1, help="OCR worker processes (EXAMPAPER_WORKERS)")
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--skip-engine-only", action="store_true")
    args = parser.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="drop-throughput-"))
    data = tmp / "data"
    papers = make_papers(tmp / "staging", args.papers)
    pages_total = sum(len(list(p.iterdir())) for p in papers)
    print(f"{len(papers)} papers, {pages_total} pages (image-only); load average {os.getloadavg()[0]:.2f}; "
          f"{os.cpu_count()} cores", flush=True)
    before = None if args.skip_engine_only else engine_only(papers)
    if before:
        print(f"engine only before the drop: {before['engine_only_pages_per_s']:.3f} pages/s one engine, "
              f"{before['pipelined_pages_per_s']:.3f} pages/s production pipeline", flush=True)

    port = free_port()
    env = {**os.environ, "EXAMPAPER_DATA_DIR": str(data), "DAGSTER_HOME": str(data / "dagster_home"),
           "EXAMPAPER_SETTLE_SECONDS": str(args.settle), "EXAMPAPER_WORKERS": str(args.workers)}
    for key in ("EXAMPAPER_DROP_DIR", "EXAMPAPER_DATABASE_URL", "EXAMPAPER_CELERY_BROKER",
                "EXAMPAPER_CELERY_BACKEND", "EXAMPAPER_CELERY_QUEUE"):
        env.pop(key, None)
    (data / "drop").mkdir(parents=True)
    log = (tmp / "product.log").open("w")
    started = time.time()
    product = subprocess.Popen([sys.executable, "-m", "ocr_assets.launcher", "--port", str(port)],
                               cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_until(lambda: ui_answers(port) or product.poll() is not None, 300, "the UI did not answer")
        if product.poll() is not None:
            raise SystemExit(f"benchmark: the product exited; see {tmp / 'product.log'}")
        print(f"product up in {time.time() - started:.1f} s (UI on port {port})", flush=True)
        sampler = ProcessCpu(product.pid).__enter__()
        dropped = time.time()
        for paper in papers:  # a rename: each paper appears whole, all within milliseconds
            paper.rename(data / "drop" / paper.name)
        papers = [data / "drop" / paper.name for paper in papers]

        from dagster import DagsterInstance

        instance = DagsterInstance.from_config(str(data / "dagster_home"))
        keys = [p.name for p in papers]
        done = wait_until(lambda: collect(instance, keys), args.timeout, "not every paper finished", poll=1.0)
        finished = time.time()
        report = stage_times(instance, done)
    finally:
        if "sampler" in locals():
            sampler.__exit__(None, None, None)
        stop_product(product)
    failed = [k for k, v in done.items() if v["success"] is None]
    first_start = min(r.start_time for v in done.values() for r in v["runs"] if r.start_time)
    last_questions = max(report["questions_at"])
    e2e_drop = pages_total / (last_questions - dropped)
    e2e_runs = pages_total / (last_questions - first_start)
    print(f"\npapers done {len(done) - len(failed)}/{len(done)}" + (f", failed: {', '.join(failed)}" if failed else ""))
    print(f"runs (incl. retries) {sum(len(v['runs']) for v in done.values())}")
    print(f"time to the first paper's questions   {min(report['questions_at']) - dropped:7.1f} s after the drop")
    print(f"time to the last paper's questions    {last_questions - dropped:7.1f} s after the drop "
          f"(settle {args.settle:g} s + sensor tick included); {finished - dropped:.1f} s until seen")
    print(f"end to end from the drop              {e2e_drop:7.3f} pages/s")
    print(f"end to end from the first run start   {e2e_runs:7.3f} pages/s")
    loads = defaultdict(set)
    engines = set()
    for metadata in report["ocr_metadata"]:
        loads[metadata["worker_pid"].value].add(metadata["model_loads_in_process"].value)
        engines.add(metadata["engines"].value)
    print(f"model loads per worker process {dict((pid, max(v)) for pid, v in loads.items())}; "
          f"engines per process {sorted(engines)}; {len(loads)} worker process(es) ran {len(report['ocr_metadata'])} OCR steps")
    print("\nper stage (s)                          n    mean   median      max")
    for stage, values in sorted(report["stages"].items()):
        print(f"{stage:<34} {len(values):5d} {statistics.mean(values):7.2f} {statistics.median(values):8.2f} "
              f"{max(values):8.2f}")
    product_cpu_s = print_breakdown(instance, done, report, sampler, dropped, last_questions, pages_total)
    sys.stdout.flush()
    after = None if args.skip_engine_only else engine_only(papers)
    for label, figures in (("before the drop", before), ("after the product stopped", after)):
        if figures:
            print(f"engine only, {label:<26} {figures['engine_only_pages_per_s']:7.3f} pages/s one engine all "
                  f"threads; {figures['pipelined_pages_per_s']:.3f} pages/s production pipeline "
                  f"({figures['engines']} engines, {figures['pipelined_cpu_s_per_page']:.2f} CPU-s/page), "
                  f"{figures['pages']} pages ({figures['distinct']} distinct)")
    if before and after:
        best = statistics.mean([max(f["engine_only_pages_per_s"], f["pipelined_pages_per_s"]) for f in (before, after)])
        print(f"end to end / engine only (the faster way, mean of both) = {e2e_drop / best:.2f} from the drop, "
              f"{e2e_runs / best:.2f} from the first run start (target ≥ 0.8)")
        engine_cpu = statistics.mean(f["pipelined_cpu_s_per_page"] for f in (before, after))
        print(f"CPU-seconds per page: engine only {engine_cpu:.2f}, the whole product {product_cpu_s / pages_total:.2f} "
              f"→ {engine_cpu * pages_total / product_cpu_s:.2f}, the ratio a machine whose cores the product had to "
              "itself could reach at best (load-independent, unlike the wall-clock ratio above)")
    print(f"\nload average now {os.getloadavg()[0]:.2f} (shared machine: figures are noisy); data in {tmp}")
    instance.dispose()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
