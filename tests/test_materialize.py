"""All four assets for one paper, real engine, into a temporary Dagster instance and SQLite file."""

import os
import shutil

import dagster as dg

from ocr_assets.assets import decoded_frames, exam_questions, ocr_structure, pages
from ocr_assets.evaluation import cer
from resources import ocr_engine as engine_module
from resources.drop_folder import DropFolder
from resources.hardware import HardwareConfig
from resources.ocr_engine import OcrEngineResource
from resources.storage import ArtifactStore, QuestionStore, load_paper, make_engine
from tests.conftest import SAMPLE_PDF


def resources_for(tmp_path):
    drop = tmp_path / "drop"
    drop.mkdir()
    shutil.copy(SAMPLE_PDF, drop / "sample_paper.pdf")
    return {
        "drop_folder": DropFolder(path=str(drop)),
        "hardware": HardwareConfig(),
        "ocr_engine": OcrEngineResource(engine="rapidocr"),
        "store": QuestionStore(database_url=f"sqlite:///{tmp_path / 'questions.sqlite'}"),
        "artifacts": ArtifactStore(data_dir=str(tmp_path / "data")),
    }


def materialize_sample(tmp_path, instance, resources):
    instance.add_dynamic_partitions("papers", ["sample_paper"])
    return dg.materialize(
        [pages, decoded_frames, ocr_structure, exam_questions],
        partition_key="sample_paper",
        instance=instance,
        resources=resources,
    )


def test_sample_paper_lands_in_the_database(tmp_path, sample_expected):
    resources = resources_for(tmp_path)
    with dg.instance_for_test() as instance:
        result = materialize_sample(tmp_path, instance, resources)
        assert result.success
        loads_after_first = engine_module.MODEL_LOADS
        # the second paper run in this process reuses the warm engine: no second model load
        assert materialize_sample(tmp_path, instance, resources).success
        assert engine_module.MODEL_LOADS == loads_after_first

        meta = {
            e.asset_key.to_user_string(): e.materialization.metadata
            for e in result.get_asset_materialization_events()
        }
    assert meta["pages"]["page_count"].value == 2
    assert meta["decoded_frames"]["failed"].value == 0
    assert meta["ocr_structure"]["pages"].value == 2 and meta["ocr_structure"]["s_per_page"].value > 0
    assert meta["ocr_structure"]["failed_pages"].value == 0 and meta["ocr_structure"]["oom_fallbacks"].value == 0
    assert meta["ocr_structure"]["parts_read_by_idle_engine"].value >= 0  # the sample is read from its text layer
    assert meta["ocr_structure"]["utilisation_plot"].value.startswith("![utilisation and throughput](data:image/png")
    assert meta["decoded_frames"]["first_page"].value.startswith("![page](data:image/jpeg")
    assert meta["exam_questions"]["questions"].value == len(sample_expected["questions"])

    stored = load_paper(make_engine(f"sqlite:///{tmp_path / 'questions.sqlite'}"), "sample_paper")
    assert [p["status"] for p in stored["pages"]] == ["ok", "ok"]
    expected = sample_expected["questions"]
    got = stored["questions"]
    assert [q["number"] for q in got] == [q["number"] for q in expected]  # re-run replaced, no duplicates
    for g, e in zip(got, expected):
        assert g["section"] == e["section"], e["number"]
        assert g["type"] == e["type"], e["number"]
        assert [o["label"] for o in g["options"]] == [o["label"] for o in e["options"]], e["number"]
        assert [s["number"] for s in g["sub_questions"]] == [s["number"] for s in e["sub_questions"]], e["number"]
        assert [s["page"] for s in g["spans"]] == [s["page"] for s in e["spans"]], e["number"]
        assert cer(g["stem"], e["stem"]) <= 0.1, (e["number"], g["stem"], e["stem"])
        for go, eo in zip(g["options"], e["options"]):
            assert cer(go["text"], eo["text"]) <= 0.1, (e["number"], go, eo)
    review = meta["exam_questions"]["review_page"].value
    page = open(review, encoding="utf-8").read()
    assert page.count('class="card"') == len(expected)
    figured = [q for q in got if q["figures"]]
    assert [q["number"] for q in figured] == [q["number"] for q in expected if q["figures"]]
    for q in figured:  # the crop is saved beside the review page, as the stored relative path says
        assert all(os.path.exists(os.path.join(os.path.dirname(review), f["image"])) for f in q["figures"])
    choice_scores = {q["number"]: q["score"] for q in got if q["type"] == "single_choice"}
    assert set(choice_scores.values()) == {2.0}  # from 每小题 2 分 in the section heading
