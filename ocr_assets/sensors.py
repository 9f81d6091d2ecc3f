"""The drop-folder sensor: a paper that has stopped changing gets a partition and a run.

A paper is read once its files have not changed for EXAMPAPER_SETTLE_SECONDS (10 s: slow copies over a
network share), or for 2 s when it is one file that already ends as its format ends (`%%EOF`, IEND …).

The cursor remembers, per paper, the cheap signature (sizes, mtimes) and the content hash of
what was last requested, so a restart neither skips nor repeats papers, a touched-but-same
paper is not run again, and a paper whose bytes changed is. A file that is refused (its run
fails once, never retried) is therefore not requested again until its bytes change — except a
Word file refused for want of LibreOffice, which is requested again once LibreOffice is there.
"""


import json
import os
import time
from dataclasses import dataclass, field

import dagster as dg

from ocr_assets.convert import soffice_path
from ocr_assets.partitions import papers_partitions
from resources.drop_folder import DropFolder, DroppedPaper

SETTLE_SECONDS = float(os.environ.get("EXAMPAPER_SETTLE_SECONDS", "10"))
# a single file that already ends as its format ends (DroppedPaper.complete) waits only this long
COMPLETE_SETTLE_SECONDS = 2.0


def settle_for(paper: DroppedPaper, settle_seconds: float) -> float:
    """How long a paper's files must stay unchanged before it is read: the full settle, or a short one
    for a file whose end is already written (never longer than the full one)."""
    return min(settle_seconds, COMPLETE_SETTLE_SECONDS) if paper.complete else settle_seconds


@dataclass
class Plan:
    new_partitions: list[str] = field(default_factory=list)
    run_requests: list[dg.RunRequest] = field(default_factory=list)
    cursor: dict = field(default_factory=dict)
    waiting: list[str] = field(default_factory=list)  # still being written
    refused: list[str] = field(default_factory=list)  # requested, to be refused by their run: why


def plan_runs(
    papers: list[DroppedPaper], cursor: dict, known_partitions: set[str], settle_seconds: float, now: float,
    converter_available: bool = True,
) -> Plan:
    plan = Plan(cursor={k: dict(v) for k, v in cursor.items()})
    for paper in papers:
        if now - paper.newest_mtime < settle_for(paper, settle_seconds):
            plan.waiting.append(paper.key)
            continue
        seen = plan.cursor.get(paper.key, {})
        # a Word file last requested without LibreOffice is read again once LibreOffice is installed
        converter_arrived = paper.kind == "word" and seen.get("converter") is False and converter_available
        if seen.get("sig") == paper.signature and not converter_arrived:
            continue
        sha = paper.content_hash()
        if seen.get("sha") == sha and not converter_arrived:  # touched or copied again, same bytes: nothing to redo
            plan.cursor[paper.key] = {**seen, "sig": paper.signature}
            continue
        generation = seen.get("gen", 0) + 1  # a run_key is never reused, even if content flips back
        plan.cursor[paper.key] = {"sig": paper.signature, "sha": sha, "gen": generation}
        if paper.kind == "word":
            plan.cursor[paper.key]["converter"] = converter_available
        if paper.key not in known_partitions and paper.key not in plan.new_partitions:
            plan.new_partitions.append(paper.key)
        if paper.problem:
            plan.refused.append(paper.problem)
        plan.run_requests.append(
            dg.RunRequest(
                run_key=f"{paper.key}:{sha[:16]}:{generation}",
                partition_key=paper.key,
                tags={"exampaper/path": str(paper.path), "exampaper/sha256": sha, "exampaper/kind": paper.kind},
            )
        )
    return plan


@dg.sensor(job_name="process_paper", minimum_interval_seconds=5, default_status=dg.DefaultSensorStatus.RUNNING)
def drop_folder_sensor(context: dg.SensorEvaluationContext, drop_folder: DropFolder) -> dg.SensorResult:
    """Requests one run per new or changed paper in the drop folder, once its files have settled."""
    cursor = json.loads(context.cursor) if context.cursor else {}
    known = set(context.instance.get_dynamic_partitions(papers_partitions.name))
    plan = plan_runs(drop_folder.papers(), cursor, known, SETTLE_SECONDS, time.time(), soffice_path() is not None)
    if plan.waiting:
        context.log.info(f"waiting for files to settle: {', '.join(plan.waiting)}")
    for problem in plan.refused:  # their runs fail at once, saying the same; this line is the first sign
        context.log.warning(f"refused: {problem}")
    return dg.SensorResult(
        run_requests=plan.run_requests,
        dynamic_partitions_requests=[papers_partitions.build_add_request(plan.new_partitions)] if plan.new_partitions else [],
        cursor=json.dumps(plan.cursor, sort_keys=True),
    )
