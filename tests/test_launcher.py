"""`make run`'s launcher: one warm OCR worker for every paper, a clean stop, a crashed run retried.

The decisions are pure functions tested on their own; the stop and crash tests start the real
product (`python -m ocr_assets.launcher`) in a temporary data folder on a free port."""

from __future__ import annotations

import shutil
import signal
import sqlite3
import sys
import time
from pathlib import Path

import psutil
import pytest
from dagster._core.launcher import WorkerStatus

from ocr_assets.launcher import instance_config, open_review_server, settings_from, worker_command
from ocr_assets.run_launcher import started_task_health, worker_is_local
from tests.conftest import SAMPLE_PDF
from tests.product import free_port, kill_tree, process_tree, start_product, survivors, ui_answers, wait_until

STOP_WITHIN_S = 10


@pytest.mark.parametrize("workers", [1, 2, 5])
def test_one_run_per_worker_and_one_waiting_and_the_rest_of_the_template_kept(workers):
    template = {"run_monitoring": {"enabled": True}, "concurrency": {"pools": {"default_limit": 1},
                                                                     "runs": {"max_concurrent_runs": 9}}}
    config = instance_config(template, workers)
    assert config["concurrency"] == {"pools": {"default_limit": 1}, "runs": {"max_concurrent_runs": workers + 1}}
    assert config["run_monitoring"] == {"enabled": True}
    assert template["concurrency"]["runs"]["max_concurrent_runs"] == 9  # the template is not modified
    assert "storage" not in config


def test_a_ready_worker_has_the_ocr_steps_engines_loaded_before_any_paper(monkeypatch):
    from celery.signals import worker_ready
    from dagster_celery.config import TASK_EXECUTE_JOB_NAME, TASK_RESUME_JOB_NAME

    from ocr_assets import celery_worker
    from ocr_assets.definitions import default_resources
    from resources import ocr_engine

    assert {TASK_EXECUTE_JOB_NAME, TASK_RESUME_JOB_NAME} <= set(celery_worker.app.tasks)
    resources = default_resources()
    _, params = resources["hardware"].detect()
    spec = resources["ocr_engine"].spec(params)
    loaded = ocr_engine._WORKERS.pop(spec, None)  # as in a fresh worker process
    if loaded is not None:
        loaded.close()
    loads = ocr_engine.MODEL_LOADS
    monkeypatch.setenv("EXAMPAPER_WARM_START", "0")  # a crashed worker's restart: the retried run loads them
    worker_ready.send(sender=None)
    assert ocr_engine.MODEL_LOADS == loads and spec not in ocr_engine._WORKERS
    monkeypatch.delenv("EXAMPAPER_WARM_START")
    worker_ready.send(sender=None)  # what celery sends once the worker is up
    assert ocr_engine.MODEL_LOADS == loads + spec.instances
    resources["ocr_engine"].worker(params)  # what the first paper's OCR step asks for: already there
    assert ocr_engine.MODEL_LOADS == loads + spec.instances


def test_a_storage_section_already_in_the_instance_config_is_kept():
    storage = {"postgres": {"postgres_url": {"env": "X"}}}
    config = instance_config({"telemetry": {"enabled": False}}, 1, {"storage": storage, "telemetry": {"enabled": True}})
    assert config["storage"] == storage and config["telemetry"] == {"enabled": False}


def test_default_broker_and_backend_are_files_in_the_data_folder_and_env_overrides_them(tmp_path):
    local = settings_from({"EXAMPAPER_DATA_DIR": str(tmp_path)}, 1, "127.0.0.1", 3000)
    assert local.broker == f"sqla+sqlite:///{tmp_path / 'celery' / 'broker.sqlite'}"
    assert local.backend.startswith("db+sqlite:///") and str(tmp_path) in local.backend
    assert local.dagster_home == tmp_path / "dagster_home"
    cluster = settings_from({"EXAMPAPER_DATA_DIR": str(tmp_path), "EXAMPAPER_CELERY_BROKER": "pyamqp://h//",
                             "EXAMPAPER_CELERY_BACKEND": "rpc://", "EXAMPAPER_CELERY_QUEUE": "q"}, 3, "0.0.0.0", 80)
    assert (cluster.broker, cluster.backend, cluster.queue) == ("pyamqp://h//", "rpc://", "q")
    command = worker_command(cluster, 2)
    assert command[command.index("-b") + 1] == "pyamqp://h//" and command[command.index("-Q") + 1] == "q"
    assert command[command.index("--pool") + 1] == "solo"  # the run executes in the process that keeps the engine


