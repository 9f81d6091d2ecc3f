import pytest

from resources.hardware import Hardware, banner, derive_params


def hw(vram=None, ram=16.0, cores=8):
    return Hardware("GPU" if vram else None, vram, ram, cores)


@pytest.mark.parametrize(
    "vram, det, rec",
    [(None, 1, 1), (2.0, 1, 8), (4.0, 1, 8), (4.1, 2, 16), (6.0, 2, 16), (8.0, 3, 24), (11.9, 4, 32), (80.0, 4, 32)],
)
def test_vram_table(vram, det, rec):
    params = derive_params(hw(vram), env={})
    assert (params.det_batch_size, params.rec_batch_size) == (det, rec)


@pytest.mark.parametrize("ram, depth", [(0.5, 4), (2.9, 5), (4.0, 8), (7.9, 15), (64.0, 16)])
def test_prefetch_depth_follows_available_ram(ram, depth):
    assert derive_params(hw(ram=ram), env={}).prefetch_depth == depth


@pytest.mark.parametrize("cores, workers", [(1, 2), (2, 2), (6, 3), (12, 6), (64, 6)])
def test_cpu_workers_from_cores(cores, workers):
    params = derive_params(hw(cores=cores), env={})
    assert params.cpu_workers == workers and params.gpu_workers == 1


def test_env_overrides_win_and_are_reported():
    env = {"EXAMPAPER_REC_BATCH_SIZE": "12", "EXAMPAPER_PREFETCH_SIZE": "3", "EXAMPAPER_GPU_WORKERS": " "}
    params = derive_params(hw(6.0), env=env)
    assert params.rec_batch_size == 12 and params.prefetch_depth == 3 and params.det_batch_size == 2
    assert set(params.overridden) == {"rec_batch_size", "prefetch_depth"}
    assert "from EXAMPAPER_REC_BATCH_SIZE" in banner(hw(6.0), params)


@pytest.mark.parametrize("value", ["abc", "0", "-2", "1.5"])
def test_bad_override_is_a_clear_error(value):
    with pytest.raises(ValueError, match="EXAMPAPER_DET_BATCH_SIZE"):
        derive_params(hw(), env={"EXAMPAPER_DET_BATCH_SIZE": value})


def test_cpu_engines_two_without_a_gpu_one_with_one_and_overridable():
    cpu_only = Hardware(None, None, 20.0, 2)
    assert derive_params(cpu_only, {}).cpu_engines == 2
    assert derive_params(Hardware(None, None, 1.5, 2), {}).cpu_engines == 1  # not enough memory for two
    assert derive_params(Hardware(None, None, 20.0, 1), {}).cpu_engines == 1  # one core
    assert derive_params(Hardware("RTX 3060", 6.0, 20.0, 8), {}).cpu_engines == 1
    params = derive_params(cpu_only, {"EXAMPAPER_CPU_ENGINES": "1"})
    assert params.cpu_engines == 1 and "cpu_engines" in params.overridden


@pytest.mark.parametrize(
    "vendor, vram, env, backend, overridden",
    [
        ("GenuineIntel", None, {}, "openvino", False),
        ("AuthenticAMD", None, {}, "onnxruntime", False),
        ("ARM", None, {}, "onnxruntime", False),  # an unknown vendor falls back
        (None, None, {}, "onnxruntime", False),
        ("GenuineIntel", 8.0, {}, "onnxruntime", False),  # a GPU runs onnxruntime's CUDA provider
        ("GenuineIntel", None, {"EXAMPAPER_CPU_BACKEND": "onnxruntime"}, "onnxruntime", True),
        ("ARM", None, {"EXAMPAPER_CPU_BACKEND": " OpenVINO "}, "openvino", True),
        ("AuthenticAMD", None, {"EXAMPAPER_CPU_BACKEND": ""}, "onnxruntime", False),
    ],
)
def test_cpu_backend_from_vendor_gpu_and_override(vendor, vram, env, backend, overridden):
    machine = Hardware("GPU" if vram else None, vram, 16.0, 2, cpu_vendor=vendor)
    params = derive_params(machine, env=env)
    assert params.cpu_backend == backend
    assert ("cpu_backend" in params.overridden) is overridden
    assert f"cpu_backend:    {backend}" in banner(machine, params)
    assert ("from EXAMPAPER_CPU_BACKEND" in banner(machine, params)) is overridden


@pytest.mark.parametrize("backend", ["onnxruntime", "openvino"])
def test_cpu_engines_follow_the_backend_table(backend):
    from resources.hardware import CPU_ENGINES_BY_BACKEND

    params = derive_params(Hardware(None, None, 20.0, 8, cpu_vendor="GenuineIntel"), {"EXAMPAPER_CPU_BACKEND": backend})
    assert params.cpu_engines == CPU_ENGINES_BY_BACKEND[backend]
    engines = derive_params(Hardware(None, None, 20.0, 8), {"EXAMPAPER_CPU_BACKEND": backend,
                                                             "EXAMPAPER_CPU_ENGINES": "3"})
    assert engines.cpu_engines == 3 and engines.cpu_backend == backend


def test_unknown_cpu_backend_is_a_clear_error():
    with pytest.raises(ValueError, match="EXAMPAPER_CPU_BACKEND='tensorrt' is not a CPU backend; set it to one of"):
        derive_params(hw(), env={"EXAMPAPER_CPU_BACKEND": "tensorrt"})


def test_the_spec_carries_the_backend_to_rapidocr_only():
    from resources.ocr_engine import engine_spec

    params = derive_params(Hardware(None, None, 20.0, 2, cpu_vendor="GenuineIntel"), {"EXAMPAPER_CPU_BACKEND": "openvino"})
    assert engine_spec("rapidocr", params).backend == "openvino"
    assert engine_spec("ppstructurev3", params).backend == "onnxruntime"


def test_rapid_backend_params_name_rapidocr_keys():
    from rapidocr import EngineType

    from resources.engines.rapid import RapidSettings, layout_engine_cfg, ocr_backend_params

    ov = ocr_backend_params(RapidSettings(backend="openvino", intra_op_threads=1))
    assert ov["Det.engine_type"] is EngineType.OPENVINO and ov["Rec.engine_type"] is EngineType.OPENVINO
    assert ov["EngineConfig.openvino.inference_num_threads"] == 1
    ort = ocr_backend_params(RapidSettings(backend="onnxruntime", intra_op_threads=-1))
    assert ort["Det.engine_type"] is EngineType.ONNXRUNTIME and ort["EngineConfig.onnxruntime.intra_op_num_threads"] == -1
    assert layout_engine_cfg(RapidSettings(backend="openvino", intra_op_threads=1))["engine_cfg"]["inference_num_threads"] == 1


@pytest.mark.parametrize("raw, on, overridden", [(None, "default", False), ("0", False, True), ("1", True, True), (" ", "default", False)])
def test_ink_reread_default_and_override(raw, on, overridden):
    from resources.hardware import INK_REREAD_DEFAULT

    params = derive_params(hw(), env={} if raw is None else {"EXAMPAPER_INK_REREAD": raw})
    assert params.ink_reread is (INK_REREAD_DEFAULT if on == "default" else on)
    assert ("ink_reread" in params.overridden) is overridden


@pytest.mark.parametrize("raw", ["yes", "2", "true"])
def test_bad_ink_reread_is_a_clear_error(raw):
    with pytest.raises(ValueError, match="EXAMPAPER_INK_REREAD=.* must be 0 \\(off\\) or 1 \\(on\\)"):
        derive_params(hw(), env={"EXAMPAPER_INK_REREAD": raw})
