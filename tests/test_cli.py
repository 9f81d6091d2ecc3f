"""`ocr-assets` per ../shared/CONTRACT.md, real engine, in a subprocess as other tools call it."""

import json
import subprocess
import sys

from tests.conftest import SAMPLE_PDF

CONTRACT_TYPES = {"single_choice", "multiple_choice", "fill_blank", "free_response", "unknown"}


def run(*args):
    return subprocess.run([sys.executable, "-m", "ocr_assets.cli", *args], capture_output=True, text=True, timeout=600)


def test_extract_prints_contract_json(tmp_path, sample_expected):
    out = tmp_path / "out.json"
    proc = run("extract", str(SAMPLE_PDF), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""  # logs go to stderr, JSON to --out
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["paper"] == "sample_paper" and doc["engine"] == "rapidocr"
    assert [p["index"] for p in doc["pages"]] == [1, 2]
    assert all(p["status"] == "ok" and p["error"] is None and p["dpi"] == 150 for p in doc["pages"])
    assert [q["number"] for q in doc["questions"]] == [q["number"] for q in sample_expected["questions"]]
    for q in doc["questions"]:
        assert set(q) == {"number", "section", "type", "score", "stem", "options", "sub_questions", "spans", "figures",
                          "passage", "answer", "analysis"}
        assert q["type"] in CONTRACT_TYPES
        for span in q["spans"]:
            x0, y0, x1, y1 = span["bbox"]
            page = doc["pages"][span["page"] - 1]
            assert 0 <= x0 < x1 <= page["width"] and 0 <= y0 < y1 <= page["height"]


def test_bad_path_exits_2_with_one_line(tmp_path):
    (tmp_path / "exam.docx").write_bytes(b"PK\x03\x04")
    for path in (tmp_path / "missing.pdf", tmp_path / "exam.docx"):
        proc = run("extract", str(path))
        assert proc.returncode == 2
        assert proc.stdout == "" and len(proc.stderr.strip().splitlines()) == 1 and path.name in proc.stderr


def test_bad_override_exits_2(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "ocr_assets.cli", "hw"], capture_output=True, text=True,
        env={**__import__("os").environ, "EXAMPAPER_PREFETCH_SIZE": "lots"},
    )
    assert proc.returncode == 2 and "EXAMPAPER_PREFETCH_SIZE" in proc.stderr


def test_hw_json():
    proc = run("hw", "--json")
    assert proc.returncode == 0
    data = json.loads(proc.stdout)
    assert data["hardware"]["cpu_cores"] >= 1 and data["params"]["rec_batch_size"] >= 1


def test_bench_reports_the_contract_fields():
    proc = run("bench", str(SAMPLE_PDF), "--pages", "3")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    for key in ("pages", "engine", "engine_only_s", "serial_s", "pipelined_s", "speedup", "overhead",
                "model_loads", "rss_start_mb", "rss_end_mb"):
        assert key in report, key
    assert report["pages"] == 3 and report["failed"] == 0
    # the production engines, plus one default engine for the engine-only and serial baselines
    assert report["model_loads"] == report["engines"] + (report["engines"] > 1)
    # the report rounds each figure to 3 decimals, so recompute with a tolerance of that rounding
    assert abs(report["speedup"] - report["serial_s"] / report["pipelined_s"]) < 0.01
