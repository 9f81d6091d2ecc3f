"""Stage 1 — a paper becomes a list of pages.

A paper is a PDF, a Word file (converted to PDF with LibreOffice), one image, or a folder of images
(natural filename order: p2 before p10). A file that cannot be read raises BadPaper with a reason
code and a message that says which file, what is wrong and what to do.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
import unicodedata
from dataclasses import asdict, dataclass
from pathlib import Path

from natsort import natsorted
from PIL import Image, ImageOps, UnidentifiedImageError

from ocr_assets import convert

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp"}
PDF_SUFFIX = ".pdf"
WORD_SUFFIXES = convert.WORD_SUFFIXES
PAPER_SUFFIXES = IMAGE_SUFFIXES | WORD_SUFFIXES | {PDF_SUFFIX}
SUPPORTED = "PDF, Word (.docx, .doc, .odt, .rtf), an image (.png, .jpg, .jpeg, .tif, .tiff, .bmp, .webp) or a folder of images"
DEFAULT_PDF_DPI = 150
_PDFIUM_LOCK = threading.Lock()  # PDFium is not thread-safe
# Never papers and never reported: Office lock files (~$x.docx), OS thumbnails, hidden files.
_NEVER_PAPERS = {"thumbs.db", "desktop.ini", "ehthumbs.db"}
_MAGIC = [  # what a file named .pdf really is, from its first bytes
    (b"PK\x03\x04", "a ZIP archive (a .docx, .xlsx or .zip renamed?)"),
    (b"\xd0\xcf\x11\xe0", "an old Office document (.doc or .xls renamed?)"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"{\\rtf", "an RTF document"),
    (b"%PDF-", "a PDF (rename it to .pdf)"),
]
_KEY_MAX_CHARS = 100  # the database's papers.key holds 128; keys are folder names too (255 bytes)
_KEY_MAX_BYTES = 200
_UNSAFE_IN_KEY = re.compile(r"[\x00-\x1f\x7f/\\\ud800-\udfff]|\.{3,}")  # control chars, path separators; "..." is refused by Dagster


class BadPaper(ValueError):
    """The path is not a paper we can read; the message says which file and what to do.

    `reason` is a short code (empty, not_pdf, truncated, encrypted, damaged, too_large, not_image,
    no_pages, unsupported_type, outside_drop_folder, not_word, needs_libreoffice, conversion_failed)."""

    def __init__(self, message: str, reason: str = "unreadable"):
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class PageRef:
    index: int  # 1-based
    source: str  # file name (image) or "<pdf name>#<page>"
    file: str  # absolute path of the file holding the page
    pdf_page: int | None = None  # 0-based page inside the PDF
    dpi: int | None = None  # render dpi for PDF pages; images keep their own pixels

    def to_dict(self) -> dict:
        return asdict(self)


def paper_kind(path: Path) -> str | None:
    """"pdf", "word", "image", "folder" (of images), "unsupported" (reported as refused), or None for
    entries that are never papers and are skipped in silence (hidden, Office lock files, thumbnails)."""
    if path.name.startswith((".", "~$")) or path.name.lower() in _NEVER_PAPERS:
        return None
    if path.is_dir():
        return "folder" if any(_is_image(p) for p in path.iterdir()) else "unsupported"
    if not path.is_file():
        return "unsupported"  # a FIFO or device named like a paper: opening it could block
    suffix = path.suffix.lower()
    if suffix == PDF_SUFFIX:
        return "pdf"
    if suffix in WORD_SUFFIXES:
        return "word"
    return "image" if suffix in IMAGE_SUFFIXES else "unsupported"


def is_paper(path: Path) -> bool:
    return paper_kind(path) not in (None, "unsupported")


def _is_image(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES and not path.name.startswith(".")


def paper_files(path: Path) -> list[Path]:
    """The files that make up a paper, in page order."""
    if path.is_dir():
        return natsorted((p for p in path.iterdir() if _is_image(p)), key=lambda p: p.name)
    return [path]


def unsupported_reason(path: Path) -> str:
    """Why an entry that paper_kind calls "unsupported" is refused, and what to drop instead."""
    if path.is_dir():
        return (
            f"{path.name}: folder holds no page images ({', '.join(sorted(IMAGE_SUFFIXES))}); "
            "drop each PDF or Word file directly in the drop folder, not in a sub-folder"
        )
    if path.is_symlink() and not path.exists():
        return f"{path.name}: a link to {os.readlink(path)}, which does not exist; copy the paper itself into the drop folder"
    if not path.is_file():
        return f"{path.name}: not a regular file; drop a {SUPPORTED}"
    return f"{path.name}: {path.suffix or 'a file without suffix'} is not a paper type this pipeline reads; drop a {SUPPORTED}"


def paper_key(path: Path, keep_suffix: bool = False) -> str:
    """A stable partition key from the paper's name, readable as the name itself.

    The key is the name without its paper suffix (`2023年 重庆 化学.pdf` → `2023年 重庆 化学`).
    A name that is not kept as it is — characters Dagster or a folder name cannot hold (control
    characters, `/`, `\\`, `...`) replaced, white space runs made one space, NFC, cut for length —
    gets a short hash of its full name, so two names never share a key.
    DropFolder tells apart two papers of the same stem (`x.pdf` beside `x.png`).
    """
    name = path.stem if path.suffix.lower() in PAPER_SUFFIXES and not keep_suffix else path.name
    cleaned = " ".join(_UNSAFE_IN_KEY.sub("_", unicodedata.normalize("NFC", name)).split()).strip(". ")
    cut = _cut(cleaned)
    if cut and cut == name:
        return cut
    digest = hashlib.sha1(path.name.encode("utf-8", "surrogateescape")).hexdigest()[:8]
    return f"{_cut(cleaned, reserve=9)}-{digest}" if cleaned else f"paper-{digest}"


def _cut(text: str, reserve: int = 0) -> str:
    text = text[: _KEY_MAX_CHARS - reserve]
    while len(text.encode("utf-8", "surrogateescape")) > _KEY_MAX_BYTES - reserve:
        text = text[:-1]
    return text.rstrip(". ")


def enumerate_pages(path: Path, pdf_dpi: int = DEFAULT_PDF_DPI, converted_dir: Path = convert.DEFAULT_CACHE) -> list[PageRef]:
    """The paper's pages, or BadPaper when the paper cannot be read (Word files are converted into `converted_dir`)."""
    path = Path(path)
    if not path.exists():
        raise BadPaper(f"{path}: no such file or folder", "missing")
    if path.is_dir():
        files = paper_files(path)
        if not files:
            raise BadPaper(f"{path}: folder holds no page images ({', '.join(sorted(IMAGE_SUFFIXES))})", "no_pages")
        return [PageRef(i, f.name, str(f.resolve())) for i, f in enumerate(files, start=1)]
    suffix = path.suffix.lower()
    if suffix == PDF_SUFFIX:
        return _pdf_pages(path, path, pdf_dpi)
    if suffix in WORD_SUFFIXES:
        return _pdf_pages(path, _converted(path, converted_dir), pdf_dpi)
    if suffix in IMAGE_SUFFIXES:
        _check_image(path)
        return [PageRef(1, path.name, str(path.resolve()))]
    raise BadPaper(unsupported_reason(path), "unsupported_type")


