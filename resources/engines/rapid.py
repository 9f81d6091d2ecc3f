"""The embedded default engine: RapidOCR 3.10 with its bundled PP-OCRv6 ONNX models, plus
rapid-layout's bundled CDLA layout model for figures/tables. Runs offline on a CPU."""

from __future__ import annotations

import time
from contextlib import contextmanager
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
    cpu_mem_arena: bool = True  # onnxruntime's CPU memory arena (RapidOCR's default is off)


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
        # RapidOCR turns onnxruntime's CPU memory arena off; on, every line crop's tensors reuse the
        # arena instead of malloc/free: 5-10 % less engine CPU, the same text, ~75 MB more per engine
        # (benchmarks/engine_settings.py --profile [--no-arena])
        params["EngineConfig.onnxruntime.enable_cpu_mem_arena"] = s.cpu_mem_arena
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


@contextmanager
def _engine_errors():
    """onnxruntime's allocation failures become OutOfMemory (the runtime halves the batch)."""
    try:
        yield
    except Exception as exc:
        if is_onnx_oom(exc):
            raise OutOfMemory(str(exc)) from exc
        raise


@dataclass
class DetectedPage:
    """One page between RapidOCR's detector and its recogniser."""

    rgb: np.ndarray
    original: np.ndarray  # the image as RapidOCR loaded it
    op_record: dict
    det_res: object
    cls_res: object
    crops: list  # the line crops as cut from the page
    rec_inputs: list  # what the recogniser reads (the crops, turned upright where the classifier said so)


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
        started = time.perf_counter()
        page = self.detect(rgb)
        blocks = self.layout(rgb) if with_layout else []
        return self.assemble(page, self.recognise(page.crops), blocks, started)

    # A page read in parts, so that several engines can share one page (resources.ocr_engine.EnginePool):
    # detect -> (layout, recognise of any slices of the crops, on any engine) -> assemble. With the
    # recogniser's batches taken in RapidOCR's own order (crops sorted by width, `rec_order`), the parts
    # give the same lines as one RapidOCR call.

    def detect(self, rgb: np.ndarray) -> "DetectedPage":
        """The detector (and the angle classifier when on): the page's line crops, not yet read."""
        if self._ocr is None:
            raise RuntimeError("RapidEngine.detect() before load()")
        from rapidocr.ch_ppocr_cls import TextClsOutput
        from rapidocr.ch_ppocr_det import TextDetOutput
        from rapidocr.main import RapidOCRError

        bgr = np.ascontiguousarray(rgb[:, :, ::-1])
        ocr = self._ocr
        with _engine_errors():
            original = ocr.load_img(bgr)
            img, op_record = ocr.preprocess_img(original)
            cls_res = TextClsOutput()
            try:
                crops, det_res = ocr.detect_and_crop(img, op_record)
                rec_inputs = crops
                if ocr.use_cls:
                    rec_inputs, cls_res = ocr.cls_and_rotate(crops)
            except RapidOCRError:  # nothing found on the page, as RapidOCR's own call treats it
                crops, rec_inputs, det_res = [], [], TextDetOutput()
        return DetectedPage(rgb, original, op_record, det_res, cls_res, crops, rec_inputs)

    def layout(self, rgb: np.ndarray) -> list[Block]:
        """rapid-layout's blocks for the page (none when the layout model is off)."""
        if self._layout is None:
            return []
        with _engine_errors():
            layout = self._layout(np.ascontiguousarray(rgb[:, :, ::-1]))
        if layout is None or layout.boxes is None:
            return []
        return [Block(CDLA_LABELS.get(cls, "other"), tuple(float(v) for v in box), float(score))
                for box, cls, score in zip(layout.boxes, layout.class_names, layout.scores)]

    def rec_order(self, page: "DetectedPage") -> list[list[int]]:
        """The crops' indices in the recogniser's batches: RapidOCR's order (by width over height)."""
        widths = np.array([crop.shape[1] / float(crop.shape[0]) for crop in page.rec_inputs])
        order = [int(i) for i in np.argsort(widths)]
        size = max(1, self.settings.rec_batch_num)
        return [order[i:i + size] for i in range(0, len(order), size)]

    def recognise(self, crops: Sequence[np.ndarray]) -> list[tuple[str, float]]:
        """The recogniser on line crops: (text, score) per crop, in order."""
        if not crops:
            return []
        with _engine_errors():
            result = self._ocr.recognize_txt(list(crops))
        return list(zip(result.txts, result.scores))

    def assemble(self, page: "DetectedPage", texts: Sequence[tuple[str, float]], blocks: list[Block],
                 started: float) -> PageStructure:
        """RapidOCR's own final step (boxes back to page pixels, empty and low-score lines dropped)."""
        from rapidocr.ch_ppocr_rec import TextRecOutput

        rec_res = TextRecOutput()
        if page.crops:
            rec_res = TextRecOutput(imgs=list(page.rec_inputs), txts=tuple(t for t, _ in texts),
                                    scores=tuple(s for _, s in texts), word_results=tuple(None for _ in texts))
        result = self._ocr.build_final_output(page.original, page.det_res, page.cls_res, rec_res,
                                              list(page.crops), page.op_record)
        lines = []
        if getattr(result, "boxes", None) is not None and getattr(result, "txts", None) is not None:
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
        height, width = page.rgb.shape[:2]
        return PageStructure(width, height, lines, blocks, self.name, time.perf_counter() - started)

    def close(self) -> None:
        self._ocr = None
        self._layout = None
