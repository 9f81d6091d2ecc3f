"""The engine boundary: plain data in, plain data out, one small protocol.

Dagster code and question extraction only ever see these types; they never import
rapidocr or paddle. Coordinates are pixels of the page frame the engine was given.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Protocol, Sequence, runtime_checkable

import numpy as np

BBox = tuple[float, float, float, float]  # x0, y0, x1, y1


def box_area(box: BBox) -> float:
    return max(0.0, box[2] - box[0]) * max(0.0, box[3] - box[1])


def box_intersection(a: BBox, b: BBox) -> float:
    """Area the two boxes share."""
    return box_area((max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])))


def box_iou(a: BBox, b: BBox) -> float:
    inter = box_intersection(a, b)
    union = box_area(a) + box_area(b) - inter
    return inter / union if union > 0 else 0.0


def boxes_overlap(a: BBox, b: BBox) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]

BLOCK_LABELS = ("text", "title", "figure", "table", "formula", "header", "footer", "caption", "other")


@dataclass(frozen=True)
class TextLine:
    text: str
    bbox: BBox
    confidence: float
    polygon: tuple[tuple[float, float], ...] = ()

    @property
    def x0(self) -> float:
        return self.bbox[0]

    @property
    def y0(self) -> float:
        return self.bbox[1]

    @property
    def x1(self) -> float:
        return self.bbox[2]

    @property
    def y1(self) -> float:
        return self.bbox[3]

    @property
    def height(self) -> float:
        return self.bbox[3] - self.bbox[1]


def median_height(lines: Sequence[TextLine]) -> float:
    """The page's typical text-line height (what sizes blanks, boxes and formula marks)."""
    heights = sorted(max(line.height, 1.0) for line in lines)
    middle = len(heights) // 2
    return heights[middle] if len(heights) % 2 else (heights[middle - 1] + heights[middle]) / 2


@dataclass(frozen=True)
class Block:
    label: str  # one of BLOCK_LABELS
    bbox: BBox
    score: float


@dataclass
class PageStructure:
    """What one engine call gives for one page, normalised for both engines."""

    width: int
    height: int
    lines: list[TextLine] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    engine: str = ""
    elapsed_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "PageStructure":
        return cls(
            width=int(data["width"]),
            height=int(data["height"]),
            lines=[
                TextLine(
                    text=line["text"],
                    bbox=tuple(line["bbox"]),
                    confidence=float(line["confidence"]),
                    polygon=tuple(tuple(p) for p in line.get("polygon", ())),
                )
                for line in data.get("lines", [])
            ],
            blocks=[Block(b["label"], tuple(b["bbox"]), float(b["score"])) for b in data.get("blocks", [])],
            engine=data.get("engine", ""),
            elapsed_s=float(data.get("elapsed_s", 0.0)),
        )


class EngineUnavailable(RuntimeError):
    """The engine cannot be loaded here; the message says what to install or where models go."""


class OutOfMemory(RuntimeError):
    """The engine ran out of (GPU) memory on a batch; the runtime halves the batch and retries."""


@runtime_checkable
class OcrEngine(Protocol):
    name: str

    def load(self) -> None:
        """Load models (once per process) and warm up."""

    def predict(self, frames: Sequence[np.ndarray]) -> list[PageStructure]:
        """OCR a batch of RGB page frames; one structure per frame, in order."""

    def close(self) -> None:
        """Release models and memory."""
