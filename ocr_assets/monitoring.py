"""Samples CPU, RAM and (when a GPU exists) GPU utilisation and VRAM while inference runs."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import psutil


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


@dataclass
class Samples:
    t: list[float] = field(default_factory=list)
    cpu_percent: list[float] = field(default_factory=list)  # whole machine, 0-100
    rss_mb: list[float] = field(default_factory=list)
    gpu_util: list[float] = field(default_factory=list)
    vram_used_mb: list[float] = field(default_factory=list)
    pages_done: list[int] = field(default_factory=list)


class ResourceSampler:
    """`with ResourceSampler() as s: ...` then `s.summary()`; samples on its own thread."""

    def __init__(self, interval_s: float = 0.5, progress=lambda: 0) -> None:
        self.interval_s = interval_s
        self.progress = progress
        self.samples = Samples()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="resource-sampler")
        self._process = psutil.Process()
        self._gpu = self._open_gpu()
        self._t0 = 0.0

    @staticmethod
    def _open_gpu():
        try:
            import pynvml

            pynvml.nvmlInit()
            return pynvml, pynvml.nvmlDeviceGetHandleByIndex(0)
        except Exception:  # no NVIDIA driver or GPU here: CPU figures only
            return None

    def __enter__(self) -> "ResourceSampler":
        self._t0 = time.perf_counter()
        psutil.cpu_percent(None)  # prime: the first call always returns 0
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()  # at least one sample, even for very short runs
        if self._gpu is not None:
            try:
                self._gpu[0].nvmlShutdown()
            except Exception:
                pass

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self._sample()

    def _sample(self) -> None:
        s = self.samples
        s.t.append(time.perf_counter() - self._t0)
        s.cpu_percent.append(psutil.cpu_percent(None))
        s.rss_mb.append(self._process.memory_info().rss / 2**20)
        s.pages_done.append(int(self.progress()))
        if self._gpu is not None:
            nvml, handle = self._gpu
            try:
                s.gpu_util.append(float(nvml.nvmlDeviceGetUtilizationRates(handle).gpu))
                s.vram_used_mb.append(nvml.nvmlDeviceGetMemoryInfo(handle).used / 2**20)
            except Exception:
                pass

    def summary(self) -> dict[str, float | None]:
        s = self.samples
        return {
            "cpu_percent_mean": round(sum(s.cpu_percent) / len(s.cpu_percent), 1) if s.cpu_percent else None,
            "cpu_percent_p95": round(_percentile(s.cpu_percent, 0.95), 1) if s.cpu_percent else None,
            "rss_peak_mb": round(max(s.rss_mb), 1) if s.rss_mb else None,
            "ram_available_mb": round(psutil.virtual_memory().available / 2**20, 1),
            "gpu_util_mean": round(sum(s.gpu_util) / len(s.gpu_util), 1) if s.gpu_util else None,
            "gpu_util_p95": round(_percentile(s.gpu_util, 0.95), 1) if s.gpu_util else None,
            "vram_peak_mb": round(max(s.vram_used_mb), 1) if s.vram_used_mb else None,
        }


def usage_plot_md(samples: Samples) -> str | None:
    """A small PNG (utilisation and pages done over time) as Markdown, for Dagster metadata."""
    if len(samples.t) < 2:
        return None
    import base64
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, util = plt.subplots(figsize=(6, 2.4), dpi=80)
    util.plot(samples.t, samples.cpu_percent, label="CPU %", color="tab:blue")
    if samples.gpu_util:
        util.plot(samples.t[: len(samples.gpu_util)], samples.gpu_util, label="GPU %", color="tab:green")
    util.set_ylim(0, 105)
    util.set_xlabel("seconds")
    util.set_ylabel("utilisation %")
    pages = util.twinx()
    pages.step(samples.t, samples.pages_done, where="post", label="pages done", color="tab:orange")
    pages.set_ylabel("pages done")
    handles = util.get_legend_handles_labels()[0] + pages.get_legend_handles_labels()[0]
    util.legend(handles, [h.get_label() for h in handles], loc="upper left", fontsize=7)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return f"![utilisation and throughput](data:image/png;base64,{base64.b64encode(buffer.getvalue()).decode()})"
