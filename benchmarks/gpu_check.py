"""GPU check: on a machine with a CUDA GPU and a CUDA-capable engine, run the inference benchmark
and report GPU utilisation and VRAM. Finishes within the time budget (default 7 minutes).

    python benchmarks/gpu_check.py PAPER [--engine ppstructurev3|paddleocr|rapidocr] [--budget-s 420]

Exit 0 with a JSON report; exit 3 with one line saying why when no GPU or no GPU engine is usable.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ocr_assets.bench import run_bench  # noqa: E402
from ocr_assets.frames import load_frame, write_frames  # noqa: E402
from ocr_assets.monitoring import ResourceSampler  # noqa: E402
from ocr_assets.pages import enumerate_pages  # noqa: E402
from resources.engines.base import EngineUnavailable  # noqa: E402
from resources.hardware import banner, derive_params, detect_hardware  # noqa: E402
from resources.ocr_engine import EngineSpec, get_worker  # noqa: E402


def gpu_engines() -> list[str]:
    """Engines that can use the GPU here, best first."""
    usable = []
    try:
        import paddle

        if paddle.device.is_compiled_with_cuda() and paddle.device.cuda.device_count() > 0:
            usable += ["ppstructurev3", "paddleocr"]
    except ImportError:
        pass
    try:
        import onnxruntime

        if "CUDAExecutionProvider" in onnxruntime.get_available_providers():
            usable.append("rapidocr")
    except ImportError:
        pass
    return usable


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("paper")
    parser.add_argument("--engine", default=None)
    parser.add_argument("--budget-s", type=float, default=420.0)
    args = parser.parse_args()
    hw = detect_hardware()
    params = derive_params(hw)
    print(banner(hw, params), file=sys.stderr)
    if hw.gpu_name is None:
        print("gpu_check: no CUDA GPU detected (pynvml and nvidia-smi found none)", file=sys.stderr)
        return 3
    candidates = [args.engine] if args.engine else gpu_engines()
    if not candidates:
        print("gpu_check: GPU present but no CUDA engine installed: install paddlepaddle-gpu 3.x + the paddle extra "
              "(README), or onnxruntime-gpu for rapidocr", file=sys.stderr)
        return 3
    worker, errors = None, []
    for name in candidates:
        try:
            started = time.perf_counter()
            worker = get_worker(EngineSpec(name=name, device="gpu:0", rec_batch_size=params.rec_batch_size,
                                           det_batch_size=params.det_batch_size))
            load_s = time.perf_counter() - started
            break
        except EngineUnavailable as exc:
            errors.append(f"{name}: {exc}")
    if worker is None:
        print("gpu_check: no GPU engine could load: " + " | ".join(errors), file=sys.stderr)
        return 3

    refs = enumerate_pages(Path(args.paper))
    # size the run to the budget: time a few pages first (three passes each in the benchmark)
    probe = write_frames(refs[:3], Path("/tmp/gpu_check_probe"))
    started = time.perf_counter()
    worker.predict([load_frame(f) for f in probe if f.status == "ok"][:1])
    worker.predict([load_frame(f) for f in probe if f.status == "ok"])
    per_page = (time.perf_counter() - started) / (1 + len(probe))
    pages = max(len(refs), min(200, int(args.budget_s * 0.6 / (3 * per_page + 0.05))))
    refs = [replace(r, index=i) for i, r in enumerate((refs * (pages // len(refs) + 1))[:pages], start=1)]
    with ResourceSampler(interval_s=0.25) as sampler:
        report = run_bench(refs, worker, params)
    report.update(sampler.summary(), gpu=hw.gpu_name, vram_gb=round(hw.vram_gb or 0, 1), model_load_s=round(load_s, 1))
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
