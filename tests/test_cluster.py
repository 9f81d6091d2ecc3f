"""Cluster mode: runs executed by a long-lived Celery worker (RabbitMQ broker, Dagster storage in
PostgreSQL). A drop of several papers must load the OCR model once in that worker process.

Needs RabbitMQ on 127.0.0.1:5672 (guest/guest) and PostgreSQL on 127.0.0.1:5432 (trust auth);
skips, saying which is missing, otherwise."""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid

import pytest
import yaml

from tests.conftest import REPO, SAMPLE_PDF

BROKER = "pyamqp://guest:guest@127.0.0.1:5672//"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


pytestmark = [
    pytest.mark.skipif(not _listening(5672), reason="no RabbitMQ on 127.0.0.1:5672 (README: 'Cluster mode')"),
    pytest.mark.skipif(not _listening(5432), reason="no PostgreSQL on 127.0.0.1:5432 (README: 'Cluster mode')"),
]


@pytest.fixture
def database():
    import psycopg

    name = f"exampaper_cluster_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    yield f"postgresql+psycopg2://postgres@127.0.0.1:5432/{name}"  # dagster-postgres needs psycopg2
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_a_worker_process_loads_the_model_once_for_many_papers(tmp_path, database, monkeypatch):
    queue = f"exampapers-test-{uuid.uuid4().hex[:8]}"
    home = tmp_path / "dagster_home"
    home.mkdir()
    config = yaml.safe_load((REPO / "config" / "dagster.cluster.yaml").read_text())
    config["run_coordinator"] = {  # launch at submit: no daemon in this test
        "module": "dagster._core.run_coordinator", "class": "DefaultRunCoordinator"}
    (home / "dagster.yaml").write_text(yaml.safe_dump(config))
    drop = tmp_path / "drop"
    drop.mkdir()
    papers = ["paper_a", "paper_b", "paper_c"]
    for name in papers:
        shutil.copy(SAMPLE_PDF, drop / f"{name}.pdf")
    settings = {
        "DAGSTER_HOME": str(home),
        "EXAMPAPER_DAGSTER_POSTGRES_URL": database,
        "EXAMPAPER_CELERY_BROKER": BROKER,
        "EXAMPAPER_CELERY_QUEUE": queue,
        "EXAMPAPER_DATA_DIR": str(tmp_path / "data"),
        "EXAMPAPER_DROP_DIR": str(drop),
        "EXAMPAPER_DATABASE_URL": f"sqlite:///{tmp_path / 'questions.sqlite'}",
    }
    for key, value in settings.items():  # this process reads the same instance as the worker
        monkeypatch.setenv(key, value)
    env = dict(os.environ)
    worker = subprocess.Popen(
        # `python -m`, run in the repository: this checkout's code, whatever the venv has installed
        [sys.executable, "-m", "celery", "-A", "ocr_assets.celery_worker", "-b", BROKER, "worker", "-Q", queue, "--pool", "solo",
         "-n", f"{queue}@%h", "--without-gossip", "--without-mingle", "--loglevel", "WARNING"],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=open(tmp_path / "worker.log", "w"),
    )
    try:
        from dagster import AssetKey, AssetRecordsFilter, DagsterInstance, DagsterRunStatus

        instance = DagsterInstance.get()
        instance.add_dynamic_partitions("papers", papers)
        for name in papers:
            launched = subprocess.run(
                [sys.executable, "-m", "dagster", "job", "launch", "-m", "ocr_assets.definitions", "-j", "process_paper",
                 "--tags", json.dumps({"dagster/partition": name})],
                cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
            )
            assert launched.returncode == 0, launched.stderr[-3000:]
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            runs = instance.get_runs()
            if len(runs) == 3 and all(r.is_finished for r in runs):
                break
            time.sleep(1)  # polling another process's runs, not waiting on our threads
        runs = instance.get_runs()
        worker_log = (tmp_path / "worker.log").read_text()
        assert len(runs) == 3 and all(r.status == DagsterRunStatus.SUCCESS for r in runs), worker_log[-3000:]

        metadata = [
            instance.fetch_materializations(
                AssetRecordsFilter(asset_key=AssetKey("ocr_structure"), asset_partitions=[name]), limit=1
            ).records[0].asset_materialization.metadata
            for name in papers
        ]
        # loaded once for the whole drop: one model per engine instance of the worker process
        engines = {m["engines"].value for m in metadata}
        assert len(engines) == 1 and {m["model_loads_in_process"].value for m in metadata} == engines
        assert len({m["worker_pid"].value for m in metadata}) == 1 and metadata[0]["worker_pid"].value == worker.pid
        instance.dispose()
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        from celery import Celery

        with Celery(broker=BROKER).connection_for_write() as conn:
            conn.default_channel.queue_delete(queue)
