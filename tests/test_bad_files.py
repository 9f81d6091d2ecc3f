"""Files that cannot be read are refused once — with their reason in the run, the database and the
sensor's log — and never retried or re-requested until their bytes change. Real files, real job."""

import os
import shutil
import time

import dagster as dg
import pytest
from dagster._core.events import RunFailureReason
from dagster._core.execution.retries import auto_reexecution_should_retry_run
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from ocr_assets.assets import REFUSED_TAG, decoded_frames, exam_questions, ocr_structure, pages
from ocr_assets.convert import soffice_path
from ocr_assets.definitions import process_paper
from ocr_assets.frames import write_frames
from ocr_assets.pages import BadPaper, enumerate_pages
from ocr_assets.schedules import reconcile_papers
from resources.drop_folder import DropFolder
from resources.hardware import HardwareConfig
from resources.ocr_engine import OcrEngineResource
from resources.storage import ArtifactStore, Paper, QuestionStore, make_engine
from tests.conftest import SAMPLE_PDF
from tests.bad_files import docx, encrypted_pdf, png_header_only, write_bad_files
from tests.test_sensor import age, tick

needs_soffice = pytest.mark.skipif(
    soffice_path() is None, reason="LibreOffice absent: apt-get install libreoffice-writer-nogui (.ci/run installs it)"
)


@pytest.fixture
def instance():
    with dg.instance_for_test(overrides={"run_retries": {"enabled": True, "max_retries": 2}}) as instance:
        yield instance


def test_each_bad_file_is_refused_with_its_reason_and_name(tmp_path):
    expected = write_bad_files(tmp_path)
    for name, reason in expected.items():
        with pytest.raises(BadPaper) as caught:
            enumerate_pages(tmp_path / name, converted_dir=tmp_path / "converted")
        assert caught.value.reason == reason, (name, str(caught.value))
        assert name in str(caught.value)
    assert not (tmp_path / "converted").exists() or not any((tmp_path / "converted").glob("*.pdf"))


def test_an_image_over_pillows_limit_is_refused_before_decoding(tmp_path):
    # between Pillow's limit and twice it, Pillow only warns; the page would cost gigabytes to decode
    side = int((Image.MAX_IMAGE_PIXELS * 1.5) ** 0.5)
    with pytest.raises(BadPaper, match="megapixel") as caught:
        enumerate_pages(png_header_only(tmp_path / "big.png", side, side))
    assert caught.value.reason == "too_large"


def test_a_bomb_page_in_a_folder_fails_alone(tmp_path):
    paper = tmp_path / "paper"
    paper.mkdir()
    Image.new("RGB", (200, 300), "white").save(paper / "p1.png")
    png_header_only(paper / "p2.png", 100_000, 100_000)
    frames = write_frames(enumerate_pages(paper), tmp_path / "frames")
    assert [f.status for f in frames] == ["ok", "failed"]
    assert "p2.png" in frames[1].error and "300 dpi" in frames[1].error


def test_a_word_file_without_libreoffice_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))
    with pytest.raises(BadPaper, match="libreoffice-writer-nogui") as caught:
        enumerate_pages(docx(tmp_path / "paper.docx", ["1．题目"]), converted_dir=tmp_path / "converted")
    assert caught.value.reason == "needs_libreoffice"


