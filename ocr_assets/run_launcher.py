"""Runs executed by long-lived Celery workers that keep the OCR engine warm, on a laptop and on a cluster.

dagster-celery's `CeleryRunLauncher` reports a run whose worker was killed mid-task as still
running: the task's state stays STARTED in the result backend for ever, so run monitoring never
fails it and its retry never comes. This launcher also asks whether the worker process that
started the task is still alive, so a crashed run is failed (and retried) within one monitoring
poll. Everything else, including the broker, is dagster-celery's.
"""

from __future__ import annotations

import socket

import psutil
from dagster._core.launcher import CheckRunHealthResult, WorkerStatus
from dagster_celery.launcher import CeleryRunLauncher
from dagster_celery.tags import DAGSTER_CELERY_TASK_ID_TAG


def worker_is_local(worker_hostname: str, host: str | None = None) -> bool:
    """Celery names a worker `name@host`; a worker on this host can be checked by its pid."""
    return worker_hostname.rpartition("@")[2] == (host or socket.gethostname())


def started_task_health(task_info: object, host: str | None = None, pid_alive=psutil.pid_exists) -> WorkerStatus:
    """The health of a task in state STARTED from what the worker recorded when it took the task
    (celery's `track_started` stores `{"pid": …, "hostname": …}`): FAILED when that worker ran on
    this host and its process is gone, RUNNING otherwise (a remote worker cannot be checked by pid)."""
    if not isinstance(task_info, dict) or "pid" not in task_info or "hostname" not in task_info:
        return WorkerStatus.RUNNING
    if worker_is_local(str(task_info["hostname"]), host) and not pid_alive(int(task_info["pid"])):
        return WorkerStatus.FAILED
    return WorkerStatus.RUNNING


class WarmWorkerRunLauncher(CeleryRunLauncher):
    """`CeleryRunLauncher` whose health check notices a worker process that died mid-run."""

    def check_run_worker_health(self, run) -> CheckRunHealthResult:
        result = self.celery.AsyncResult(run.tags[DAGSTER_CELERY_TASK_ID_TAG])
        if result.state == "STARTED" and started_task_health(result.info) == WorkerStatus.FAILED:
            self._decide_retry_before_failing(run)
            return CheckRunHealthResult(
                WorkerStatus.FAILED,
                f"the worker process {result.info['pid']} ({result.info['hostname']}) that ran this run is gone",
            )
        return super().check_run_worker_health(run)

    def _decide_retry_before_failing(self, run) -> None:
        """Dagster stores a run's failure event before the run's status; the retry daemon, reading in
        between, sees a running run without a retry decision and never retries it (seen 2 times in 5
        crash tests). Recording the decision first, as Dagster computes it, closes that gap."""
        if not self._instance.run_retries_enabled:
            return
        from dagster import DagsterRunStatus
        from dagster._core.execution.retries import auto_reexecution_should_retry_run
        from dagster._core.storage.tags import WILL_RETRY_TAG

        will_retry = auto_reexecution_should_retry_run(self._instance, run.with_status(DagsterRunStatus.FAILURE), None)
        self._instance.add_run_tags(run.run_id, {WILL_RETRY_TAG: str(will_retry).lower()})
