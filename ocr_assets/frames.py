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

import numpy as np
from PIL import Image

from ocr_assets.pages import PageRef, load_page

MAX_FRAME_SIDE = 3508  # A4 at 300 dpi; larger scans are downscaled, A3 spreads at 200 dpi fit
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
    """The frame's pixels as an RGB uint8 array."""
    with Image.open(frame.path) as image:
        return np.asarray(image.convert("RGB"))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
