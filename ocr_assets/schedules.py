"""Reconciliation: every hour, re-request papers whose questions never landed (a failed or lost
run) and that have no run queued or in progress. A paper refused as a bad file is not requested
again until its bytes change. Also drops nothing: a paper that left the drop folder is only reported."""


import dagster as dg

from ocr_assets.assets import REFUSED_SHA_TAG, REFUSED_TAG
from ocr_assets.convert import soffice_path
from ocr_assets.partitions import papers_partitions
from resources.drop_folder import DropFolder

IN_FLIGHT = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]


def papers_to_reconcile(
    known: list[str], materialized: set[str], in_flight: set[str], present: set[str], refused: set[str] = frozenset()
) -> list[str]:
    return [
        key for key in known if key not in materialized and key not in in_flight and key in present and key not in refused
    ]


def refusal_stands(refusal: dict[str, str] | None, current_sha: str, converter_available: bool) -> bool:
    """A refusal (the tags of the paper's last run) still holds for the same bytes, unless it was
    for want of LibreOffice and LibreOffice is now installed."""
    if not refusal or REFUSED_TAG not in refusal:
        return False
    if refusal[REFUSED_TAG] == "needs_libreoffice" and converter_available:
        return False
    return refusal.get(REFUSED_SHA_TAG) == current_sha


@dg.schedule(cron_schedule="0 * * * *", job_name="process_paper", default_status=dg.DefaultScheduleStatus.RUNNING)
def reconcile_papers(context: dg.ScheduleEvaluationContext, drop_folder: DropFolder):
    instance = context.instance
    known = instance.get_dynamic_partitions(papers_partitions.name)
    materialized = instance.get_materialized_partitions(dg.AssetKey("exam_questions"))
    runs = instance.get_runs(filters=dg.RunsFilter(job_name="process_paper", statuses=IN_FLIGHT))
    in_flight = {run.tags.get("dagster/partition") for run in runs}
    present = {paper.key: paper for paper in drop_folder.papers()}
    converter = soffice_path() is not None
    refused = set()
    for key in papers_to_reconcile(known, materialized, in_flight, set(present)):
        last = instance.get_runs(filters=dg.RunsFilter(job_name="process_paper", tags={"dagster/partition": key}), limit=1)
        if last and REFUSED_TAG in last[0].tags and refusal_stands(last[0].tags, present[key].content_hash(), converter):
            refused.add(key)
    todo = papers_to_reconcile(known, materialized, in_flight, set(present), refused)
    missing = [key for key in known if key not in present and key not in materialized]
    if missing:
        context.log.warning(f"papers no longer in the drop folder, not retried: {', '.join(missing)}")
    if refused:
        context.log.info(f"refused as bad files, not retried until they change: {', '.join(sorted(refused))}")
    if not todo:
        return dg.SkipReason(f"all {len(known)} papers have their questions or were refused ({len(refused)})")
    return [
        dg.RunRequest(
            partition_key=key,
            tags={"exampaper/reconciled": "true", "exampaper/path": str(present[key].path), "exampaper/kind": present[key].kind},
        )
        for key in todo
    ]
