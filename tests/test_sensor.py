import os
import shutil
import time

import dagster as dg
import pytest

from ocr_assets.partitions import papers_partitions
from ocr_assets.sensors import drop_folder_sensor, plan_runs
from resources.drop_folder import DropFolder
from tests.conftest import SAMPLE_PDF

OLD = time.time() - 3600


def age(path, when=OLD):
    for p in [path, *path.rglob("*")] if path.is_dir() else [path]:
        os.utime(p, (when, when))


def tick(instance, folder, cursor=None):
    context = dg.build_sensor_context(instance=instance, cursor=cursor, resources={"drop_folder": DropFolder(path=str(folder))})
    result = drop_folder_sensor(context)
    for request in result.dynamic_partitions_requests:  # what the daemon would do
        instance.add_dynamic_partitions(papers_partitions.name, list(request.partition_keys))
    return result


@pytest.fixture
def instance():
    with dg.instance_for_test() as instance:
        yield instance


def test_settled_papers_get_a_partition_and_one_run_each(tmp_path, instance):
    shutil.copy(SAMPLE_PDF, tmp_path / "sample_paper.pdf")
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "p1.jpg").write_bytes(b"jpeg bytes")
    (tmp_path / ".hidden.pdf").write_bytes(b"%PDF")  # hidden: never a paper
    age(tmp_path)
    result = tick(instance, tmp_path)
    assert sorted(r.partition_key for r in result.run_requests) == ["photos", "sample_paper"]
    assert sorted(result.dynamic_partitions_requests[0].partition_keys) == ["photos", "sample_paper"]
    assert set(instance.get_dynamic_partitions("papers")) == {"photos", "sample_paper"}


def test_unsupported_entries_are_listed_as_refused_once(tmp_path, instance):
    (tmp_path / "spread").mkdir()
    shutil.copy(SAMPLE_PDF, tmp_path / "spread" / "not-an-image.pdf")  # folder without images
    (tmp_path / "notes.txt").write_text("homework list")
    (tmp_path / "~$paper.docx").write_bytes(b"lock")  # Word's lock file: skipped in silence
    age(tmp_path)
    papers = DropFolder(path=str(tmp_path)).papers()
    plan = plan_runs(papers, {}, set(), 10, time.time())
    assert sorted(r.partition_key for r in plan.run_requests) == ["notes.txt", "spread"]
    assert len(plan.refused) == 2 and all("drop" in why for why in plan.refused)
    assert any("notes.txt" in why and ".docx" in why and ".pdf" not in why.split(":")[0] for why in plan.refused)
    assert plan_runs(papers, plan.cursor, {"notes.txt", "spread"}, 10, time.time()).run_requests == []


def test_a_word_file_refused_for_want_of_libreoffice_is_asked_again_once_it_is_there(tmp_path, instance):
    (tmp_path / "paper.docx").write_bytes(b"PK\x03\x04 a word file")
    age(tmp_path)
    papers = DropFolder(path=str(tmp_path)).papers()
    without = plan_runs(papers, {}, set(), 10, time.time(), converter_available=False)
    assert [r.partition_key for r in without.run_requests] == ["paper"]
    assert plan_runs(papers, without.cursor, {"paper"}, 10, time.time(), converter_available=False).run_requests == []
    installed = plan_runs(papers, without.cursor, {"paper"}, 10, time.time(), converter_available=True)
    assert [r.partition_key for r in installed.run_requests] == ["paper"]
    assert installed.run_requests[0].run_key != without.run_requests[0].run_key
    assert plan_runs(papers, installed.cursor, {"paper"}, 10, time.time(), converter_available=True).run_requests == []


def test_a_paper_still_being_written_waits(tmp_path, instance):
    shutil.copy(SAMPLE_PDF, tmp_path / "fresh.pdf")  # mtime now: not settled
    result = tick(instance, tmp_path)
    assert result.run_requests == [] and result.dynamic_partitions_requests == []
    age(tmp_path / "fresh.pdf")
    assert [r.partition_key for r in tick(instance, tmp_path, result.cursor).run_requests] == ["fresh"]


def test_cursor_neither_skips_nor_repeats_and_changed_content_reruns(tmp_path, instance):
    paper = tmp_path / "paper.pdf"
    shutil.copy(SAMPLE_PDF, paper)
    age(paper)
    first = tick(instance, tmp_path)
    assert len(first.run_requests) == 1
    # a restarted daemon resumes from the stored cursor: nothing new, nothing repeated
    assert tick(instance, tmp_path, first.cursor).run_requests == []
    # touched but identical: no rerun
    age(paper, OLD + 60)
    touched = tick(instance, tmp_path, first.cursor)
    assert touched.run_requests == []
    # new bytes: processed again, under a new run key, partition not added twice
    paper.write_bytes(SAMPLE_PDF.read_bytes() + b"\n% appended")
    age(paper, OLD + 120)
    changed = tick(instance, tmp_path, touched.cursor)
    assert [r.partition_key for r in changed.run_requests] == ["paper"]
    assert changed.run_requests[0].run_key != first.run_requests[0].run_key
    assert changed.dynamic_partitions_requests == []
    # back to the old bytes: still a new run key (a reused run_key would be dropped forever)
    paper.write_bytes(SAMPLE_PDF.read_bytes())
    age(paper, OLD + 180)
    back = tick(instance, tmp_path, changed.cursor)
    assert back.run_requests[0].run_key not in {first.run_requests[0].run_key, changed.run_requests[0].run_key}