def test_review_server_takes_the_ui_port_plus_one_else_any_free_port_but_never_moves_an_asked_for_port(tmp_path):
    import socket
    from dataclasses import replace

    settings = settings_from({"EXAMPAPER_DATA_DIR": str(tmp_path)}, 1, "127.0.0.1", free_port() - 1)
    server = open_review_server(settings)
    try:
        assert server.server_port == settings.port + 1
    finally:
        server.server_close()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        fallback = open_review_server(replace(settings, port=busy - 1))
        try:
            assert fallback.server_port not in (0, busy)
        finally:
            fallback.server_close()
        with pytest.raises(OSError):
            open_review_server(replace(settings, review_port=busy))


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_data_on_the_command_line_wins_over_an_exported_data_dir(tmp_path):
    import os
    import subprocess

    env = {**os.environ, "EXAMPAPER_DATA_DIR": str(tmp_path / "exported"), "DAGSTER_HOME": str(tmp_path / "h")}
    repo = Path(__file__).resolve().parents[1]

    def printed(*args):
        out = subprocess.run(["make", "-s", "-C", str(repo), "print-data", *args], env=env, capture_output=True,
                             text=True, check=True).stdout
        return dict(item.split("=", 1) for item in out.split())

    asked = printed(f"DATA={tmp_path / 'asked'}")
    assert asked == {"DATA": str(tmp_path / "asked"), "EXAMPAPER_DATA_DIR": str(tmp_path / "asked"),
                     "DAGSTER_HOME": str(tmp_path / "asked" / "dagster_home")}
    exported = printed()  # no DATA: the exported folder is the data folder, for the drop folder too
    assert exported["DATA"] == exported["EXAMPAPER_DATA_DIR"] == str(tmp_path / "exported")
    assert exported["DAGSTER_HOME"] == str(tmp_path / "h")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's prctl")
def test_a_child_the_launcher_spawned_stops_when_the_launcher_is_killed(tmp_path):
    import os
    import subprocess

    # a stand-in launcher: spawns a long child with the launcher's spawn(), prints its pid, then waits
    script = ("import sys, time; from ocr_assets.launcher import spawn; "
              "child = spawn([sys.executable, '-c', 'import time; time.sleep(120)'], {}); "
              "print(child.pid, flush=True); time.sleep(120)")
    parent = subprocess.Popen([sys.executable, "-c", script], cwd=Path(__file__).resolve().parents[1],
                              stdout=subprocess.PIPE, text=True, env={**os.environ})
    child = psutil.Process(int(parent.stdout.readline()))
    try:
        assert child.is_running()
        parent.kill()  # no clean stop: SIGKILL
        parent.wait()
        gone, _ = psutil.wait_procs([child], timeout=10)
        assert gone, "the child outlived its killed launcher"
    finally:
        if child.is_running():
            child.kill()


@pytest.mark.parametrize("host", ["box", "gpu-07.lab", "h"])
def test_a_started_task_is_failed_only_when_its_local_worker_process_is_gone(host):
    alive = {101}
    check = lambda info: started_task_health(info, host=host, pid_alive=lambda pid: pid in alive)  # noqa: E731
    assert check({"pid": 101, "hostname": f"ocr0@{host}"}) == WorkerStatus.RUNNING
    assert check({"pid": 202, "hostname": f"ocr0@{host}"}) == WorkerStatus.FAILED
    assert check({"pid": 202, "hostname": "ocr0@elsewhere"}) == WorkerStatus.RUNNING  # remote: no pid check
    for unknown in (None, {}, {"pid": 202}, "text"):
        assert check(unknown) == WorkerStatus.RUNNING
    assert worker_is_local(f"a@b@{host}", host) and not worker_is_local(f"{host}@other", host)