@needs_soffice
def test_an_encrypted_pdf_and_a_damaged_word_file_are_refused(tmp_path):
    with pytest.raises(BadPaper, match="password") as caught:
        enumerate_pages(encrypted_pdf(tmp_path / "locked.pdf", tmp_path / "make"))
    assert caught.value.reason == "encrypted"
    whole = docx(tmp_path / "whole.docx", ["1．题目"]).read_bytes()
    (tmp_path / "cut.docx").write_bytes(whole[: len(whole) // 2])
    with pytest.raises(BadPaper, match="could not convert") as caught:
        enumerate_pages(tmp_path / "cut.docx", converted_dir=tmp_path / "converted")
    assert caught.value.reason == "conversion_failed"


@needs_soffice
def test_a_word_file_is_converted_once_into_the_cache_not_the_drop_folder(tmp_path):
    drop = tmp_path / "drop"
    drop.mkdir()
    paper = docx(drop / "第一次月考.docx", ["一、选择题", "1．下列变化属于化学变化的是", "A．冰雪融化 B．纸张燃烧"])
    refs = enumerate_pages(paper, pdf_dpi=100, converted_dir=tmp_path / "converted")
    assert [r.source for r in refs] == ["第一次月考.docx#1"]
    assert refs[0].file.startswith(str((tmp_path / "converted").resolve())) and list(drop.iterdir()) == [paper]
    converted_at = os.stat(refs[0].file).st_mtime_ns
    assert enumerate_pages(paper, pdf_dpi=100, converted_dir=tmp_path / "converted") == refs
    assert os.stat(refs[0].file).st_mtime_ns == converted_at  # same bytes: not converted again


def test_links_out_of_the_drop_folder_are_refused_without_reading_them(tmp_path):
    drop, outside = tmp_path / "drop", tmp_path / "outside"
    drop.mkdir()
    outside.mkdir()
    shutil.copy(SAMPLE_PDF, outside / "secret.pdf")
    (outside / "scans").mkdir()
    Image.new("RGB", (20, 30), "white").save(outside / "scans" / "p1.png")
    os.symlink(outside / "secret.pdf", drop / "linked.pdf")
    os.symlink(outside / "scans", drop / "linked-folder")
    (drop / "mixed").mkdir()
    Image.new("RGB", (20, 30), "white").save(drop / "mixed" / "p1.png")
    os.symlink(outside / "scans" / "p1.png", drop / "mixed" / "p2.png")
    shutil.copy(SAMPLE_PDF, drop / "inside.pdf")
    os.symlink(drop / "inside.pdf", drop / "alias.pdf")  # a link that stays inside is a paper
    (drop / "~$lock.docx").write_bytes(b"owner")  # Word's lock file: never a paper, never reported
    papers = {p.path.name: p for p in DropFolder(path=str(drop)).papers()}
    assert set(papers) == {"linked.pdf", "linked-folder", "mixed", "inside.pdf", "alias.pdf"}
    for name in ("linked.pdf", "linked-folder", "mixed"):
        assert papers[name].kind == "outside" and "outside the drop folder" in papers[name].problem, name
    assert papers["inside.pdf"].problem is None and papers["alias.pdf"].problem is None
    before = papers["linked.pdf"].content_hash()
    (outside / "secret.pdf").write_bytes(b"other bytes")  # the hash never read the target
    assert DropFolder(path=str(drop)).get("linked").content_hash() == before


def _resources(tmp_path, drop):
    return {
        "drop_folder": DropFolder(path=str(drop)),
        "hardware": HardwareConfig(),
        "ocr_engine": OcrEngineResource(engine="rapidocr"),
        "store": QuestionStore(database_url=f"sqlite:///{tmp_path / 'questions.sqlite'}"),
        "artifacts": ArtifactStore(data_dir=str(tmp_path / "data")),
    }


def _job(resources):
    return dg.Definitions(
        assets=[pages, decoded_frames, ocr_structure, exam_questions], jobs=[process_paper], resources=resources
    ).resolve_job_def("process_paper")


def _step_events(result, kind):
    return [e for e in result.all_events if e.event_type_value == kind]


def _reconcile(instance, drop_folder):
    # as a context manager: the context opens its own instance from the ref and must close it
    with dg.build_schedule_context(instance=instance, resources={"drop_folder": drop_folder}) as context:
        return reconcile_papers(context)


def test_bad_files_fail_once_recorded_and_are_not_requested_again(tmp_path, instance):
    drop = tmp_path / "drop"
    drop.mkdir()
    expected = write_bad_files(drop)
    shutil.copy(SAMPLE_PDF, tmp_path / "elsewhere.pdf")
    (drop / "outside.pdf").symlink_to(tmp_path / "elsewhere.pdf")
    expected["outside.pdf"] = "outside_drop_folder"
    age(drop)
    os.utime(drop / "outside.pdf", (time.time() - 3600,) * 2, follow_symlinks=False)
    resources = _resources(tmp_path, drop)
    first = tick(instance, drop)
    requested = {r.partition_key: r for r in first.run_requests}
    keys = {p.path.name: p.key for p in DropFolder(path=str(drop)).papers()}
    assert set(requested) == {keys[name] for name in expected}

    job = _job(resources)
    database = make_engine(resources["store"].database_url)
    for name, reason in expected.items():
        result = job.execute_in_process(
            partition_key=keys[name], instance=instance, raise_on_error=False, tags=requested[keys[name]].tags
        )
        assert not result.success
        failure = result.failure_data_for_node("pages")
        assert name in failure.error.message and failure.user_failure_data.metadata["reason"].value == reason
        assert _step_events(result, "STEP_UP_FOR_RETRY") == [] and len(_step_events(result, "STEP_START")) == 1
        run = instance.get_run_by_id(result.run_id)
        assert run.tags[REFUSED_TAG] == reason and run.tags["dagster/will_retry"] == "false", name
        # a crash of the same run would not be retried either; a crash of a good paper's run would
        assert not auto_reexecution_should_retry_run(instance, run, RunFailureReason.UNEXPECTED_TERMINATION)
        with Session(database) as session:
            row = session.scalars(select(Paper).where(Paper.key == keys[name])).one()
            assert (row.status, row.page_count) == ("refused", 0) and name in row.error

    # neither the sensor nor the hourly schedule asks again while the bytes stay the same
    assert tick(instance, drop, first.cursor).run_requests == []
    skipped = _reconcile(instance, resources["drop_folder"])
    assert isinstance(skipped, dg.SkipReason) and f"refused ({len(expected)})" in skipped.skip_message

    # new bytes: asked again, by the sensor and (had its run been lost) by the schedule
    shutil.copy(SAMPLE_PDF, drop / "empty.pdf")
    age(drop / "empty.pdf", time.time() - 60)
    again = tick(instance, drop, first.cursor)
    assert [r.partition_key for r in again.run_requests] == [keys["empty.pdf"]]
    requests = _reconcile(instance, resources["drop_folder"])
    assert [r.partition_key for r in requests] == [keys["empty.pdf"]]


def test_a_transient_step_failure_is_retried_and_a_crash_would_be(tmp_path, instance):
    drop = tmp_path / "drop"
    drop.mkdir()
    instance.add_dynamic_partitions("papers", ["vanished"])  # its file left the folder after the request
    result = _job(_resources(tmp_path, drop)).execute_in_process(
        partition_key="vanished", instance=instance, raise_on_error=False
    )
    assert not result.success
    assert len(_step_events(result, "STEP_UP_FOR_RETRY")) == process_paper.op_retry_policy.max_retries
    run = instance.get_run_by_id(result.run_id)
    assert REFUSED_TAG not in run.tags
    # the step retries had their turn; a killed run process is Dagster's run retry to redo
    assert auto_reexecution_should_retry_run(instance, run, RunFailureReason.UNEXPECTED_TERMINATION)
    assert not auto_reexecution_should_retry_run(instance, run, RunFailureReason.STEP_FAILURE)


@needs_soffice
def test_a_word_paper_with_a_chinese_name_lands_in_the_database(tmp_path, instance):
    drop = tmp_path / "drop"
    drop.mkdir()
    docx(drop / "2023年 重庆 化学.docx", [
        "一、选择题（本大题共2小题，每小题2分）",
        "1．下列变化中，属于化学变化的是",
        "A．冰雪融化　　B．纸张燃烧　　C．酒精挥发　　D．矿石粉碎",
        "2．空气中含量最多的气体是",
        "A．氧气　　B．氮气　　C．二氧化碳　　D．水蒸气",
    ])
    age(drop)
    resources = _resources(tmp_path, drop)
    request = tick(instance, drop).run_requests[0]
    assert request.partition_key == "2023年 重庆 化学"
    result = _job(resources).execute_in_process(partition_key=request.partition_key, instance=instance, tags=request.tags)
    assert result.success
    pages_meta = result.asset_materializations_for_node("pages")[0].metadata
    assert pages_meta["read_as"].value == "PDF converted by LibreOffice" and pages_meta["page_count"].value == 1
    assert any((tmp_path / "data" / "converted").glob("*.pdf")) and [p.name for p in drop.iterdir()] == ["2023年 重庆 化学.docx"]
    with Session(make_engine(resources["store"].database_url)) as session:
        row = session.scalars(select(Paper).where(Paper.key == "2023年 重庆 化学")).one()
        assert row.status == "done" and row.name == "2023年 重庆 化学.docx"
        assert [q.number for q in row.questions] == ["1", "2"]
        assert [o.label for o in row.questions[1].options] == ["A", "B", "C", "D"]
    assert (tmp_path / "data" / "frames" / "2023年 重庆 化学" / "manifest.json").exists()


def test_a_refusal_stands_for_the_same_bytes_unless_the_missing_converter_arrived():
    from ocr_assets.assets import REFUSED_SHA_TAG
    from ocr_assets.schedules import refusal_stands

    refused = {REFUSED_TAG: "empty", REFUSED_SHA_TAG: "abc"}
    assert refusal_stands(refused, "abc", converter_available=True)
    assert not refusal_stands(refused, "def", converter_available=True)  # new bytes
    assert not refusal_stands({}, "abc", converter_available=True)  # a failure that was not a refusal
    for_want_of_libreoffice = {REFUSED_TAG: "needs_libreoffice", REFUSED_SHA_TAG: "abc"}
    assert refusal_stands(for_want_of_libreoffice, "abc", converter_available=False)
    assert not refusal_stands(for_want_of_libreoffice, "abc", converter_available=True)


def test_links_that_loop_or_dangle_and_pipes_are_refused_and_never_stop_the_sensor(tmp_path, instance):
    os.symlink(tmp_path / "loop.pdf", tmp_path / "loop.pdf")
    os.symlink(tmp_path / "gone.pdf", tmp_path / "dangling.pdf")
    os.mkfifo(tmp_path / "pipe.pdf")  # opening it to hash it would block the sensor for ever
    for name in ("loop.pdf", "dangling.pdf", "pipe.pdf"):
        os.utime(tmp_path / name, (time.time() - 3600,) * 2, follow_symlinks=False)
    papers = {p.path.name: p for p in DropFolder(path=str(tmp_path)).papers()}
    assert papers["loop.pdf"].reason == "unreadable" and "loop" in papers["loop.pdf"].problem.lower()
    assert "does not exist" in papers["dangling.pdf"].problem and "not a regular file" in papers["pipe.pdf"].problem
    result = tick(instance, tmp_path)
    assert sorted(r.partition_key for r in result.run_requests) == ["dangling", "loop", "pipe"]
