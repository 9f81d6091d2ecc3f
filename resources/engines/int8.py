"""An int8 copy of RapidOCR's bundled recogniser, made on this machine from the bundled model and cached.

The recogniser is three quarters of the engine's CPU time on an exam page, and three quarters of the
recogniser's time is convolutions (onnxruntime profile, benchmarks/engine_settings.py --profile). Static
QDQ quantisation of those convolutions (onnxruntime.quantization, per-channel int8 weights, uint8
activations) runs them on the CPU's int8 dot-product instructions (AVX512-VNNI / AVX-VNNI). The attention
and classifier MatMuls, the stem and the neck stay in f32 (11 real pages, line edits of 5593: f32 282, every
op int8 288, every conv 285, this recipe 284-285). Dynamic quantisation is 3.5x slower than f32 here
(ConvInteger has no fast kernel) and a static int8 detector lost lines (line CER 0.0558), so neither is offered.
Not the default: line CER 0.0510 against 0.0504 (resources/hardware.py, `EXAMPAPER_REC_PRECISION=int8`).

Calibration reads the project's own sample paper (samples/sample_paper.pdf, drawn by
ocr_assets/sample_paper.py, rendered at several resolutions) through the f32 engine and records what the
recogniser is fed: no evaluation page, no network. The result is cached under `EXAMPAPER_MODEL_CACHE`
(default `~/.cache/exampaper/models`) by the source model's hash and the recipe, so it is made once per
machine, on first use (`python -m resources.engines.int8` makes it ahead), and never committed.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from ocr_assets.convert import file_sha256

log = logging.getLogger(__name__)

# Bump when anything below changes what the file holds: the cache key includes it.
RECIPE = "rec-conv-qdq-v1"
CACHE_VAR = "EXAMPAPER_MODEL_CACHE"
# The stem and the neck/head convolutions stay f32 (quantising them cost line CER on the real pages).
F32_CONVS = ("Conv.0", "Conv.1", "Conv.52", "Conv.53", "Conv.54", "Conv.55", "Conv.56")
CALIBRATION_DPIS = (150, 200, 300)
SAMPLE_PDF = Path(__file__).resolve().parents[2] / "samples" / "sample_paper.pdf"
ONNX_OPSET = 13  # per-channel DequantizeLinear needs opset 13; the bundled model is opset 11


class QuantisationUnavailable(RuntimeError):
    """The int8 model cannot be made here (no `onnx` package, no calibration paper)."""


def bundled_rec_model() -> Path:
    import rapidocr

    return Path(rapidocr.__file__).resolve().parent / "models" / "PP-OCRv6_rec_small.onnx"


def cache_dir(env: dict | os._Environ | None = None) -> Path:
    env = os.environ if env is None else env
    raw = (env.get(CACHE_VAR) or "").strip()
    return Path(raw).expanduser() if raw else Path.home() / ".cache" / "exampaper" / "models"


def int8_model_path(source: Path, directory: Path) -> Path:
    """Where the int8 copy of `source` made by RECIPE lives: a new model or recipe gets a new file."""
    return directory / f"{source.stem}.{RECIPE}.{file_sha256(source)[:16]}.onnx"


def calibration_pages(pdf: Path = SAMPLE_PDF, dpis: tuple[int, ...] = CALIBRATION_DPIS) -> list[np.ndarray]:
    """The project's own sample paper (samples/sample_paper.pdf), rendered at each resolution (RGB arrays)."""
    import pypdfium2 as pdfium

    if not pdf.exists():
        raise QuantisationUnavailable(f"the calibration paper {pdf} is missing")
    pages = []
    document = pdfium.PdfDocument(str(pdf))
    try:
        for dpi in dpis:
            for page in document:
                pages.append(np.asarray(page.render(scale=dpi / 72).to_pil().convert("RGB")))
    finally:
        document.close()
    return pages


def recogniser_inputs(pages: list[np.ndarray]) -> list[np.ndarray]:
    """What the f32 engine's recogniser is fed on `pages` (one normalised line crop per call, batch 1)."""
    from resources.engines.rapid import RapidEngine, RapidSettings

    engine = RapidEngine(RapidSettings(intra_op_threads=1, use_layout=False))
    engine.load()  # its warm-up loads the recogniser; what it reads is not recorded
    recorded: list[np.ndarray] = []

    class Recorder:
        def __init__(self, session) -> None:
            self.session = session

        def __call__(self, batch):
            recorded.append(np.array(batch, copy=True))
            return self.session(batch)

        def __getattr__(self, name):
            return getattr(self.session, name)

    engine._ocr.text_rec.session = Recorder(engine._ocr.text_rec.session)
    engine.read_lines(pages)
    engine.close()
    return recorded


def quantise_recogniser(source: Path, target: Path, inputs: list[np.ndarray]) -> None:
    try:
        import onnx
        from onnx import version_converter
    except ImportError as exc:
        raise QuantisationUnavailable(f"the onnx package is needed to quantise ({exc}); `pip install onnx`") from exc
    from onnxruntime.quantization import (CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType,
                                          quantize_static)
    from onnxruntime.quantization.shape_inference import quant_pre_process

    if not inputs:
        raise QuantisationUnavailable("the calibration pages gave the recogniser nothing to read")
    model = onnx.load(str(source))
    input_name = model.graph.input[0].name
    if model.opset_import[0].version < ONNX_OPSET:
        model = version_converter.convert_version(model, ONNX_OPSET)

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self._batches = iter(inputs)

        def get_next(self):
            batch = next(self._batches, None)
            return None if batch is None else {input_name: batch}

    with tempfile.TemporaryDirectory(prefix="exampaper-int8-") as tmp:
        upgraded, prepared = Path(tmp) / "opset13.onnx", Path(tmp) / "prepared.onnx"
        onnx.save(model, str(upgraded))
        quant_pre_process(str(upgraded), str(prepared), skip_symbolic_shape=True)
        quantize_static(str(prepared), str(Path(tmp) / "int8.onnx"), Reader(), quant_format=QuantFormat.QDQ,
                        per_channel=True, activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                        calibrate_method=CalibrationMethod.MinMax, op_types_to_quantize=["Conv"],
                        nodes_to_exclude=list(F32_CONVS))
        target.parent.mkdir(parents=True, exist_ok=True)
        # written beside the target and renamed: a reader in another process never sees half a file
        handle, partial = tempfile.mkstemp(dir=target.parent, suffix=".partial")
        os.close(handle)
        shutil.copyfile(Path(tmp) / "int8.onnx", partial)
        os.replace(partial, target)


def ensure_int8_recogniser(directory: Path | None = None, source: Path | None = None) -> Path:
    """The cached int8 recogniser, made first if this machine has none for the bundled model."""
    source = source or bundled_rec_model()
    target = int8_model_path(source, directory or cache_dir())
    if target.exists():
        return target
    log.warning("making the int8 recogniser %s from %s (once per machine)", target, source.name)
    quantise_recogniser(source, target, recogniser_inputs(calibration_pages()))
    return target


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    print(ensure_int8_recogniser())
