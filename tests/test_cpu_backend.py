"""RapidOCR on OpenVINO reads what it reads on onnxruntime (same ONNX models, another runtime)."""

import numpy as np
import pytest
from rapidfuzz.distance import Levenshtein

from resources.engines.rapid import RapidEngine, RapidSettings
from tests.formula_pages import italic_font_path, render_formula_page

pytest.importorskip("openvino", reason="the openvino backend needs `pip install openvino`")


@pytest.mark.skipif(italic_font_path() is None, reason="no italic Latin font for the generated page")
def test_openvino_and_onnxruntime_read_the_same_page_alike():
    page = np.asarray(render_formula_page(5).image)
    texts = {}
    for backend in ("onnxruntime", "openvino"):
        engine = RapidEngine(RapidSettings(backend=backend))
        engine.load()
        [structure] = engine.predict([page])
        engine.close()
        assert structure.blocks, f"{backend}: the layout model found nothing"
        texts[backend] = "".join(line.text for line in sorted(structure.lines, key=lambda l: (l.y0, l.x0)))
    assert len(texts["openvino"]) > 100
    assert Levenshtein.normalized_distance(texts["openvino"], texts["onnxruntime"]) < 0.03


def test_an_unknown_backend_says_what_to_choose():
    from resources.engines.base import EngineUnavailable

    with pytest.raises(EngineUnavailable, match="choose one of onnxruntime, openvino"):
        RapidEngine(RapidSettings(backend="tensorrt")).load()
