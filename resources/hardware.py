"""Hardware detection and the one pure function that turns hardware into runtime parameters.

Detection never raises: every probe has a fallback, and the banner says which values were
detected, which fell back and which came from `EXAMPAPER_*` overrides.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import asdict, dataclass, field
from typing import Mapping

import dagster as dg

from resources.engines.rapid import CPU_BACKENDS, REC_PRECISIONS  # the engine's own choices

# VRAM (GiB, inclusive upper bound) -> (det batch, rec batch); MinerU-style table, one place only.
VRAM_BATCH_TABLE: tuple[tuple[float, int, int], ...] = (
    (4.0, 1, 8),
    (6.0, 2, 16),
    (8.0, 3, 24),
    (float("inf"), 4, 32),
)
# On a CPU, RapidOCR pads every line in a recognition batch to the widest one: batch 1 is fastest
# (0.67 vs 0.99 s/page at batch 8, benchmarks/engine_settings.py).
CPU_DET_BATCH, CPU_REC_BATCH = 1, 1

OVERRIDES = {
    "det_batch_size": "EXAMPAPER_DET_BATCH_SIZE",
    "rec_batch_size": "EXAMPAPER_REC_BATCH_SIZE",
    "prefetch_depth": "EXAMPAPER_PREFETCH_SIZE",
    "cpu_workers": "EXAMPAPER_MAX_WORKERS",
    "gpu_workers": "EXAMPAPER_GPU_WORKERS",
    "cpu_engines": "EXAMPAPER_CPU_ENGINES",
}
# Without a GPU, two single-threaded engines on different pages beat one engine using both cores on
# some machines (1.20x, benchmarks/cpu_parallelism.py, 2-core AMD EPYC) and tie on others (1.03x);
# each engine costs about 300 MB, so two run where RAM allows. A GPU always gets one engine.
CPU_ENGINES_MAX = 2
CPU_ENGINE_RAM_GB = 1.0

# RapidOCR's CPU runtime (the same ONNX models either way). Without a GPU the backend comes from the CPU
# vendor (/proc/cpuinfo vendor_id) and decides how many engines run; `EXAMPAPER_CPU_BACKEND` overrides.
# 2-core AMD EPYC, 11 real pages with layout, quiet machine (benchmarks/engine_settings.py --backends --rounds 3,
# medians): onnxruntime x2 single-threaded 0.72 s/page, onnxruntime x1 all threads 0.85, OpenVINO x1 all threads
# 0.92, OpenVINO x2 single-threaded 1.30 (1.33 CPU-s: the two OpenVINO engines do not run side by side), line CER
# 0.0504 for all. Under heavy load the order changed (OpenVINO x2 1.87 against onnxruntime x2 2.51). On AMD
# onnxruntime stays; Intel is unmeasured here (../shared/NOTES.md: one all-threads OpenVINO engine 0.58 against
# 0.80 s/page for onnxruntime on a 2-core machine of another kind), so it gets one all-threads OpenVINO engine.
CPU_BACKEND_BY_VENDOR = {"GenuineIntel": "openvino", "AuthenticAMD": "onnxruntime"}
CPU_BACKEND_FALLBACK = "onnxruntime"  # unknown vendors (ARM, …): OpenVINO's x86 kernels may not apply
CPU_ENGINES_BY_BACKEND = {"onnxruntime": 2, "openvino": 1}
CPU_BACKEND_VAR = "EXAMPAPER_CPU_BACKEND"
# A second read, at full resolution, of text-size ink no OCR line covers (ocr_assets/ink.py): formula
# runs the detector misses at side 960. `EXAMPAPER_INK_REREAD=0|1` overrides.
# Re-reading any uncovered ink took labels inside drawings (Chongqing figures attached 1.00 -> 0.87);
# re-reading only ink beside a text row scores as without the re-read on all five evaldata papers.
INK_REREAD_DEFAULT = True
INK_REREAD_VAR = "EXAMPAPER_INK_REREAD"
# The recogniser's precision on onnxruntime on a CPU (resources/engines/int8.py): "int8" runs its convolutions
# in int8, worth it only where the CPU has int8 dot-product instructions (INT8_DOT_FLAGS). 2-core AMD EPYC
# (avx512_vnni), 11 real pages, two single-threaded engines (benchmarks/engine_settings.py --backends):
# CPU-s/page 2.06 int8 against 2.67 f32 under load ~10 (-23 %), line CER 0.0510 against 0.0504 (285 against
# 282 edits of 5593). The rule for the default is "equal or lower line CER", so f32 stays the default on every
# CPU and int8 is chosen by `EXAMPAPER_REC_PRECISION=int8`; INT8_DEFAULT_WITH_DOT_PRODUCT = "int8" would make
# it the default on CPUs with the instructions. A GPU and OpenVINO keep f32 (int8 unmeasured there).
REC_PRECISION_VAR = "EXAMPAPER_REC_PRECISION"
INT8_DOT_FLAGS = ("avx512_vnni", "avx_vnni", "amx_int8", "asimddp")  # x86 VNNI / AMX, ARM dot product
INT8_DEFAULT_WITH_DOT_PRODUCT = "fp32"


@dataclass(frozen=True)
class Hardware:
    gpu_name: str | None
    vram_gb: float | None
    available_ram_gb: float
    cpu_cores: int
    sources: dict[str, str] = field(default_factory=dict)  # what -> how it was found
    cpu_vendor: str | None = None  # /proc/cpuinfo vendor_id: GenuineIntel, AuthenticAMD, …
    int8_dot_product: bool = False  # /proc/cpuinfo flags name one of INT8_DOT_FLAGS


@dataclass(frozen=True)
class RuntimeParams:
    det_batch_size: int
    rec_batch_size: int
    prefetch_depth: int
    cpu_workers: int
    gpu_workers: int
    cpu_engines: int = 1  # engine instances when there is no GPU (each single-threaded when more than one)
    cpu_backend: str = "onnxruntime"  # RapidOCR's runtime: onnxruntime (also on a GPU) or openvino
    ink_reread: bool = False  # re-read uncovered text-size ink on the same engine (ocr_assets/ink.py)
    rec_precision: str = "fp32"  # RapidOCR's recogniser: the bundled f32 model or its int8 copy
    overridden: tuple[str, ...] = ()


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))


def derive_params(hw: Hardware, env: Mapping[str, str] | None = None) -> RuntimeParams:
    """Hardware -> batch sizes, prefetch depth, worker counts and CPU backend; env overrides win."""
    env = os.environ if env is None else env
    backend = cpu_backend_for(hw, env)
    if hw.vram_gb is None:
        det, rec = CPU_DET_BATCH, CPU_REC_BATCH
    else:
        det, rec = next((d, r) for limit, d, r in VRAM_BATCH_TABLE if hw.vram_gb <= limit)
    values = {
        "det_batch_size": det,
        "rec_batch_size": rec,
        "prefetch_depth": _clamp(int(hw.available_ram_gb / 0.5), 4, 16),
        "cpu_workers": _clamp(hw.cpu_cores // 2, 2, 6),
        "gpu_workers": 1,
        "cpu_engines": 1 if hw.vram_gb is not None else _clamp(
            min(hw.cpu_cores, int(hw.available_ram_gb / CPU_ENGINE_RAM_GB)), 1, CPU_ENGINES_BY_BACKEND[backend]),
    }
    overridden = ["cpu_backend"] if env.get(CPU_BACKEND_VAR, "").strip() else []
    rec_precision = rec_precision_for(hw, backend, env)
    if env.get(REC_PRECISION_VAR, "").strip():
        overridden.append("rec_precision")
    ink_reread = INK_REREAD_DEFAULT
    raw_reread = env.get(INK_REREAD_VAR, "").strip()
    if raw_reread:
        if raw_reread not in ("0", "1"):
            raise ValueError(f"{INK_REREAD_VAR}={raw_reread!r} must be 0 (off) or 1 (on); set it so or unset it")
        ink_reread = raw_reread == "1"
        overridden.append("ink_reread")
    for key, var in OVERRIDES.items():
        raw = env.get(var)
        if raw is None or raw.strip() == "":
            continue
        try:
            parsed = int(raw)
        except ValueError:
            raise ValueError(f"{var}={raw!r} is not a whole number; set it to a positive integer or unset it") from None
        if parsed < 1:
            raise ValueError(f"{var}={raw!r} must be at least 1")
        values[key] = parsed
        overridden.append(key)
    return RuntimeParams(**values, cpu_backend=backend, ink_reread=ink_reread, rec_precision=rec_precision,
                         overridden=tuple(overridden))


def _choice_from_env(env: Mapping[str, str], var: str, choices, what: str) -> str:
    """The variable's value (lower case) if set, "" if not; a value outside `choices` is an error that
    says what to set."""
    raw = env.get(var, "").strip().lower()
    if raw and raw not in choices:
        raise ValueError(f"{var}={raw!r} is not {what}; set it to one of {', '.join(choices)} or unset it")
    return raw


def rec_precision_for(hw: Hardware, backend: str, env: Mapping[str, str],
                      with_dot_product: str | None = None) -> str:
    """`with_dot_product` (default INT8_DEFAULT_WITH_DOT_PRODUCT) on onnxruntime on a CPU with int8
    dot-product instructions, f32 on any other CPU, a GPU or OpenVINO; the env var wins."""
    raw = _choice_from_env(env, REC_PRECISION_VAR, REC_PRECISIONS, "a precision")
    if raw:
        return raw
    if hw.vram_gb is not None or backend != "onnxruntime":
        return "fp32"
    with_dot_product = INT8_DEFAULT_WITH_DOT_PRODUCT if with_dot_product is None else with_dot_product
    return with_dot_product if hw.int8_dot_product else "fp32"


def cpu_backend_for(hw: Hardware, env: Mapping[str, str]) -> str:
    """onnxruntime on a GPU (CUDA) or an unknown CPU, the vendor table otherwise; the env var wins."""
    raw = _choice_from_env(env, CPU_BACKEND_VAR, CPU_BACKENDS, "a CPU backend")
    if raw:
        return raw
    if hw.vram_gb is not None:
        return "onnxruntime"
    return CPU_BACKEND_BY_VENDOR.get(hw.cpu_vendor or "", CPU_BACKEND_FALLBACK)


def _detect_gpu() -> tuple[str | None, float | None, str]:
    try:
        import pynvml

        pynvml.nvmlInit()
        try:
            handle = pynvml.nvmlDeviceGetHandleByIndex(0)
            name = pynvml.nvmlDeviceGetName(handle)
            total = pynvml.nvmlDeviceGetMemoryInfo(handle).total
            return (name.decode() if isinstance(name, bytes) else name), total / 2**30, "pynvml"
        finally:
            pynvml.nvmlShutdown()
    except Exception:  # no driver, no GPU, or no pynvml: fall back to nvidia-smi
        pass
    if shutil.which("nvidia-smi"):
        try:
            out = subprocess.run(
                ["nvidia-smi", "--query-gpu=name,memory.total", "--format=csv,noheader,nounits"],
                capture_output=True, text=True, timeout=10, check=True,
            ).stdout.strip().splitlines()
            if out:
                name, mib = (part.strip() for part in out[0].rsplit(",", 1))
                return name, float(mib) / 1024, "nvidia-smi"
        except (subprocess.SubprocessError, ValueError, OSError):
            pass
    return None, None, "none found"


def _detect_cpu_vendor() -> tuple[str | None, str]:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("vendor_id"):
                    return line.split(":", 1)[1].strip(), "/proc/cpuinfo"
    except OSError:
        pass
    return None, "unknown"


def has_int8_dot_product(cpuinfo: str) -> bool:
    """Whether /proc/cpuinfo text names an int8 dot-product extension (x86 `flags`, ARM `Features`)."""
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("flags", "Features"):
            return any(flag in value.split() for flag in INT8_DOT_FLAGS)
    return False


def _detect_int8_dot_product() -> tuple[bool, str]:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            return has_int8_dot_product(cpuinfo.read()), "/proc/cpuinfo"
    except OSError:
        return False, "unknown (no /proc/cpuinfo)"


def detect_hardware() -> Hardware:
    gpu_name, vram_gb, gpu_source = _detect_gpu()
    sources = {"gpu": gpu_source}
    try:
        import psutil

        available_ram_gb = psutil.virtual_memory().available / 2**30
        sources["ram"] = "psutil"
    except Exception:
        available_ram_gb = 2.0
        sources["ram"] = "fallback 2 GiB"
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    sources["cpu"] = "sched_getaffinity" if hasattr(os, "sched_getaffinity") else "os.cpu_count"
    vendor, sources["cpu_vendor"] = _detect_cpu_vendor()
    int8_dot, sources["int8_dot_product"] = _detect_int8_dot_product()
    return Hardware(gpu_name, vram_gb, available_ram_gb, cores, sources, vendor, int8_dot)


def banner(hw: Hardware, params: RuntimeParams) -> str:
    gpu = f"{hw.gpu_name} ({hw.vram_gb:.1f} GiB VRAM, via {hw.sources.get('gpu')})" if hw.gpu_name else "none (CPU only)"
    lines = [
        f"GPU:        {gpu}",
        f"RAM:        {hw.available_ram_gb:.1f} GiB available",
        f"CPU cores:  {hw.cpu_cores} ({hw.cpu_vendor or 'vendor unknown'}"
        f"{', int8 dot product' if hw.int8_dot_product else ', no int8 dot product'})",
    ]
    named = {**OVERRIDES, "cpu_backend": CPU_BACKEND_VAR, "ink_reread": INK_REREAD_VAR,
             "rec_precision": REC_PRECISION_VAR}
    for key in ("det_batch_size", "rec_batch_size", "prefetch_depth", "cpu_workers", "gpu_workers", "cpu_engines",
                "cpu_backend", "ink_reread", "rec_precision"):
        origin = f"  (from {named[key]})" if key in params.overridden else ""
        lines.append(f"{key + ':':<16}{getattr(params, key)}{origin}")
    return "\n".join(lines)


def as_json(hw: Hardware, params: RuntimeParams) -> dict:
    return {"hardware": asdict(hw), "params": {**asdict(params), "overridden": list(params.overridden)}}


class HardwareConfig(dg.ConfigurableResource):
    """Detected hardware and the parameters derived from it, with `EXAMPAPER_*` overrides applied."""

    def detect(self) -> tuple[Hardware, RuntimeParams]:
        hw = detect_hardware()
        return hw, derive_params(hw)