def _converted(path: Path, converted_dir: Path) -> Path:
    head, size = _head_and_size(path)
    if size == 0:
        raise BadPaper(f"{path}: file is empty (0 bytes); was the copy interrupted? Drop the paper again", "empty")
    # LibreOffice reads any bytes as plain text; a .docx or .odt is always a ZIP package
    if path.suffix.lower() in {".docx", ".odt"} and not head.startswith(b"PK\x03\x04"):
        looks = next((what for magic, what in _MAGIC if head.startswith(magic)), "not a Word document")
        raise BadPaper(f"{path}: named {path.suffix} but its content is {looks}; open it in Word and save it again", "not_word")
    try:
        return convert.word_to_pdf(path, converted_dir)
    except convert.ConverterMissing as exc:
        raise BadPaper(str(exc), "needs_libreoffice") from exc
    except convert.ConversionFailed as exc:
        raise BadPaper(str(exc), "conversion_failed") from exc


def _pdf_pages(path: Path, pdf: Path, pdf_dpi: int) -> list[PageRef]:
    sizes = _pdf_page_sizes(path, pdf)
    limit = _max_pixels()
    for number, (width_pt, height_pt) in enumerate(sizes, start=1):
        pixels = (width_pt / 72 * pdf_dpi) * (height_pt / 72 * pdf_dpi)
        if limit and pixels > limit:
            raise BadPaper(
                f"{path}: page {number} is {width_pt / 72 * 2.54:.0f} × {height_pt / 72 * 2.54:.0f} cm, "
                f"{pixels / 1e6:.0f} megapixels at {pdf_dpi} dpi, over the {limit / 1e6:.0f}-megapixel limit "
                "for one page; an exam paper is A4 or A3: export it at paper size", "too_large",
            )
    return [
        PageRef(i + 1, f"{path.name}#{i + 1}", str(pdf.resolve()), pdf_page=i, dpi=pdf_dpi) for i in range(len(sizes))
    ]


