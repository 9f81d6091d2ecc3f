"""The embedded default engine: RapidOCR 3.10 with its bundled PP-OCRv6 ONNX models, plus
rapid-layout's bundled CDLA layout model for figures/tables. Runs offline on a CPU."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from resources.engines.base import Block, EngineUnavailable, OutOfMemory, PageStructure, TextLine

# rapid-layout's CDLA classes -> our block labels
CDLA_LABELS = {
    "text": "text",
    "title": "title",
    "figure": "figure",
    "figure_caption": "caption",
    "table": "table",
    "table_caption": "caption",
    "header": "header",
    "footer": "footer",
    "reference": "text",
    "equation": "formula",
}


@dataclass(frozen=True)
class RapidSettings:
    # Measured on 11 real pages (benchmarks/engine_settings.py): max side 960, no angle classifier,
    # recognition batch 1 reads at 0.67 s/page with line CER 0.050, RapidOCR's defaults at 1.30 s/page
    # with CER 0.061 (the classifier flips some upright lines).
    det_limit_side_len: int = 960
    det_limit_type: str = "max"
    rec_batch_num: int = 1
    intra_op_threads: int = -1  # -1: onnxruntime decides (all cores)
    use_layout: bool = True
    use_angle_cls: bool = False
    use_cuda: bool = False  # needs onnxruntime-gpu in place of onnxruntime
    backend: str = "onnxruntime"  # or "openvino": the same ONNX models on Intel's CPU runtime
    # OpenVINO computes in bf16 on CPUs with AVX512-BF16/AMX (line CER 0.0506 vs 0.0504 on 11 real pages);
    # f32 keeps the detector's and recogniser's numbers those of onnxruntime
    openvino_f32: bool = True
    # "int8": the recogniser's convolutions in int8 (resources/engines/int8.py, made once per machine and
    # cached); "fp32": the bundled model as it is. onnxruntime on a CPU only.
    rec_precision: str = "fp32"


CPU_BACKENDS = ("onnxruntime", "openvino")
REC_PRECISIONS = ("fp32", "int8")


def rec_model_params(s: RapidSettings, int8_model: Callable[[], Path]) -> dict:
    """RapidOCR 3.10 params naming the recogniser's model file: none for the bundled f32 model, the
    cached int8 copy (made by `int8_model` when missing) for "int8"."""
    if s.rec_precision not in REC_PRECISIONS:
        raise EngineUnavailable(f"unknown recogniser precision {s.rec_precision!r}; choose one of {', '.join(REC_PRECISIONS)}")
    if s.rec_precision == "fp32":
        return {}
    if s.backend != "onnxruntime" or s.use_cuda:
        raise EngineUnavailable("the int8 recogniser is measured on onnxruntime on a CPU only; "
                                "set EXAMPAPER_REC_PRECISION=fp32 for this backend or device")
    return {"Rec.model_path": str(int8_model())}


def ocr_backend_params(s: RapidSettings) -> dict:
    """RapidOCR 3.10 params that pick the inference runtime of the detector and recogniser (and the
    angle classifier when it is on) and give it `intra_op_threads` threads."""
    if s.backend not in CPU_BACKENDS:
        raise EngineUnavailable(f"unknown CPU backend {s.backend!r}; choose one of {', '.join(CPU_BACKENDS)}")
    if s.backend == "openvino" and s.use_cuda:
        raise EngineUnavailable("the openvino backend runs on the CPU only; use backend onnxruntime with a GPU")
    from rapidocr import EngineType

    engine_type = EngineType.OPENVINO if s.backend == "openvino" else EngineType.ONNXRUNTIME
    params = {f"{stage}.engine_type": engine_type for stage in ("Det", "Rec", "Cls")}
    if s.backend == "openvino":
        params["EngineConfig.openvino.inference_num_threads"] = s.intra_op_threads
    else:
        params["EngineConfig.onnxruntime.intra_op_num_threads"] = s.intra_op_threads
        params["EngineConfig.onnxruntime.use_cuda"] = s.use_cuda
    return params


def layout_engine_cfg(s: RapidSettings) -> dict:
    """rapid-layout's engine_type/engine_cfg for the same backend and thread count."""
    from rapid_layout import EngineType

    if s.backend == "openvino":
        return {"engine_type": EngineType.OPENVINO,
                "engine_cfg": {"inference_num_threads": s.intra_op_threads, "performance_hint": "LATENCY"}}
    return {"engine_type": EngineType.ONNXRUNTIME, "engine_cfg": {"intra_op_num_threads": s.intra_op_threads, "use_cuda": s.use_cuda}}


def is_onnx_oom(exc: BaseException) -> bool:
    text = str(exc)
    return "Failed to allocate memory" in text or "bad_alloc" in text or "CUDA out of memory" in text


