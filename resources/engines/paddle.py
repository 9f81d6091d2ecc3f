"""The production GPU engine: PaddleOCR 3.x PP-StructureV3 (or the plain PaddleOCR text pipeline
when only det/rec model folders are at hand). Installed with the project's `paddle` extra.

3.x names, read from paddleocr 3.7's signatures: `text_recognition_batch_size`,
`textline_orientation_batch_size`, `text_det_limit_side_len`; page and layout batch only through
`paddlex_config` (`batch_size`, `SubModules.LayoutDetection.batch_size`,
`SubPipelines.GeneralOCR.batch_size`). There is no `det_batch_size` in 3.x.
"""

from __future__ import annotations

import copy
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from resources.engines.base import Block, EngineUnavailable, OutOfMemory, PageStructure, TextLine

INSTALL_HINT = (
    "install the paddle extra: `pip install -e '.[paddle]'` plus paddlepaddle-gpu 3.x from Paddle's index, e.g. "
    "`pip install paddlepaddle-gpu==3.3.1 -i https://www.paddlepaddle.org.cn/packages/stable/cu126/` "
    "(CPU: `pip install paddlepaddle==3.3.1`)"
)
MODELS_HINT = (
    "PaddleX looks for models under $PADDLE_PDX_CACHE_HOME/official_models (default ~/.paddlex/official_models) "
    "and downloads missing ones from $PADDLE_PDX_MODEL_SOURCE; offline, copy the model folders there, or point "
    "EXAMPAPER_PADDLE_MODEL_DIR at a folder holding one sub-folder per model name (e.g. PP-DocLayout_plus-L, "
    "PP-OCRv5_mobile_det, PP-OCRv5_mobile_rec)"
)

# PP-StructureV3 layout labels -> our block labels
LAYOUT_LABELS = {
    "text": "text", "paragraph_title": "title", "doc_title": "title", "abstract": "text", "content": "text",
    "image": "figure", "figure": "figure", "chart": "figure", "table": "table", "formula": "formula",
    "display_formula": "formula", "inline_formula": "formula", "header": "header", "footer": "footer",
    "number": "footer", "figure_title": "caption", "table_title": "caption", "chart_title": "caption",
    "footnote": "footer", "aside_text": "other", "seal": "other", "algorithm": "text", "reference": "text",
}

MODEL_NAMES = {
    "mobile": ("PP-OCRv5_mobile_det", "PP-OCRv5_mobile_rec"),
    "server": ("PP-OCRv5_server_det", "PP-OCRv5_server_rec"),
}


@dataclass(frozen=True)
class PaddleSettings:
    pipeline: str = "PP-StructureV3"  # or "OCR": text lines only, no layout model needed
    device: str = "gpu:0"
    model_size: str = "mobile"  # mobile | server
    text_det_limit_side_len: int = 1200
    text_recognition_batch_size: int = 32
    textline_orientation_batch_size: int = 32
    page_batch_size: int = 4  # pages per predict() call through paddlex_config
    layout_batch_size: int = 4
    model_dir: str | None = None  # a folder with one sub-folder per model name
    enable_mkldnn: bool = False  # CPU + mkldnn crashes in paddle 3.3 (Paddle #79749)


def is_paddle_oom(exc: BaseException) -> bool:
    text = f"{type(exc).__name__}: {exc}"
    return any(s in text for s in ("ResourceExhausted", "Out of memory", "out of memory", "cudaErrorMemoryAllocation"))


def _set_nested(config: dict, dotted: str, value: Any) -> None:
    keys = dotted.split(".")
    node = config
    for key in keys[:-1]:
        node = node.setdefault(key, {})
    node[keys[-1]] = value


