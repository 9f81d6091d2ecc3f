"""The Celery app the OCR workers run (`celery -A ocr_assets.celery_worker worker …`): dagster-celery's
tasks, plus a warm start.

When the worker is ready it imports the code location (what each run's job load would import) and
loads the engines the OCR step will ask for, before any paper arrives. Without it the first paper
of a drop paid for both inside its run: the import, then two engines with their detector,
recogniser and layout model, loaded and warmed up inside its `ocr_structure` step. A run that
arrives during the warm-up waits in the broker (the solo pool takes the next task only once this
returns); a warm-up that fails is logged and leaves the load to the first run, which reports the
error as before. `EXAMPAPER_WARM_START=0` (set by the launcher when it restarts a crashed worker)
leaves the load to the first run.
"""

from __future__ import annotations

import logging
import os
import time

from celery.signals import worker_ready
from dagster_celery.app import app, execute_job, execute_plan, resume_job  # noqa: F401  (the tasks)

log = logging.getLogger(__name__)


def warm_up() -> dict:
    """Import the code location and load its engines into this process's engine singletons.
    Returns what was done, for the worker's log."""
    started = time.perf_counter()
    from ocr_assets.definitions import default_resources
    from resources import ocr_engine

    imported = time.perf_counter()
    resources = default_resources()
    _, params = resources["hardware"].detect()
    pool = resources["ocr_engine"].worker(params)  # the same spec, hence the same singleton, as the OCR step's
    return {"import_s": round(imported - started, 2), "engines_s": round(time.perf_counter() - imported, 2),
            "engines": pool.instances, "model_loads_in_process": ocr_engine.MODEL_LOADS}


@worker_ready.connect
def _warm_up_when_ready(**_) -> None:
    if os.environ.get("EXAMPAPER_WARM_START", "1") == "0":  # the launcher's restart of a crashed worker
        return
    try:
        log.warning("OCR worker warm: %s", warm_up())
    except Exception:  # the first run loads the engines itself and fails there, visibly, if it must
        log.exception("OCR worker warm-up failed; the first run loads the engines")
