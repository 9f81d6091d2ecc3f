"""The int8 recogniser: which CPUs get it, where its file lives, and that the real engine reads with it."""

from pathlib import Path

import numpy as np
import pytest
from rapidfuzz.distance import Levenshtein

from resources.engines.base import EngineUnavailable
from resources.engines.int8 import RECIPE, int8_model_path
from resources.engines.rapid import RapidEngine, RapidSettings, rec_model_params
from resources.hardware import Hardware, banner, derive_params, has_int8_dot_product, rec_precision_for
from resources.ocr_engine import engine_spec

EPYC_FLAGS = "processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu sse2 avx2 avx512f avx512_vnni avx512_bf16\n"
OLD_XEON_FLAGS = "processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: fpu sse2 avx2 avx512f avx512bw\n"
GRAVITON_FEATURES = "processor\t: 0\nFeatures\t: fp asimd evtstrm aes crc32 atomics asimddp\n"


def cpu(int8_dot: bool, vendor: str = "AuthenticAMD") -> Hardware:
    return Hardware(None, None, 20.0, 2, cpu_vendor=vendor, int8_dot_product=int8_dot)


def test_int8_dot_product_is_read_from_the_cpu_flags():
    assert has_int8_dot_product(EPYC_FLAGS)
    assert has_int8_dot_product(GRAVITON_FEATURES)
    assert not has_int8_dot_product(OLD_XEON_FLAGS)
    assert not has_int8_dot_product("avx512_vnni mentioned outside a flags line\n")


def test_int8_can_only_be_the_default_on_a_cpu_with_int8_dot_products():
    assert rec_precision_for(cpu(True), "onnxruntime", {}, with_dot_product="int8") == "int8"
    assert rec_precision_for(cpu(False), "onnxruntime", {}, with_dot_product="int8") == "fp32"
    assert rec_precision_for(cpu(True), "openvino", {}, with_dot_product="int8") == "fp32"  # measured on onnxruntime only
    gpu = Hardware("RTX 3060", 6.0, 20.0, 8, int8_dot_product=True)
    assert rec_precision_for(gpu, "onnxruntime", {}, with_dot_product="int8") == "fp32"


def test_the_shipped_default_is_f32_everywhere():
    """int8 cost line CER on the real pages (0.0510 against 0.0504), so it is chosen, not the default."""
    for hw in (cpu(True), cpu(False), cpu(True, "GenuineIntel")):
        assert derive_params(hw, {}).rec_precision == "fp32"


def test_the_precision_variable_wins_and_is_shown():
    params = derive_params(cpu(True), {"EXAMPAPER_REC_PRECISION": "FP32"})
    assert params.rec_precision == "fp32" and "rec_precision" in params.overridden
    assert "rec_precision:  fp32  (from EXAMPAPER_REC_PRECISION)" in banner(cpu(True), params)
    assert derive_params(cpu(False), {"EXAMPAPER_REC_PRECISION": "int8"}).rec_precision == "int8"
    with pytest.raises(ValueError, match="one of fp32, int8"):
        derive_params(cpu(True), {"EXAMPAPER_REC_PRECISION": "int4"})


def test_the_engine_spec_carries_the_precision_to_rapidocr_only():
    params = derive_params(cpu(True), {"EXAMPAPER_REC_PRECISION": "int8"})
    assert engine_spec("rapidocr", params).rec_precision == "int8"
    assert engine_spec("ppstructurev3", params).rec_precision == "fp32"


def test_the_cached_file_is_named_by_the_model_and_the_recipe(tmp_path):
    model = tmp_path / "rec.onnx"
    model.write_bytes(b"one model")
    first = int8_model_path(model, tmp_path / "cache")
    assert first.parent == tmp_path / "cache" and RECIPE in first.name
    model.write_bytes(b"another model")
    assert int8_model_path(model, tmp_path / "cache") != first


def test_rapidocr_is_pointed_at_the_int8_file_only_when_asked(tmp_path):
    made = []

    def make() -> Path:
        made.append(1)
        return tmp_path / "rec-int8.onnx"

    assert rec_model_params(RapidSettings(), make) == {} and not made
    assert rec_model_params(RapidSettings(rec_precision="int8"), make) == {"Rec.model_path": str(tmp_path / "rec-int8.onnx")}
    with pytest.raises(EngineUnavailable, match="EXAMPAPER_REC_PRECISION=fp32"):
        rec_model_params(RapidSettings(rec_precision="int8", backend="openvino"), make)
    with pytest.raises(EngineUnavailable, match="one of fp32, int8"):
        rec_model_params(RapidSettings(rec_precision="int4"), make)


def test_the_int8_recogniser_reads_the_sample_paper_as_the_f32_one_does():
    """Made from the bundled model on first use (cached per machine), then read through the real engine."""
    import pypdfium2 as pdfium

    pytest.importorskip("onnx", reason="making the int8 recogniser needs the onnx package")
    document = pdfium.PdfDocument(str(Path(__file__).resolve().parents[1] / "samples" / "sample_paper.pdf"))
    page = np.asarray(document[0].render(scale=150 / 72).to_pil().convert("RGB"))
    document.close()
    texts = {}
    for precision in ("fp32", "int8"):
        engine = RapidEngine(RapidSettings(rec_precision=precision, use_layout=False))
        engine.load()
        [structure] = engine.predict([page])
        if precision == "int8":
            assert RECIPE in engine.rec_model and Path(engine.rec_model).exists()
        engine.close()
        texts[precision] = "".join(line.text for line in sorted(structure.lines, key=lambda l: (l.y0, l.x0)))
    assert len(texts["fp32"]) > 200
    assert Levenshtein.normalized_distance(texts["int8"], texts["fp32"]) < 0.02