def _openvino_in_f32(ocr, threads: int) -> None:
    """Recompile RapidOCR's detector and recogniser in f32: its OpenVINO config passes no precision
    hint, and OpenVINO's CPU default is bf16 wherever the CPU has it."""
    from openvino import Core

    for stage in (ocr.text_det, ocr.text_rec):
        session = getattr(stage, "session", None)
        if session is None or not hasattr(session, "model"):
            continue
        config = {"INFERENCE_PRECISION_HINT": "f32"}
        if threads > 0:
            config["INFERENCE_NUM_THREADS"] = str(threads)
        session.session = Core().compile_model(session.model, "CPU", config).create_infer_request()


class RapidEngine:
    name = "rapidocr"

    def __init__(self, settings: RapidSettings | None = None) -> None:
        self.settings = settings or RapidSettings()
        self._ocr = None
        self._layout = None

    def load(self) -> None:
        try:
            from rapidocr import RapidOCR
        except ImportError as exc:
            raise EngineUnavailable(
                f"rapidocr is not importable ({exc}); install the project (`pip install -e .`), "
                "which pins rapidocr==3.10.* and onnxruntime"
            ) from exc
        s = self.settings
        threads = ocr_backend_params(s)
        if s.backend == "openvino":
            try:
                import openvino  # noqa: F401
            except ImportError as exc:
                raise EngineUnavailable(
                    f"the openvino backend needs the openvino package ({exc}); `pip install openvino` "
                    "or set EXAMPAPER_CPU_BACKEND=onnxruntime"
                ) from exc
        from resources.engines.int8 import QuantisationUnavailable, ensure_int8_recogniser

        try:
            rec_model = rec_model_params(s, ensure_int8_recogniser)
        except QuantisationUnavailable as exc:
            raise EngineUnavailable(f"the int8 recogniser cannot be made here ({exc}); "
                                    "set EXAMPAPER_REC_PRECISION=fp32 to read with the bundled model") from exc
        self.rec_model = rec_model.get("Rec.model_path", "bundled f32")
        self._ocr = RapidOCR(
            params={
                "Global.log_level": "warning",
                "Global.use_cls": s.use_angle_cls,
                "Det.limit_type": s.det_limit_type,
                "Det.limit_side_len": s.det_limit_side_len,
                "Rec.rec_batch_num": s.rec_batch_num,
                **threads,
                **rec_model,
            }
        )
        if s.use_layout:
            from rapid_layout import ModelType, RapidLayout, RapidLayoutInput

            self._layout = RapidLayout(
                cfg=RapidLayoutInput(model_type=ModelType.PP_LAYOUT_CDLA, **layout_engine_cfg(s))
            )
        # Warm up once: the first call allocates buffers and is ~2 s slower. Printed digits give
        # the detector something to find, so recognition warms up too.
        import cv2

        warm = np.full((128, 512, 3), 255, dtype=np.uint8)
        cv2.putText(warm, "1. 2024 A B C D", (20, 80), cv2.FONT_HERSHEY_SIMPLEX, 1.2, (0, 0, 0), 3)
        self.predict([warm])
        if s.backend == "openvino" and s.openvino_f32:
            _openvino_in_f32(self._ocr, s.intra_op_threads)
            self.predict([warm])

    def predict(self, frames: Sequence[np.ndarray]) -> list[PageStructure]:
        if self._ocr is None:
            raise RuntimeError("RapidEngine.predict() before load()")
        # RapidOCR has no multi-image batch; pages run one by one, lines within a page are batched.
        return [self._predict_one(frame) for frame in frames]

    def read_lines(self, frames: Sequence[np.ndarray]) -> list[PageStructure]:
        """Detector and recogniser only: no layout model (crops of a page have no layout to find)."""
        if self._ocr is None:
            raise RuntimeError("RapidEngine.read_lines() before load()")
        return [self._predict_one(frame, with_layout=False) for frame in frames]

    def _predict_one(self, rgb: np.ndarray, with_layout: bool = True) -> PageStructure:
        bgr = np.ascontiguousarray(rgb[:, :, ::-1])
        started = time.perf_counter()
        try:
            result = self._ocr(bgr)
            layout = self._layout(bgr) if self._layout is not None and with_layout else None
        except Exception as exc:
            if is_onnx_oom(exc):
                raise OutOfMemory(str(exc)) from exc
            raise
        lines = []
        if result.boxes is not None:
            for box, text, score in zip(result.boxes, result.txts, result.scores):
                xs, ys = box[:, 0], box[:, 1]
                lines.append(
                    TextLine(
                        text=str(text),
                        bbox=(float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max())),
                        confidence=float(score),
                        polygon=tuple((float(x), float(y)) for x, y in box),
                    )
                )
        blocks = []
        if layout is not None and layout.boxes is not None:
            for box, cls, score in zip(layout.boxes, layout.class_names, layout.scores):
                blocks.append(Block(CDLA_LABELS.get(cls, "other"), tuple(float(v) for v in box), float(score)))
        height, width = rgb.shape[:2]
        return PageStructure(width, height, lines, blocks, self.name, time.perf_counter() - started)

    def close(self) -> None:
        self._ocr = None
        self._layout = None
