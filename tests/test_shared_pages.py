"""Two real RapidOCR engines sharing one page read exactly what one engine reads alone."""

from pathlib import Path

import numpy as np
import pypdfium2 as pdfium

from resources.engines.rapid import RapidEngine, RapidSettings
from resources.ocr_engine import EnginePool, EngineSpec

SAMPLE_PDF = Path(__file__).resolve().parents[1] / "samples" / "sample_paper.pdf"


def test_a_page_shared_by_two_engines_reads_as_one_engine_reads_it():
    pdf = pdfium.PdfDocument(SAMPLE_PDF)
    page = np.asarray(pdf[0].render(scale=150 / 72).to_pil().convert("RGB"))
    pdf.close()
    alone = RapidEngine(RapidSettings(intra_op_threads=1))
    alone.load()
    [expected] = alone.predict([page])
    [expected_lines] = alone.read_lines([page])
    alone.close()
    pool = EnginePool(EngineSpec(instances=2, threads=1))
    try:
        assert pool.shares_pages
        [shared] = pool.predict([page])
        [shared_lines] = pool.read_lines([page])
        helped = pool.parts_helped
    finally:
        pool.close()
    assert len(expected.lines) > 20 and expected.blocks
    assert [(l.text, l.bbox, l.confidence, l.polygon) for l in shared.lines] == \
        [(l.text, l.bbox, l.confidence, l.polygon) for l in expected.lines]
    assert shared.blocks == expected.blocks
    assert [l.text for l in shared_lines.lines] == [l.text for l in expected_lines.lines] and not shared_lines.blocks
    assert helped > 0, "the second engine read no part of the page"
