"""`make run`: the Dagster UI and daemon plus long-lived OCR workers, started and stopped as one.

Runs are executed by Celery workers (dagster-celery's run launcher) that keep the OCR engine
loaded across papers, as in cluster mode; on one machine the broker and the result backend are
SQLite files in the data folder, so nothing else has to be installed or started. Point
`EXAMPAPER_CELERY_BROKER` at RabbitMQ and the same workers serve a cluster.

Every child runs in its own session with SIGINT and SIGTERM at their defaults (a background job
of a script inherits SIGINT ignored, which `dagster dev` would keep); on Ctrl-C, SIGTERM or SIGHUP
the launcher terminates each child's process group, then kills whatever is left of them and
their descendants, so nothing outlives it. A run cut short by the stop fails as interrupted and is
retried when the product starts again. A worker that dies is started again.

    python -m ocr_assets.launcher [--host 127.0.0.1] [--port 3000] [--review-port 3001] [--workers 1]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path

import psutil
import yaml

REPO = Path(__file__).resolve().parents[1]
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
GRACE_SECONDS = 5.0  # children get this long after SIGTERM before they are killed (all gone within 10 s)
WORKER_RESTART_SECONDS = 2.0
WARM_START_VAR = "EXAMPAPER_WARM_START"  # 0: the worker loads its engines with its first run (ocr_assets.celery_worker)


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    dagster_home: Path
    broker: str
    backend: str
    queue: str
    workers: int
    host: str
    port: int
    review_port: int = 0  # the review pages' server (0: the UI's port + 1)

    @property
    def review_url(self) -> str:
        return f"http://{self.host}:{self.review_port or self.port + 1}"

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "EXAMPAPER_REVIEW_URL": self.review_url,
            "EXAMPAPER_DATA_DIR": str(self.data_dir),
            "DAGSTER_HOME": str(self.dagster_home),
            "EXAMPAPER_CELERY_BROKER": self.broker,
            "EXAMPAPER_CELERY_BACKEND": self.backend,
            "EXAMPAPER_CELERY_QUEUE": self.queue,
        }


def settings_from(environ: dict[str, str], workers: int, host: str, port: int) -> Settings:
    """Defaults put everything under the data folder: a SQLite broker and result backend (no server)."""
    data_dir = Path(environ.get("EXAMPAPER_DATA_DIR", "data")).resolve()
    celery_dir = data_dir / "celery"
    return Settings(
        data_dir=data_dir,
        dagster_home=Path(environ.get("DAGSTER_HOME", data_dir / "dagster_home")).resolve(),
        broker=environ.get("EXAMPAPER_CELERY_BROKER", f"sqla+sqlite:///{celery_dir / 'broker.sqlite'}"),
        backend=environ.get("EXAMPAPER_CELERY_BACKEND", f"db+sqlite:///{celery_dir / 'results.sqlite'}"),
        queue=environ.get("EXAMPAPER_CELERY_QUEUE", "exampapers"),
        workers=workers,
        host=host,
        port=port,
    )


def instance_config(template: dict, workers: int, current: dict | None = None) -> dict:
    """The instance config for `workers` worker processes: one run in progress per worker plus one
    waiting in the broker, so a worker starts its next paper as soon as it finishes one (without it,
    about 4 s a paper went on the dequeue interval, the broker poll and the run start); the other
    papers wait as QUEUED in the UI. A `storage` section already in $DAGSTER_HOME/dagster.yaml
    (README: PostgreSQL) is kept."""
    config = {**template, "concurrency": {**template.get("concurrency", {})}}
    config["concurrency"]["runs"] = {**config["concurrency"].get("runs", {}), "max_concurrent_runs": workers + 1}
    if current and "storage" in current:
        config["storage"] = current["storage"]
    return config


def write_instance_config(settings: Settings, template: Path = REPO / "config" / "dagster.yaml") -> Path:
    settings.dagster_home.mkdir(parents=True, exist_ok=True)
    (settings.data_dir / "celery").mkdir(parents=True, exist_ok=True)
    path = settings.dagster_home / "dagster.yaml"
    current = yaml.safe_load(path.read_text()) if path.exists() else None
    config = instance_config(yaml.safe_load(template.read_text()), settings.workers, current)
    path.write_text(f"# written by ocr_assets.launcher from config/{template.name} at every start (edit that file);\n"
                    "# a storage: section added here is kept\n" + yaml.safe_dump(config))
    return path


def dagster_command(settings: Settings) -> list[str]:
    return [sys.executable, "-m", "dagster", "dev", "-h", settings.host, "-p", str(settings.port),
            "-w", str(REPO / "workspace.yaml")]


def worker_command(settings: Settings, index: int) -> list[str]:
    # solo pool: the task runs in the worker process itself, whose engine stays loaded between papers;
    # gossip, mingle and heartbeats need broadcast messages, which a SQLite broker does not carry
    return [sys.executable, "-m", "celery", "-A", "ocr_assets.celery_worker", "-b", settings.broker,
            "--result-backend", settings.backend, "worker", "-Q", settings.queue, "--pool", "solo",
            "-n", f"ocr{index}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat",
            "--prefetch-multiplier", "1", "--loglevel", "INFO"]


def stop_with_parent(sig: int = signal.SIGTERM) -> None:
    """In a child before exec (Linux): receive `sig` when the process that started it dies, even by
    SIGKILL, so a killed launcher leaves no UI, daemon or worker behind holding the port and the
    engines (elsewhere a no-op: the clean stop still works, only a hard kill leaves orphans)."""
    try:
        import ctypes

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _default_signals() -> None:
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)
    stop_with_parent()


def spawn(command: list[str], env: dict[str, str]) -> subprocess.Popen:
    """A child in its own session (its group can be signalled as one) with default signal handling,
    stopped (SIGTERM) if the launcher dies without stopping it. Called from the main thread only: the
    parent-death signal follows the thread that forked the child."""
    return subprocess.Popen(command, cwd=REPO, env=env, start_new_session=True, preexec_fn=_default_signals)


def descendants(procs: list[subprocess.Popen]) -> list[psutil.Process]:
    found = []
    for proc in procs:
        try:
            parent = psutil.Process(proc.pid)
            found += [parent, *parent.children(recursive=True)]
        except psutil.NoSuchProcess:
            continue
    return found


def stop_all(procs: list[subprocess.Popen], grace: float = GRACE_SECONDS) -> None:
    """SIGTERM each child's process group, wait up to `grace`, then SIGKILL every survivor,
    including descendants that moved to a group of their own."""
    tree = descendants(procs)
    for proc in procs:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except (ProcessLookupError, PermissionError):
            pass
    _, alive = psutil.wait_procs(tree, timeout=grace)
    for proc in procs:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    for survivor in alive:
        try:
            survivor.kill()  # psutil checks pid and start time: never a recycled pid
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(alive, timeout=2)
    for proc in procs:
        proc.poll()  # reap


def open_review_server(settings: Settings):
    """The review pages' server, bound but not yet serving: on `--review-port` if one was asked for
    (taken: an error), else on the UI's port + 1, else (taken) on any free port."""
    from ocr_assets.review_server import make_server

    root = settings.data_dir / "review"
    try:
        return make_server(root, settings.host, settings.review_port or settings.port + 1)
    except OSError:
        if settings.review_port:
            raise
        return make_server(root, settings.host, 0)


