"""Checks of one paper's stored result, shown in the UI's Checks tab of `exam_questions` for each paper.

The rules are pure functions over the contract document (CONTRACT.md: pages, questions); the Dagster check at
the bottom only loads the stored paper and reports. A finding that means the stored result is wrong (a page
lost without a reason, a question with nothing in it) is an ERROR; one that asks a person to look is a WARN.
"""

import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import groupby

import dagster as dg

from resources.storage import QuestionStore, load_paper

ERROR, WARN = "ERROR", "WARN"


@dataclass(frozen=True)
class Finding:
    check: str
    passed: bool
    severity: str  # what a failure means: ERROR (the stored result is wrong) or WARN (look at it)
    description: str
    metadata: dict = field(default_factory=dict)


def pages_accounted_for(doc: dict, expected_pages: int | None = None) -> Finding:
    """Every page of the paper is stored as read ("ok") or as failed with its reason."""
    stored = {p["index"]: p for p in doc["pages"]}
    expected = range(1, expected_pages + 1) if expected_pages is not None else sorted(stored)
    lost = [i for i in expected if i not in stored]
    failed = {i: p.get("error") for i, p in sorted(stored.items()) if p["status"] != "ok"}
    unexplained = [i for i, error in failed.items() if not (error or "").strip()]
    explained = {i: error for i, error in failed.items() if i not in unexplained}
    problems = []
    if lost:
        problems.append(f"page{'s' if len(lost) > 1 else ''} {spans_text(lost)} not in the stored result")
    if unexplained:
        problems.append(f"page{'s' if len(unexplained) > 1 else ''} {spans_text(unexplained)} failed without a reason")
    summary = f"{len(expected)} pages: {len(expected) - len(lost) - len(failed)} read, {len(failed)} failed"
    return Finding(
        "pages_accounted_for",
        passed=not problems,
        severity=ERROR,
        description="; ".join(problems) if problems else summary + (
            "".join(f"; page {i}: {e}" for i, e in explained.items()) if explained else ""),
        metadata={"pages": len(expected), "lost": lost, "failed_without_reason": unexplained,
                  "failed": {str(i): e for i, e in failed.items()}},
    )


def numbers_continuous(doc: dict) -> Finding:
    """Question numbers run on without gaps or repeats within each section, and from one section to the next
    unless a section counts again from 1."""
    missing: dict[str, list[int]] = {}  # where: "in SECTION" or "before SECTION" (the gap ends a section)
    repeated: dict[str, list[int]] = {}
    unreadable = [q["number"] for q in doc["questions"] if not str(q["number"]).isdigit()]
    last = 0
    for section, questions in groupby(doc["questions"], key=lambda q: q.get("section") or "(no section)"):
        numbers = [int(q["number"]) for q in questions if str(q["number"]).isdigit()]
        if not numbers:
            continue
        if numbers[0] <= last:  # this section counts again from 1 (its first questions may be the lost ones)
            last = 0
        for position, number in enumerate(numbers):
            if number > last + 1:
                where = f"{'before' if position == 0 else 'in'} {section}"
                missing.setdefault(where, []).extend(range(last + 1, number))
            elif number <= last:
                repeated.setdefault(f"in {section}", []).append(number)
            last = max(last, number)
    problems = [f"missing {spans_text(n)} {where}" for where, n in missing.items()]
    problems += [f"repeated or out of order {', '.join(map(str, n))} {where}" for where, n in repeated.items()]
    if unreadable:
        problems.append(f"not a number: {', '.join(map(repr, unreadable))}")
    count = len(doc["questions"])
    return Finding(
        "numbers_continuous",
        passed=not problems,
        severity=WARN,
        description="; ".join(problems) if problems else f"{count} questions numbered without gaps",
        metadata={"missing": missing, "repeated": repeated, "unreadable": unreadable,
                  "numbers": ", ".join(str(q["number"]) for q in doc["questions"])},
    )


def stems_present(doc: dict) -> Finding:
    """No question is stored empty: it has stem text, a sub-question, a figure, or (a cloze blank) a passage."""
    empty = [q["number"] for q in doc["questions"] if is_empty_question(q)]
    return Finding(
        "stems_present",
        passed=not empty,
        severity=ERROR,
        description=(f"question{'s' if len(empty) > 1 else ''} {', '.join(map(str, empty))} stored with an empty stem"
                     if empty else f"all {len(doc['questions'])} questions have a stem"),
        metadata={"empty": empty},
    )


def is_empty_question(q: dict) -> bool:
    has_sub_question = any((s.get("text") or "").strip() for s in q.get("sub_questions") or [])
    return not ((q.get("stem") or "").strip() or has_sub_question or q.get("figures") or q.get("passage"))


