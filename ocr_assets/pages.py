"""Stage 1 — a paper becomes a list of pages.

A paper is a PDF, one image, or a folder of images (natural filename order: p2 before p10).
"""

from __future__ import annotations

import hashlib
import re
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

from natsort import natsorted
from PIL import Image, ImageOps

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp"}
PDF_SUFFIX = ".pdf"
DEFAULT_PDF_DPI = 150
_PDFIUM_LOCK = threading.Lock()  # PDFium is not thread-safe


class BadPaper(ValueError):
    """The path is not a paper we can read; the message says which file and what to do."""


@dataclass(frozen=True)
class PageRef:
    index: int  # 1-based
    source: str  # file name (image) or "<pdf name>#<page>"
    file: str  # absolute path of the file holding the page
    pdf_page: int | None = None  # 0-based page inside the PDF
    dpi: int | None = None  # render dpi for PDF pages; images keep their own pixels

    def to_dict(self) -> dict:
        return asdict(self)


def is_paper(path: Path) -> bool:
    if path.name.startswith("."):
        return False
    if path.is_dir():
        return any(_is_image(p) for p in path.iterdir())
    return path.suffix.lower() == PDF_SUFFIX or _is_image(path)


def _is_image(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES and not path.name.startswith(".")


def paper_files(path: Path) -> list[Path]:
    """The files that make up a paper, in page order."""
    if path.is_dir():
        return natsorted((p for p in path.iterdir() if _is_image(p)), key=lambda p: p.name)
    return [path]


def paper_key(path: Path) -> str:
    """A stable partition key from the paper's name: safe characters, unique per name.

    A name of letters, digits, `_` and `-` is its own key; any other name (spaces, Chinese
    titles) becomes an ASCII slug plus a short hash of the full name, so different names never
    collide. Two drops with the same stem but different suffixes are told apart by DropFolder.
    """
    name = path.stem if path.suffix.lower() in IMAGE_SUFFIXES | {PDF_SUFFIX} else path.name
    if re.fullmatch(r"[A-Za-z0-9_-]{1,64}", name):
        return name
    slug = re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-").lower()[:48]
    digest = hashlib.sha1(name.encode("utf-8")).hexdigest()[:8]
    return f"{slug}-{digest}" if slug else f"paper-{digest}"


def enumerate_pages(path: Path, pdf_dpi: int = DEFAULT_PDF_DPI) -> list[PageRef]:
    path = Path(path)
    if not path.exists():
        raise BadPaper(f"{path}: no such file or folder")
    if path.is_dir():
        files = paper_files(path)
        if not files:
            raise BadPaper(f"{path}: folder holds no page images ({', '.join(sorted(IMAGE_SUFFIXES))})")
        return [PageRef(i, f.name, str(f.resolve())) for i, f in enumerate(files, start=1)]
    suffix = path.suffix.lower()
    if suffix == PDF_SUFFIX:
        return [
            PageRef(i + 1, f"{path.name}#{i + 1}", str(path.resolve()), pdf_page=i, dpi=pdf_dpi)
            for i in range(_pdf_page_count(path))
        ]
    if suffix in IMAGE_SUFFIXES:
        return [PageRef(1, path.name, str(path.resolve()))]
    raise BadPaper(f"{path}: not a PDF, an image or a folder of images (suffix {suffix or 'none'})")


def _pdf_page_count(path: Path) -> int:
    import pypdfium2 as pdfium

    try:
        with _PDFIUM_LOCK:
            pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        raise BadPaper(f"{path}: cannot open as PDF ({exc}); is the file complete and not password-protected?") from exc
    try:
        if len(pdf) == 0:
            raise BadPaper(f"{path}: PDF has no pages")
        return len(pdf)
    finally:
        pdf.close()


def load_page(ref: PageRef) -> Image.Image:
    """The page as an RGB image: PDFs rendered at the ref's dpi, images with EXIF orientation applied."""
    if ref.pdf_page is not None:
        import pypdfium2 as pdfium

        with _PDFIUM_LOCK:
            pdf = pdfium.PdfDocument(ref.file)
            try:
                page = pdf[ref.pdf_page]
                image = page.render(scale=(ref.dpi or DEFAULT_PDF_DPI) / 72).to_pil()
                page.close()
            finally:
                pdf.close()
        return image.convert("RGB")
    with Image.open(ref.file) as image:
        image.load()
        return ImageOps.exif_transpose(image).convert("RGB")