@dataclass
class Supervisor:
    settings: Settings
    stop: threading.Event = field(default_factory=threading.Event)
    stop_reason: str = ""

    def request_stop(self, signum, _frame) -> None:
        self.stop_reason = signal.Signals(signum).name
        self.stop.set()

    def run(self) -> int:
        for sig in STOP_SIGNALS:
            signal.signal(sig, self.request_stop)
        write_instance_config(self.settings)
        # the review pages the UI links to, served read-only from this process (no child to stop); on the
        # UI's port + 1 unless that is taken (then any free port: the runs are told which)
        review = open_review_server(self.settings)
        self.settings = replace(self.settings, review_port=review.server_port)
        env = self.settings.env()
        threading.Thread(target=review.serve_forever, name="review-server", daemon=True).start()
        dagster = spawn(dagster_command(self.settings), env)
        workers = [spawn(worker_command(self.settings, i), env) for i in range(self.settings.workers)]
        print(f"launcher: Dagster UI http://{self.settings.host}:{self.settings.port} (pid {dagster.pid}); "
              f"{len(workers)} OCR worker(s) {[w.pid for w in workers]}, broker {self.settings.broker}; "
              f"review pages {self.settings.review_url}",
              file=sys.stderr, flush=True)
        code = 0
        try:
            while not self.stop.wait(0.5):
                if dagster.poll() is not None:
                    print(f"launcher: dagster dev exited with {dagster.returncode}; stopping", file=sys.stderr)
                    code = dagster.returncode or 1
                    break
                for i, worker in enumerate(workers):
                    if worker.poll() is not None:  # crashed or killed: its run is failed and retried by Dagster
                        print(f"launcher: OCR worker {worker.pid} exited with {worker.returncode}; starting "
                              "another", file=sys.stderr, flush=True)
                        if self.stop.wait(WORKER_RESTART_SECONDS):
                            break
                        # the restarted worker loads its engines with the retried run, not at once: a load at
                        # the moment the daemon fails the crashed run and decides its retry was seen to lose
                        # the retry (Dagster writes the failure event before the run's status)
                        workers[i] = spawn(worker_command(self.settings, i), {**env, WARM_START_VAR: "0"})
        finally:
            for sig in STOP_SIGNALS:
                signal.signal(sig, signal.SIG_IGN)  # a second Ctrl-C must not cut the cleanup short
            if self.stop_reason:
                print(f"launcher: {self.stop_reason}: stopping", file=sys.stderr, flush=True)
            stop_all([dagster, *workers])
            review.shutdown()
            review.server_close()
        return code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ocr_assets.launcher", description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3000)
    parser.add_argument("--review-port", type=int, default=0,
                        help="port of the review pages the UI links to (default: --port + 1)")
    parser.add_argument("--workers", type=int, default=int(os.environ.get("EXAMPAPER_WORKERS", "1")),
                        help="OCR worker processes, each with its own warm engine (default 1, EXAMPAPER_WORKERS)")
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    settings = replace(settings_from(dict(os.environ), args.workers, args.host, args.port), review_port=args.review_port)
    return Supervisor(settings).run()


if __name__ == "__main__":
    sys.exit(main())