def _pdf_page_sizes(path: Path, pdf_file: Path) -> list[tuple[float, float]]:
    """Page sizes in points; `path` is the dropped file (named in messages), `pdf_file` what is opened."""
    import pypdfium2 as pdfium

    head, size = _head_and_size(pdf_file)
    if size == 0:
        raise BadPaper(f"{path}: file is empty (0 bytes); was the copy interrupted? Drop the paper again", "empty")
    if b"%PDF-" not in head:
        looks = next((what for magic, what in _MAGIC if head.startswith(magic)), "not a PDF")
        raise BadPaper(f"{path}: named .pdf but its content is {looks}; export or save the paper as PDF", "not_pdf")
    try:
        with _PDFIUM_LOCK:
            pdf = pdfium.PdfDocument(str(pdf_file))
    except pdfium.PdfiumError as exc:
        if exc.err_code in (4, 5):  # FPDF_ERR_PASSWORD, FPDF_ERR_SECURITY
            raise BadPaper(f"{path}: PDF is password-protected; save a copy without a password (print to PDF) and drop that", "encrypted") from exc
        if not _has_eof_marker(pdf_file):
            raise BadPaper(f"{path}: PDF is truncated ({size} bytes, no end-of-file marker); the copy was interrupted: drop the paper again", "truncated") from exc
        raise BadPaper(f"{path}: PDF is damaged and cannot be opened ({exc}); export it again from the original", "damaged") from exc
    try:
        with _PDFIUM_LOCK:
            sizes = [pdf.get_page_size(i) for i in range(len(pdf))]
    finally:
        pdf.close()
    if not sizes:
        raise BadPaper(f"{path}: PDF has no pages", "no_pages")
    return sizes


def _head_and_size(path: Path) -> tuple[bytes, int]:
    with path.open("rb") as handle:
        return handle.read(1024), path.stat().st_size


def _has_eof_marker(path: Path) -> bool:
    with path.open("rb") as handle:
        handle.seek(max(0, path.stat().st_size - 4096))
        return b"%%EOF" in handle.read()


def _max_pixels() -> int | None:
    return Image.MAX_IMAGE_PIXELS  # Pillow's decompression-bomb limit (None: no limit)


def _check_image(path: Path) -> None:
    """Refuse a one-image paper Pillow cannot read, or one whose header claims a bomb-sized image."""
    if path.stat().st_size == 0:
        raise BadPaper(f"{path}: file is empty (0 bytes); was the copy interrupted? Drop the paper again", "empty")
    try:
        with Image.open(path) as image:  # reads the header only
            _refuse_huge(image.size, path)
    except Image.DecompressionBombError as exc:
        raise BadPaper(f"{path}: {_bomb_message(exc)}", "too_large") from exc
    except (UnidentifiedImageError, OSError) as exc:
        raise BadPaper(f"{path}: not an image Pillow can read ({exc}); save it again as PNG or JPEG", "not_image") from exc


def _bomb_message(exc: Exception) -> str:
    return f"image too large to decode safely ({str(exc).rstrip('.')}); scan at 300 dpi or less"


def _refuse_huge(size: tuple[int, int], path: Path | str) -> None:
    limit = _max_pixels()
    if limit and size[0] * size[1] > limit:
        raise BadPaper(
            f"{path}: image is {size[0]} × {size[1]} pixels, over the {limit / 1e6:.0f}-megapixel limit for one page "
            "(a decompression bomb, or a scan at far too high a resolution); scan at 300 dpi or less", "too_large",
        )


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
    try:
        image = Image.open(ref.file)
    except Image.DecompressionBombError as exc:
        raise BadPaper(f"{ref.source}: {_bomb_message(exc)}", "too_large") from exc
    with image:
        _refuse_huge(image.size, ref.source)  # before decoding: a bomb page fails alone, cheaply
        image.load()
        return ImageOps.exif_transpose(image).convert("RGB")
