"""The drop-folder sensor: a paper that has stopped changing gets a partition and a run.

The cursor remembers, per paper, the cheap signature (sizes, mtimes) and the content hash of
what was last requested, so a restart neither skips nor repeats papers, a touched-but-same
paper is not run again, and a paper whose bytes changed is.
"""


import json
import os
import time
from dataclasses import dataclass, field

import dagster as dg

from ocr_assets.partitions import papers_partitions
from resources.drop_folder import DropFolder, DroppedPaper

SETTLE_SECONDS = float(os.environ.get("EXAMPAPER_SETTLE_SECONDS", "10"))


@dataclass
class Plan:
    new_partitions: list[str] = field(default_factory=list)
    run_requests: list[dg.RunRequest] = field(default_factory=list)
    cursor: dict = field(default_factory=dict)
    waiting: list[str] = field(default_factory=list)  # still being written


def plan_runs(
    papers: list[DroppedPaper], cursor: dict, known_partitions: set[str], settle_seconds: float, now: float
) -> Plan:
    plan = Plan(cursor={k: dict(v) for k, v in cursor.items()})
    for paper in papers:
        if now - paper.newest_mtime < settle_seconds:
            plan.waiting.append(paper.key)
            continue
        seen = plan.cursor.get(paper.key, {})
        if seen.get("sig") == paper.signature:
            continue
        sha = paper.content_hash()
        if seen.get("sha") == sha:  # touched or copied again, same bytes: nothing to redo
            plan.cursor[paper.key] = {**seen, "sig": paper.signature}
            continue
        generation = seen.get("gen", 0) + 1  # a run_key is never reused, even if content flips back
        plan.cursor[paper.key] = {"sig": paper.signature, "sha": sha, "gen": generation}
        if paper.key not in known_partitions and paper.key not in plan.new_partitions:
            plan.new_partitions.append(paper.key)
        plan.run_requests.append(
            dg.RunRequest(
                run_key=f"{paper.key}:{sha[:16]}:{generation}",
                partition_key=paper.key,
                tags={"exampaper/path": str(paper.path), "exampaper/sha256": sha},
            )
        )
    return plan


@dg.sensor(job_name="process_paper", minimum_interval_seconds=15, default_status=dg.DefaultSensorStatus.RUNNING)
def drop_folder_sensor(context: dg.SensorEvaluationContext, drop_folder: DropFolder) -> dg.SensorResult:
    """Requests one run per new or changed paper in the drop folder, once its files have settled."""
    cursor = json.loads(context.cursor) if context.cursor else {}
    known = set(context.instance.get_dynamic_partitions(papers_partitions.name))
    plan = plan_runs(drop_folder.papers(), cursor, known, SETTLE_SECONDS, time.time())
    if plan.waiting:
        context.log.info(f"waiting for files to settle: {', '.join(plan.waiting)}")
    return dg.SensorResult(
        run_requests=plan.run_requests,
        dynamic_partitions_requests=[papers_partitions.build_add_request(plan.new_partitions)] if plan.new_partitions else [],
        cursor=json.dumps(plan.cursor, sort_keys=True),
    )
