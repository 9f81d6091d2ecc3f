import cv2
import numpy as np
import pytest
from PIL import Image

from ocr_assets.frames import capped_size, load_frame, read_manifest, without_colour_watermark, write_frames
from ocr_assets.pages import BadPaper, enumerate_pages, is_paper, load_page, paper_key
from tests.conftest import SAMPLE_PDF


def test_pdf_pages_render_at_the_stated_dpi():
    refs = enumerate_pages(SAMPLE_PDF, pdf_dpi=100)
    assert [r.index for r in refs] == [1, 2] and all(r.dpi == 100 for r in refs)
    image = load_page(refs[0])
    assert image.mode == "RGB" and abs(image.width - 827) <= 2  # A4 width at 100 dpi


def test_folder_pages_in_natural_order(tmp_path):
    for name in ["p10.png", "p2.png", "p1.png", ".hidden.png", "notes.txt"]:
        Image.new("RGB", (20, 30), "white").save(tmp_path / name) if name.endswith(".png") else (tmp_path / name).write_text("x")
    assert [r.source for r in enumerate_pages(tmp_path)] == ["p1.png", "p2.png", "p10.png"]


def test_exif_orientation_is_applied(tmp_path):
    image = Image.new("RGB", (40, 20), "white")
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise when shown
    image.save(tmp_path / "photo.jpg", exif=exif.tobytes())
    assert load_page(enumerate_pages(tmp_path / "photo.jpg")[0]).size == (20, 40)


@pytest.mark.parametrize("name, content", [("broken.pdf", b"%PDF-1.4 truncated"), ("paper.xlsx", b"PK")])
def test_bad_files_get_a_clear_error(tmp_path, name, content):
    (tmp_path / name).write_bytes(content)
    with pytest.raises(BadPaper, match=name):
        enumerate_pages(tmp_path / name)


def test_missing_and_empty(tmp_path):
    with pytest.raises(BadPaper, match="no such file"):
        enumerate_pages(tmp_path / "nope.pdf")
    (tmp_path / "empty").mkdir()
    with pytest.raises(BadPaper, match="no page images"):
        enumerate_pages(tmp_path / "empty")
    assert not is_paper(tmp_path / "empty")


def test_paper_keys_are_the_names_people_gave_stable_and_unique(tmp_path):
    assert paper_key(tmp_path / "sample_paper-2.pdf") == "sample_paper-2"
    assert paper_key(tmp_path / "Sample Paper (2).pdf") == "Sample Paper (2)"
    assert paper_key(tmp_path / "2023年 重庆 化学.pdf") == "2023年 重庆 化学"
    assert paper_key(tmp_path / "数学.png") == "数学" and paper_key(tmp_path / "第一次月考.docx") == "第一次月考"
    assert paper_key(tmp_path / "notes.txt") == "notes.txt"  # not a paper type: the full name, to be refused by
    # names that would change to fit (Dagster refuses "..." and control characters; "/" cannot name a folder;
    # white space, NFC and length are normalised) keep a readable part and get a hash of the full name
    lossy = ["a...b.pdf", "a\tb.pdf", "a  b.pdf", "a\u030a.pdf", "..pdf", "中" * 150 + ".pdf"]
    keys = [paper_key(tmp_path / name) for name in lossy]
    assert len(set(keys)) == len(keys) and all(k not in {"a_b", "a b", "å"} for k in keys)
    assert keys[0].startswith("a_b-") and keys[2].startswith("a b-") and keys[4].startswith("paper-")
    for key in keys:
        assert "..." not in key and not any(c < " " for c in key) and "/" not in key
        assert len(key) <= 100 and len(key.encode()) <= 200 and key == key.strip(". ")
    assert keys == [paper_key(tmp_path / name) for name in lossy]  # stable


def test_frames_are_written_once_with_a_manifest_and_bad_pages_recorded(tmp_path):
    paper = tmp_path / "paper"
    paper.mkdir()
    Image.new("RGB", (5000, 2500), "white").save(paper / "p1.png")
    (paper / "p2.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    Image.new("L", (300, 400), 128).save(paper / "p3.png")
    frames = write_frames(enumerate_pages(paper), tmp_path / "frames")
    assert [f.status for f in frames] == ["ok", "failed", "ok"]
    assert "cannot decode" in frames[1].error and frames[1].path is None
    assert (frames[0].width, frames[0].height) == capped_size(5000, 2500)[:2] and frames[0].scale < 1
    assert load_frame(frames[2]).shape == (400, 300, 3)
    assert read_manifest(tmp_path / "frames") == frames
    assert all(len(f.sha256) == 64 for f in frames if f.status == "ok")


def test_a_colour_watermark_is_paper_to_the_engine_but_print_and_handwriting_stay():
    rgb = np.full((1000, 800, 3), 255, dtype=np.uint8)
    cv2.putText(rgb, "g12e", (40, 600), cv2.FONT_HERSHEY_SIMPLEX, 9, (176, 220, 182), 40)  # pale green, huge
    cv2.line(rgb, (0, 450), (800, 450), (0, 0, 0), 3)  # a line of print across it
    cv2.line(rgb, (50, 900), (300, 880), (150, 170, 235), 4)  # a pale blue pen stroke
    cv2.rectangle(rgb, (500, 850), (560, 900), (200, 30, 30), -1)  # red print
    cleaned = without_colour_watermark(rgb)
    watermark = (rgb == (176, 220, 182)).all(axis=2)
    assert (cleaned[watermark] == 255).all(axis=1).mean() > 0.999  # all but slivers pinched by the print
    assert (cleaned[450] == 0).all()  # the print over it is untouched
    assert (cleaned[880:905] == rgb[880:905]).all()  # handwriting and red print stay
    assert (without_colour_watermark(rgb[820:]) == rgb[820:]).all()  # no watermark: the page as it is
