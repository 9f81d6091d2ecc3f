import dagster as dg

from ocr_assets.definitions import defs


def test_definitions_load():
    dg.Definitions.validate_loadable(defs)
    repo = defs.get_repository_def()
    assert {k.to_user_string() for k in repo.asset_graph.get_all_asset_keys()} == {
        "pages", "decoded_frames", "ocr_structure", "exam_questions"
    }
    job = defs.resolve_job_def("process_paper")
    assert job.partitions_def.name == "papers"
    assert defs.resolve_sensor_def("drop_folder_sensor").job_name == "process_paper"
    assert defs.resolve_schedule_def("reconcile_papers").job_name == "process_paper"
