"""The code location: four assets, their checks, one job, the drop-folder sensor and the reconcile schedule."""

from __future__ import annotations

import os

import dagster as dg

from ocr_assets.assets import decoded_frames, exam_questions, ocr_structure, pages
from ocr_assets.checks import exam_questions_checks
from ocr_assets.partitions import papers_partitions
from ocr_assets.schedules import reconcile_papers
from ocr_assets.sensors import drop_folder_sensor
from resources.drop_folder import DropFolder
from resources.hardware import HardwareConfig, banner, derive_params, detect_hardware
from resources.ocr_engine import DEFAULT_ENGINE, OcrEngineResource
from resources.storage import ArtifactStore, QuestionStore

DATA_DIR = os.environ.get("EXAMPAPER_DATA_DIR", "data")
STEP_RETRY_DELAY_S = float(os.environ.get("EXAMPAPER_RETRY_DELAY_S", "10"))


def drop_folder_resource() -> DropFolder:
    return DropFolder(path=os.environ.get("EXAMPAPER_DROP_DIR", os.path.join(DATA_DIR, "drop")))


def default_resources() -> dict:
    return {
        "drop_folder": drop_folder_resource(),
        "hardware": HardwareConfig(),
        "ocr_engine": OcrEngineResource(engine=os.environ.get("EXAMPAPER_ENGINE", DEFAULT_ENGINE)),
        "store": QuestionStore(database_url=os.environ.get("EXAMPAPER_DATABASE_URL"), data_dir=DATA_DIR),
        "artifacts": ArtifactStore(data_dir=DATA_DIR),
    }


# One process runs all four steps of a paper, so the engine loaded for ocr_structure is the
# process-wide singleton, loaded once per run process and never per asset. The selection brings the
# checks of exam_questions with it: they run after it in the same run, for the same paper.
process_paper = dg.define_asset_job(
    "process_paper",
    selection=[pages, decoded_frames, ocr_structure, exam_questions],
    partitions_def=papers_partitions,
    executor_def=dg.in_process_executor,
    # A step that raises (engine load, out of memory) is retried in place with backoff (10 s, 20 s ± jitter);
    # a refused file raises Failure(allow_retries=False) and is not. Run retries are left to crashes
    # (a killed run process), which no step retry can see.
    op_retry_policy=dg.RetryPolicy(
        max_retries=2, delay=STEP_RETRY_DELAY_S, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
    ),
    tags={"dagster/max_retries": "2", "dagster/retry_on_asset_or_op_failure": "false"},
)

defs = dg.Definitions(
    assets=[pages, decoded_frames, ocr_structure, exam_questions],
    asset_checks=[exam_questions_checks],
    jobs=[process_paper],
    sensors=[drop_folder_sensor],
    schedules=[reconcile_papers],
    resources=default_resources(),
)

try:  # the banner in the code server's log, once when the location loads
    dg.get_dagster_logger("ocr_assets").info("hardware:\n%s", banner(hw := detect_hardware(), derive_params(hw)))
except ValueError as exc:  # a bad EXAMPAPER_* override: say so now, not in the first run
    raise ValueError(f"bad runtime override: {exc}") from exc
