"""Reconciliation: every hour, re-request papers whose questions never landed (a failed or lost
run) and that have no run queued or in progress. Also drops nothing: a paper that left the
drop folder is only reported."""


import dagster as dg

from ocr_assets.partitions import papers_partitions
from resources.drop_folder import DropFolder

IN_FLIGHT = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]


def papers_to_reconcile(known: list[str], materialized: set[str], in_flight: set[str], present: set[str]) -> list[str]:
    return [key for key in known if key not in materialized and key not in in_flight and key in present]


@dg.schedule(cron_schedule="0 * * * *", job_name="process_paper", default_status=dg.DefaultScheduleStatus.RUNNING)
def reconcile_papers(context: dg.ScheduleEvaluationContext, drop_folder: DropFolder):
    instance = context.instance
    known = instance.get_dynamic_partitions(papers_partitions.name)
    materialized = instance.get_materialized_partitions(dg.AssetKey("exam_questions"))
    runs = instance.get_runs(filters=dg.RunsFilter(job_name="process_paper", statuses=IN_FLIGHT))
    in_flight = {run.tags.get("dagster/partition") for run in runs}
    present = {paper.key for paper in drop_folder.papers()}
    todo = papers_to_reconcile(known, materialized, in_flight, present)
    missing = [key for key in known if key not in present and key not in materialized]
    if missing:
        context.log.warning(f"papers no longer in the drop folder, not retried: {', '.join(missing)}")
    if not todo:
        return dg.SkipReason(f"all {len(known)} papers have their questions")
    return [dg.RunRequest(partition_key=key, tags={"exampaper/reconciled": "true"}) for key in todo]
