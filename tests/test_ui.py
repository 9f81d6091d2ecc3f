"""The product in a browser: `make run` in a temporary data folder, a paper and a bad file dropped,
and what a person sees in the Dagster UI checked with Playwright driving Debian's Chromium.

Screenshots go to `test-artifacts/ui/` (or $EXAMPAPER_UI_ARTIFACTS). Skips, saying why, without
Chromium (`apt-get install chromium`), the `playwright` package (`pip install -e '.[test]'`) or a
CJK font (the sample paper's questions are Chinese)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import REPO

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(os.environ.get("EXAMPAPER_UI_ARTIFACTS", REPO / "test-artifacts" / "ui"))
# Debian's Chromium, started the way this machine allows: no sandbox as root, no background traffic
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
                 "--disable-background-networking", "--disable-component-update"]

pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on PATH (Debian: apt-get install chromium)"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(what: str, condition, timeout: float, every: float = 1.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def _answers(url: str) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _query(database: Path, sql: str, *args) -> list[tuple]:
    if not database.exists():
        return []
    with sqlite3.connect(database) as conn:
        try:
            return conn.execute(sql, args).fetchall()
        except sqlite3.OperationalError:  # tables not made yet
            return []


def _questions(database: Path) -> list[tuple]:
    return _query(database, "select q.number, q.stem, p.processed_at from questions q join papers p "
                            "on p.id = q.paper_id where p.key = 'sample_paper' order by q.position")


@pytest.fixture
def product(tmp_path):
    """`make run` as the README starts it, in a temporary data folder on a free port; stopped with SIGTERM."""
    data = tmp_path / "data"
    port = _free_port()
    env = {**os.environ, "EXAMPAPER_SETTLE_SECONDS": "2"}
    # `make test` exports the repository's data folder; the product under test must use only DATA=
    for key in ("DAGSTER_HOME", "EXAMPAPER_DATA_DIR", "EXAMPAPER_DROP_DIR", "EXAMPAPER_DATABASE_URL",
                "EXAMPAPER_CELERY_BROKER", "EXAMPAPER_CELERY_BACKEND", "EXAMPAPER_CELERY_QUEUE", "EXAMPAPER_REVIEW_URL"):
        env.pop(key, None)
    log = (tmp_path / "make_run.log").open("wb")
    process = subprocess.Popen(["make", "-C", str(REPO), "run", f"DATA={data}", f"PORT={port}"],
                               stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait("the Dagster UI to answer", lambda: _answers(url + "/server_info") or process.poll() is not None, 180)
        assert process.poll() is None, (tmp_path / "make_run.log").read_text()[-3000:]
        yield url, data
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            pass
        os.killpg(process.pid, signal.SIGKILL) if process.poll() is None else None
        log.close()


def test_a_teacher_follows_a_paper_and_a_bad_file_in_the_ui(product):
    playwright = pytest.importorskip("playwright.sync_api", reason="pip install playwright (the [test] extra)")
    url, data = product
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (data / "drop" / "not_a_paper.pdf").write_bytes(b"a text file saved with the wrong name\n")
    database = data / "exampapers.sqlite"
    rows = _wait("the sample paper's questions in the database", lambda: _questions(database), 600, 2)
    refused = _wait("the bad file's refused row", lambda: _query(
        database, "select status, error from papers where key = 'not_a_paper'"), 300, 2)
    assert refused[0][0] == "refused" and "PDF" in refused[0][1], refused

    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()

        def settle(shot: str, settle_ms: int = 2500) -> str:
            page.wait_for_load_state("networkidle")
            page.wait_for_timeout(settle_ms)
            skip = page.get_by_role("button", name="Skip")  # Dagster's first-visit community dialog
            if skip.count():
                skip.first.click()
                page.wait_for_timeout(500)
            page.screenshot(path=str(ARTIFACTS / f"{shot}.png"), full_page=True)
            return page.inner_text("body")

        def visit(path: str, shot: str) -> str:
            page.goto(url + path)
            return settle(shot)

        catalog = visit("/assets", "01-assets")
        for asset in ("pages", "decoded_frames", "ocr_structure", "exam_questions"):
            assert asset in catalog, f"asset {asset} is not in the catalog"

        runs = visit("/runs", "02-runs")
        assert "drop_folder_sensor" in runs, "no run launched by the sensor"
        assert "sample_paper" in runs and "not_a_paper" in runs

        overview = visit("/assets/exam_questions?partition=sample_paper", "03-questions-preview")
        assert "preview" in overview
        first_stem = rows[0][1]
        assert first_stem[:8] in overview, f"the first question's stem {first_stem[:8]!r} is not in the preview"

        # the review page opens from the link in the materialisation's metadata
        link = page.locator("a[href*='review.html']").first
        assert link.count(), "no link to the review page in exam_questions' metadata"
        href = link.get_attribute("href")
        assert href.startswith("http://"), f"the review link {href!r} is not one a browser opens from the UI"
        review = context.new_page()
        review.goto(href)
        review.wait_for_load_state("load")
        review.screenshot(path=str(ARTIFACTS / "04-review-page.png"), full_page=True)
        assert first_stem[:8] in review.inner_text("body"), "the review page does not show the paper's questions"
        review.close()

        page.get_by_role("tab", name="Checks").click()
        checks = settle("05-checks")
        for name in ("pages_accounted_for", "numbers_continuous", "stems_present"):
            assert name in checks, f"asset check {name} is not in the Checks tab"

        # the bad file: its one run failed, saying what is wrong with which file, and was not retried
        visit("/runs?q%5B0%5D=tag%3Adagster%2Fpartition%3Dnot_a_paper", "06-bad-file-runs")
        run_page = page.locator("a[href^='/runs/']").first.get_attribute("href")
        failed_run = visit(run_page, "07-bad-file-run")
        assert "Refused not_a_paper.pdf" in failed_run, "the failed run does not say why the file was refused"
        bad_runs = _query(data / "dagster_home" / "history" / "runs.db",
                          "select r.status from runs r join run_tags t on t.run_id = r.run_id "
                          "where t.key = 'dagster/partition' and t.value = 'not_a_paper'")
        assert bad_runs == [("FAILURE",)], f"the bad file was run more than once or did not fail: {bad_runs}"

        # a re-materialisation launched from the UI replaces the paper's rows
        before = rows[0][2]
        visit("/assets/exam_questions?partition=sample_paper", "08-before-rematerialise")
        page.get_by_role("button", name="Materialize…").click()
        page.get_by_role("button", name=re.compile("^Launch 1 run")).click()
        page.wait_for_timeout(1500)
        page.screenshot(path=str(ARTIFACTS / "09-launched.png"))
        rows_after = _wait("the re-materialised questions", lambda: [r for r in _questions(database) if r[2] != before],
                           400, 2)
        assert [r[0] for r in rows_after] == [r[0] for r in rows], "the re-run changed the paper's questions"
        visit("/runs", "10-runs-after")
        browser.close()