class PaddleEngine:
    name = "ppstructurev3"

    def __init__(self, settings: PaddleSettings | None = None) -> None:
        self.settings = settings or PaddleSettings()
        self._pipeline = None
        self._paddle = None

    def constructor_kwargs(self) -> dict[str, Any]:
        """The 3.x constructor arguments; public so a test can check them against the installed signature."""
        s = self.settings
        det_name, rec_name = MODEL_NAMES[s.model_size]
        model_dir = Path(s.model_dir or os.environ.get("EXAMPAPER_PADDLE_MODEL_DIR", "")) if (
            s.model_dir or os.environ.get("EXAMPAPER_PADDLE_MODEL_DIR")) else None
        kwargs: dict[str, Any] = {
            "device": s.device,
            "enable_mkldnn": s.enable_mkldnn,
            "use_doc_orientation_classify": False,
            "use_doc_unwarping": False,
            "use_textline_orientation": False,
            "text_detection_model_name": det_name,
            "text_recognition_model_name": rec_name,
            "text_det_limit_side_len": s.text_det_limit_side_len,
            "text_det_limit_type": "max",
            "text_recognition_batch_size": s.text_recognition_batch_size,
            "textline_orientation_batch_size": s.textline_orientation_batch_size,
        }
        if model_dir is not None:
            kwargs["text_detection_model_dir"] = str(model_dir / det_name)
            kwargs["text_recognition_model_dir"] = str(model_dir / rec_name)
        if s.pipeline == "PP-StructureV3":
            kwargs.update(
                use_seal_recognition=False,
                use_table_recognition=False,
                use_formula_recognition=False,
                use_chart_recognition=False,
                use_region_detection=False,
            )
            if model_dir is not None:
                kwargs["layout_detection_model_dir"] = str(model_dir / "PP-DocLayout_plus-L")
        return kwargs

    def _paddlex_config(self) -> dict:
        from paddlex.inference import load_pipeline_config

        # A dict replaces the whole pipeline config, so start from the default one and set batches.
        config = copy.deepcopy(dict(load_pipeline_config(self.settings.pipeline)))
        _set_nested(config, "batch_size", self.settings.page_batch_size)
        if self.settings.pipeline == "PP-StructureV3":
            _set_nested(config, "SubModules.LayoutDetection.batch_size", self.settings.layout_batch_size)
            _set_nested(config, "SubPipelines.GeneralOCR.batch_size", self.settings.page_batch_size)
        return config

    def load(self) -> None:
        try:
            import paddle
            from paddleocr import PaddleOCR, PPStructureV3
        except ImportError as exc:
            raise EngineUnavailable(f"PaddleOCR 3.x is not importable ({exc}); {INSTALL_HINT}") from exc
        self._paddle = paddle
        if self.settings.device.startswith("gpu") and not paddle.device.is_compiled_with_cuda():
            raise EngineUnavailable(
                f"device={self.settings.device!r} but the installed paddlepaddle has no CUDA; {INSTALL_HINT}, "
                "or set EXAMPAPER_PADDLE_DEVICE=cpu"
            )
        cls = PPStructureV3 if self.settings.pipeline == "PP-StructureV3" else PaddleOCR
        try:
            self._pipeline = cls(paddlex_config=self._paddlex_config(), **self.constructor_kwargs())
        except Exception as exc:  # paddlex raises plain Exceptions for missing models / sources
            text = str(exc)
            if "model" in text.lower() and ("source" in text.lower() or "hosting" in text.lower() or "not exist" in text.lower()):
                raise EngineUnavailable(f"PaddleOCR could not find its models ({text.strip()}); {MODELS_HINT}") from exc
            if type(exc).__name__ == "DependencyError":
                raise EngineUnavailable(f"{text.strip()}; install `paddleocr[doc-parser]` (the project's paddle extra)") from exc
            raise
        self.predict([np.full((256, 256, 3), 255, dtype=np.uint8)])

    def predict(self, frames: Sequence[np.ndarray]) -> list[PageStructure]:
        if self._pipeline is None:
            raise RuntimeError("PaddleEngine.predict() before load()")
        started = time.perf_counter()
        try:
            # PaddleX reads ndarrays as BGR.
            results = self._pipeline.predict([np.ascontiguousarray(f[:, :, ::-1]) for f in frames])
        except Exception as exc:
            if is_paddle_oom(exc):
                raise OutOfMemory(str(exc)) from exc
            raise
        per_page = (time.perf_counter() - started) / max(1, len(frames))
        return [normalise_paddle_result(r.json["res"], f, self.name, per_page) for r, f in zip(results, frames)]

    def free_cache(self) -> None:
        if self._paddle is not None and self._paddle.device.is_compiled_with_cuda():
            self._paddle.device.cuda.empty_cache()

    def close(self) -> None:
        if self._pipeline is not None:
            self._pipeline.close()
        self._pipeline = None
        self.free_cache()


def normalise_paddle_result(res: dict, frame: np.ndarray, engine: str, elapsed_s: float) -> PageStructure:
    """PP-StructureV3 (`overall_ocr_res` + `layout_det_res`) or PaddleOCR (`rec_*` at top) -> PageStructure."""
    ocr = res.get("overall_ocr_res", res)
    lines = []
    for text, score, poly in zip(ocr.get("rec_texts", []), ocr.get("rec_scores", []), ocr.get("rec_polys", [])):
        pts = np.asarray(poly, dtype=float).reshape(-1, 2)
        lines.append(
            TextLine(
                text=str(text),
                bbox=(float(pts[:, 0].min()), float(pts[:, 1].min()), float(pts[:, 0].max()), float(pts[:, 1].max())),
                confidence=float(score),
                polygon=tuple((float(x), float(y)) for x, y in pts),
            )
        )
    blocks = [
        Block(LAYOUT_LABELS.get(box["label"], "other"), tuple(float(v) for v in box["coordinate"]), float(box["score"]))
        for box in res.get("layout_det_res", {}).get("boxes", [])
    ]
    height, width = frame.shape[:2]
    return PageStructure(width, height, lines, blocks, engine, elapsed_s)