def option_labels_consecutive(doc: dict) -> Finding:
    """A question's options are labelled A, B, C, … from A, without gaps or repeats."""
    broken = {}
    for q in doc["questions"]:
        labels = [normalise_label(o["label"]) for o in q.get("options") or []]
        if labels and labels != [chr(ord("A") + i) for i in range(len(labels))]:
            broken[str(q["number"])] = ", ".join(labels)
    with_options = sum(1 for q in doc["questions"] if q.get("options"))
    return Finding(
        "option_labels_consecutive",
        passed=not broken,
        severity=WARN,
        description=("; ".join(f"question {n}: {labels}" for n, labels in broken.items()) if broken
                     else f"{with_options} questions with options, all labelled A, B, C, … in order"),
        metadata={"broken": broken},
    )


def normalise_label(label: str) -> str:
    return unicodedata.normalize("NFKC", label).strip().strip(".．、:：()（）").upper()


def answers_matched(doc: dict) -> Finding:
    """Where the paper prints answers (any question has one), every question has its answer."""
    answered = [q for q in doc["questions"] if (q.get("answer") or "").strip()]
    if not answered:
        return Finding("answers_matched", passed=True, severity=WARN,
                       description="the paper prints no answers", metadata={"answer_key": False, "unmatched": []})
    unmatched = [q["number"] for q in doc["questions"] if not (q.get("answer") or "").strip()]
    return Finding(
        "answers_matched",
        passed=not unmatched,
        severity=WARN,
        description=(f"no answer for question{'s' if len(unmatched) > 1 else ''} {', '.join(map(str, unmatched))}"
                     if unmatched else f"all {len(answered)} questions have their answer"),
        metadata={"answer_key": True, "answered": len(answered), "unmatched": unmatched},
    )


def spans_text(numbers: Iterable[int]) -> str:
    """[3, 4, 5, 9] -> "3–5, 9"."""
    runs, numbers = [], sorted(set(numbers))
    for number in numbers:
        if runs and number == runs[-1][1] + 1:
            runs[-1][1] = number
        else:
            runs.append([number, number])
    return ", ".join(str(a) if a == b else f"{a}–{b}" for a, b in runs)


PAPER_CHECKS: dict[str, Callable[[dict], Finding]] = {
    "numbers_continuous": numbers_continuous,
    "stems_present": stems_present,
    "option_labels_consecutive": option_labels_consecutive,
    "answers_matched": answers_matched,
}


def check_paper(doc: dict, expected_pages: int | None = None) -> list[Finding]:
    """All checks of one stored paper, pages first."""
    return [pages_accounted_for(doc, expected_pages)] + [check(doc) for check in PAPER_CHECKS.values()]


CHECK_NAMES = ["pages_accounted_for", *PAPER_CHECKS]
_DESCRIPTIONS = {"pages_accounted_for": pages_accounted_for.__doc__,
                 **{name: check.__doc__ for name, check in PAPER_CHECKS.items()}}


# The checks are not partitioned themselves, though they run in each paper's run against that paper's
# materialisation: in Dagster 1.13.27 the UI's query of a check with a *dynamic* partitions_def (preview)
# fails ("The instance is not available to load partitions"), so each result names its paper instead.
CHECK_SPECS = [
    dg.AssetCheckSpec(name, asset="exam_questions", description=_DESCRIPTIONS[name],
                      additional_deps=["pages"] if name == "pages_accounted_for" else None)
    for name in CHECK_NAMES
]


def pages_found(instance: dg.DagsterInstance, paper: str) -> int | None:
    """How many pages the `pages` asset found in the paper (its latest materialisation for that paper).

    Read from the event log, not as an input: an unpartitioned check given the partitioned `pages` asset
    as input would load every paper's pages."""
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey("pages"), asset_partitions=[paper]), limit=1).records
    count = records[0].asset_materialization.metadata.get("page_count") if records else None
    return count.value if count is not None else None


@dg.multi_asset_check(specs=CHECK_SPECS)
def exam_questions_checks(context: dg.AssetCheckExecutionContext, store: QuestionStore):
    """The paper as stored in the database, checked against the pages the paper has."""
    paper = context.partition_key
    doc = load_paper(store.engine(), paper) or {"pages": [], "questions": []}
    for finding in check_paper(doc, expected_pages=pages_found(context.instance, paper)):
        yield dg.AssetCheckResult(
            check_name=finding.check,
            asset_key=dg.AssetKey("exam_questions"),
            passed=finding.passed,
            severity=dg.AssetCheckSeverity(finding.severity),
            description=f"{paper}: {finding.description}",
            metadata={"paper": paper, **{k: dg.MetadataValue.json(v) if isinstance(v, (dict, list)) else v
                                         for k, v in finding.metadata.items()}},
        )
