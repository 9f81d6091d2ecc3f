"""The real 2023 Chongqing chemistry paper (6 pages, 24 questions) from ../shared/evaldata."""

import json
import shutil


from ocr_assets.pipeline import extract_paper
from resources.hardware import derive_params, detect_hardware
from resources.ocr_engine import EngineSpec, get_worker


def test_chongqing_2023_chemistry_questions(evaldata, tmp_path):
    paper = tmp_path / "chongqing2023_chem_B"
    paper.mkdir()
    for page in sorted((evaldata / "pages").glob("p04_chongqing2023_chem_B-*.png")):
        shutil.copy(page, paper / page.name)
    gt = json.loads((evaldata / "gt" / "p04_chongqing2023_chem_B.layout_questions.json").read_text(encoding="utf-8"))
    params = derive_params(detect_hardware(), env={})
    doc, stats, _ = extract_paper(paper, "chongqing2023_chem_B", get_worker(EngineSpec()), params, tmp_path / "work", 150)
    assert stats.failed == 0 and len(doc["pages"]) == 6
    numbers = [q["number"] for q in doc["questions"]]
    expected = [str(q["qnum"]) for q in gt["questions"]]
    found = [n for n in numbers if n in expected]
    assert len(found) >= 20 and len(set(found)) == len(found), numbers
    assert numbers == sorted(numbers, key=int)  # in order, nothing from 注意事项 or footers
    q1 = doc["questions"][0]
    assert q1["number"] == "1" and [o["label"] for o in q1["options"]] == ["A", "B", "C", "D"]