def _started(tmp_path: Path):
    port = free_port()
    log = tmp_path / "launcher.log"
    launcher = start_product(tmp_path / "data", port, log)
    try:
        wait_until(lambda: ui_answers(port) or launcher.poll() is not None, 180, "the UI did not answer")
        assert launcher.poll() is None, log.read_text()[-3000:]

        def whole_product():  # the worker, the webserver, the daemon and a code server are all up
            tree = process_tree(launcher.pid)
            lines = " ".join(" ".join(p.cmdline()) for p in tree if p.is_running())
            return tree if all(k in lines for k in ("celery", "dagster_webserver", "_daemon", "code-server")) else None

        return launcher, wait_until(whole_product, 120, "the product's processes did not all start"), log, port
    except BaseException:
        kill_tree(process_tree(launcher.pid))
        raise


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_the_product_stops_on_sigterm_and_sigint_leaving_no_process(tmp_path, stop_signal):
    launcher, tree, log, port = _started(tmp_path)
    try:
        sent = time.monotonic()
        launcher.send_signal(stop_signal)  # SIGINT although it was started with SIGINT ignored, as `&` does
        try:
            launcher.wait(timeout=STOP_WITHIN_S)
            print(f"stopped {time.monotonic() - sent:.1f} s after {stop_signal.name}")  # a figure, not asserted
        except Exception:
            pytest.fail(f"the launcher did not stop within {STOP_WITHIN_S} s of {stop_signal.name}:\n"
                        + log.read_text()[-3000:])
        assert survivors(tree) == [], f"left behind after {stop_signal.name}"
        assert not ui_answers(port)
    finally:
        kill_tree(tree)


def _paper_rows(database: Path, key: str) -> tuple[int, int, int]:
    with sqlite3.connect(database) as conn:
        papers = conn.execute("select count(*) from papers where key = ?", (key,)).fetchone()[0]
        questions, positions = conn.execute(
            "select count(*), count(distinct q.position) from questions q join papers p on p.id = q.paper_id "
            "where p.key = ?", (key,)).fetchone()
    return papers, questions, positions


def test_a_run_killed_mid_ocr_is_retried_and_leaves_one_copy_of_the_paper(tmp_path):
    from dagster import DagsterEventType, DagsterInstance, DagsterRunStatus

    launcher, tree, log, _ = _started(tmp_path)
    data = tmp_path / "data"
    try:
        shutil.copy(SAMPLE_PDF, data / "drop" / "crash_paper.pdf")
        instance = DagsterInstance.from_config(str(data / "dagster_home"))

        def ocr_step_running():
            for run in instance.get_runs():
                if run.status != DagsterRunStatus.STARTED:
                    continue
                for record in instance.all_logs(run.run_id, of_type=DagsterEventType.STEP_START):
                    if record.step_key == "ocr_structure":
                        return run, record.dagster_event.pid
            return None

        run, pid = wait_until(ocr_step_running, 240, "the paper's OCR step did not start", poll=0.25)
        victim = psutil.Process(pid)
        assert "celery" in " ".join(victim.cmdline()), "the run should execute in the long-lived worker"
        victim.kill()  # SIGKILL mid-OCR
        killed_at = time.time()

        def retried_and_done():
            runs = instance.get_runs()
            retries = [r for r in runs if r.tags.get("dagster/parent_run_id") == run.run_id]
            return retries[0] if retries and retries[0].status == DagsterRunStatus.SUCCESS else None

        retry = wait_until(retried_and_done, 240, "the killed run was not retried to success", poll=1.0)
        assert instance.get_run_by_id(run.run_id).status == DagsterRunStatus.FAILURE
        retry_started = instance.get_run_record_by_id(retry.run_id).start_time
        print(f"retry started {retry_started - killed_at:.1f} s after the SIGKILL")  # a figure, not asserted

        papers, questions, positions = _paper_rows(data / "exampapers.sqlite", "crash_paper")
        assert papers == 1 and questions > 0 and positions == questions, (papers, questions, positions)
        instance.dispose()
    finally:
        launcher.send_signal(signal.SIGTERM)
        try:
            launcher.wait(timeout=STOP_WITHIN_S + 5)
        finally:
            kill_tree(tree + process_tree(launcher.pid))
