"""Figures cut from the frame files after the analysis: the oracle the tests compare the product's crops
with (the product cuts them during the page analysis, `passes.figures.find`), and a way for a test to
give hand-made questions their figure files."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from ocr_assets.frames import Frame, FrameImage
from ocr_assets.passes.figures import crop_box
from ocr_assets.pipeline import save_figures


def crop_figures(questions: list[dict], frame_by_index: dict[int, Frame], figures_dir: Path) -> None:
    """Each attached figure cut from its page's frame file (each page decoded once) and saved."""
    images: dict[int, FrameImage] = {}
    crops: dict[int, dict[tuple, Image.Image]] = {}
    try:
        for q in questions:
            for figure in q["figures"]:
                frame = frame_by_index.get(figure["page"])
                if frame is None or frame.path is None:
                    continue
                image = images.setdefault(frame.index, FrameImage(frame)).image()
                crops.setdefault(frame.index, {})[tuple(figure["bbox"])] = image.crop(crop_box(figure["bbox"], frame.scale))
    finally:
        for image in images.values():
            image.release()
    save_figures(questions, crops, figures_dir)