def test_same_stem_different_suffix_get_distinct_keys(tmp_path, instance):
    (tmp_path / "x.png").write_bytes(b"png")
    age(tmp_path)
    assert [r.partition_key for r in tick(instance, tmp_path).run_requests] == ["x"]
    shutil.copy(SAMPLE_PDF, tmp_path / "x.pdf")
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "p1.png").write_bytes(b"png")
    age(tmp_path)
    keys = {p.path.name: p.key for p in DropFolder(path=str(tmp_path)).papers()}
    assert keys == {"x.pdf": "x", "x.png": "x.png", "x": keys["x"]} and keys["x"].startswith("x-")


def test_chinese_names_are_their_own_keys_and_keys_never_collide(tmp_path, instance):
    names = ["2023年 重庆 化学.pdf", "2023年 重庆 化学 (答案).pdf", "2023年  重庆 化学.pdf", "a...b.pdf", "a_b.pdf", "x\ty.pdf"]
    for name in names:
        shutil.copy(SAMPLE_PDF, tmp_path / name)
    age(tmp_path)
    keys = [r.partition_key for r in tick(instance, tmp_path).run_requests]
    assert len(set(keys)) == len(names)
    assert {"2023年 重庆 化学", "2023年 重庆 化学 (答案)", "a_b"} <= set(keys)
    assert set(instance.get_dynamic_partitions("papers")) == set(keys)  # Dagster took every one


def _image_bytes(fmt: str) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "white").save(buffer, fmt)
    return buffer.getvalue()


@pytest.mark.parametrize("name, whole", [
    ("paper.pdf", lambda: SAMPLE_PDF.read_bytes()),
    ("page.png", lambda: _image_bytes("PNG")),
    ("photo.jpg", lambda: _image_bytes("JPEG")),
])
def test_a_whole_file_looks_complete_and_the_same_file_cut_anywhere_does_not(tmp_path, name, whole):
    from ocr_assets.pages import paper_kind
    from resources.drop_folder import looks_complete

    data = whole()
    path = tmp_path / name
    path.write_bytes(data)
    assert looks_complete(path, paper_kind(path))
    for cut in (len(data) // 3, len(data) // 2, len(data) - 40, len(data) - 3):  # a copy stopped part way
        path.write_bytes(data[:cut])
        assert not looks_complete(path, paper_kind(path)), cut


def test_a_docx_is_complete_once_its_zip_directory_is_written_and_a_tiff_or_folder_never_is(tmp_path):
    import zipfile

    from resources.drop_folder import looks_complete

    docx = tmp_path / "paper.docx"
    with zipfile.ZipFile(docx, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>" * 200)
    assert looks_complete(docx, "word")
    docx.write_bytes(docx.read_bytes()[:-30])
    assert not looks_complete(docx, "word")
    (tmp_path / "scan.tif").write_bytes(b"II*\x00" + b"\x00" * 100)
    assert not looks_complete(tmp_path / "scan.tif", "image")  # no end marker to trust
    spread = tmp_path / "spread"
    spread.mkdir()
    (spread / "p1.png").write_bytes(_image_bytes("PNG"))
    assert [p.complete for p in DropFolder(path=str(tmp_path)).papers() if p.key == "spread"] == [False]


def test_a_complete_file_is_read_after_the_short_settle_a_cut_one_waits_the_full_settle(tmp_path):
    from ocr_assets.sensors import COMPLETE_SETTLE_SECONDS

    data = SAMPLE_PDF.read_bytes()
    (tmp_path / "whole.pdf").write_bytes(data)
    (tmp_path / "copying.pdf").write_bytes(data[: len(data) // 2])
    now = time.time()
    for name in ("whole.pdf", "copying.pdf"):
        age(tmp_path / name, now - (COMPLETE_SETTLE_SECONDS + 1))
    papers = DropFolder(path=str(tmp_path)).papers()
    plan = plan_runs(papers, {}, set(), 10, now)
    assert [r.partition_key for r in plan.run_requests] == ["whole"] and plan.waiting == ["copying"]
    assert plan_runs(papers, {}, set(), 10, now + 10).waiting == []  # the cut one after the full settle
    # a file written a moment ago waits even when complete; the full settle is never exceeded
    assert plan_runs(papers, {}, set(), 10, now - COMPLETE_SETTLE_SECONDS).waiting == ["copying", "whole"]
    assert plan_runs(papers, {}, set(), 0.5, now - COMPLETE_SETTLE_SECONDS + 0.6).waiting == []
