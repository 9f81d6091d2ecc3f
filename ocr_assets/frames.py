"""Stage 2 — pages become normalised frames on disk, once, with a manifest.

Frames are RGB PNGs capped in size; later stages read them from disk (the IO manager only
carries the manifest, never pixel arrays).
"""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from ocr_assets.pages import PageRef, load_page

MAX_FRAME_SIDE = 3508  # A4 at 300 dpi; larger scans are downscaled, A3 spreads at 200 dpi fit
# A colour watermark (the big pale-green "www.…com" of a download site) hides the text printed over
# it from the detector. Its pixels are pale and tinted, in strokes far thicker than text and in
# glyphs far larger; coloured print, a heading or a pen's handwriting is neither.
PALE_MIN = 110  # every channel at least this
TINT_MIN = 25  # max - min channel: coloured, not grey
EDGE_TINT_MIN = 6  # the soft edge of a watermark glyph is barely tinted; grey print is not at all
WATERMARK_STROKE_PX = 12  # thinner pale strokes are print or handwriting
WATERMARK_GLYPH_SHARE = 0.03  # of the page's long side
MANIFEST_NAME = "manifest.json"


@dataclass(frozen=True)
class Frame:
    index: int
    source: str
    path: str | None  # None when the page could not be decoded
    width: int
    height: int
    dpi: int | None
    scale: float  # frame pixels per source pixel (1.0 unless downscaled)
    sha256: str | None
    status: str  # "ok" | "failed"
    error: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def capped_size(width: int, height: int, max_side: int = MAX_FRAME_SIDE) -> tuple[int, int, float]:
    scale = min(1.0, max_side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale)), scale


def write_frame(ref: PageRef, out_dir: Path, max_side: int = MAX_FRAME_SIDE) -> Frame:
    """Decode one page and write its frame; a page that cannot be decoded becomes a failed Frame."""
    try:
        image = load_page(ref)
        width, height, scale = capped_size(*image.size, max_side=max_side)
        if scale < 1.0:
            image = image.resize((width, height), Image.Resampling.LANCZOS)
        path = out_dir / f"page-{ref.index:04d}.png"
        image.save(path, format="PNG", compress_level=1)  # speed over size: frames are a cache
        return Frame(ref.index, ref.source, str(path), width, height, ref.dpi, scale, _sha256(path), "ok")
    except Exception as exc:  # one bad page must not lose the others
        return Frame(ref.index, ref.source, None, 0, 0, ref.dpi, 1.0, None, "failed", f"cannot decode page: {exc}")


def write_frames(refs: list[PageRef], out_dir: Path, workers: int = 2, max_side: int = MAX_FRAME_SIDE) -> list[Frame]:
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in out_dir.glob("page-*.png"):
        stale.unlink()
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        frames = list(pool.map(lambda ref: write_frame(ref, out_dir, max_side), refs))
    (out_dir / MANIFEST_NAME).write_text(json.dumps([f.to_dict() for f in frames], indent=1, ensure_ascii=False))
    return frames


def read_manifest(out_dir: Path) -> list[Frame]:
    return [Frame(**item) for item in json.loads((out_dir / MANIFEST_NAME).read_text())]


def load_frame(frame: Frame) -> np.ndarray:
    """The frame's pixels as the engine reads them: RGB uint8, a colour watermark turned to paper.
    (Figures are cropped from the frame file itself, untouched.)"""
    pixels = FrameImage(frame)
    try:
        return pixels.engine_rgb()
    finally:
        pixels.release()


class FrameImage:
    """One frame file decoded at most once, when first asked, for everything that reads its pixels:
    the grey page the rules measure ink on, the engine's RGB page and figure crops. `release()`
    lets the pixels go (a long paper is never held in memory whole)."""

    def __init__(self, frame: Frame | None):
        self.path = frame.path if frame is not None else None
        self._image: Image.Image | None = None
        self._gray: np.ndarray | None = None

    @property
    def decodable(self) -> bool:
        return self.path is not None

    def image(self) -> Image.Image:
        """The frame file as stored, decoded."""
        if self._image is None:
            image = Image.open(self.path)
            image.load()
            self._image = image
        return self._image

    def gray(self) -> np.ndarray:
        if self._gray is None:
            self._gray = np.asarray(self.image().convert("L"))
        return self._gray

    def engine_rgb(self) -> np.ndarray:
        """As `load_frame` gives it: RGB, a colour watermark turned to paper."""
        return without_colour_watermark(np.asarray(self.image().convert("RGB")))

    def release(self) -> None:
        if self._image is not None:
            self._image.close()
        self._image = self._gray = None


def without_colour_watermark(rgb: np.ndarray) -> np.ndarray:
    """`rgb` with the pixels of large, thick-stroked, pale coloured shapes set to white.

    The shapes are found on a 4× smaller mask (a page costs tens of milliseconds, not a second)."""
    r, g, b = cv2.split(rgb)
    low, high = cv2.min(cv2.min(r, g), b), cv2.max(cv2.max(r, g), b)
    light, tint = cv2.compare(low, PALE_MIN, cv2.CMP_GE), cv2.subtract(high, low)
    pale = cv2.bitwise_and(light, cv2.compare(tint, TINT_MIN, cv2.CMP_GE))
    if cv2.countNonZero(pale) == 0:
        return rgb
    shrink = 4
    small = cv2.resize(pale, (max(1, rgb.shape[1] // shrink), max(1, rgb.shape[0] // shrink)), interpolation=cv2.INTER_AREA)
    stroke = max(1, round(WATERMARK_STROKE_PX / shrink))
    thick = cv2.morphologyEx((small >= 128).astype(np.uint8), cv2.MORPH_OPEN, np.ones((stroke, stroke), np.uint8))
    # a line of print across a glyph cuts its mask; pieces a text line apart are one glyph
    grouped = cv2.dilate(thick, np.ones((7, 7), np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(grouped, connectivity=8)
    large = np.zeros(count, dtype=np.uint8)
    large[1:] = np.minimum(stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT]) * shrink >= WATERMARK_GLYPH_SHARE * max(rgb.shape[:2])
    if not large.any():
        return rgb
    near = cv2.dilate(large[labels], np.ones((3, 3), np.uint8))  # and the glyphs' soft edges
    near = cv2.resize(near, (rgb.shape[1], rgb.shape[0]), interpolation=cv2.INTER_NEAREST)
    tinted = cv2.bitwise_and(light, cv2.compare(tint, EDGE_TINT_MIN, cv2.CMP_GE))
    watermark = cv2.bitwise_and(tinted, near * 255).astype(bool)
    cleaned = rgb.copy()
    cleaned[watermark] = 255
    return cleaned


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
