"""Real files a drop folder gets that cannot be read, written byte by byte (no mocks), and a minimal .docx."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
import zipfile
import zlib
from pathlib import Path

import pypdfium2 as pdfium

from tests.conftest import SAMPLE_PDF


def png_header_only(path: Path, width: int, height: int) -> Path:
    """A PNG whose header claims width × height pixels (a decompression bomb as Pillow sees it)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit grey
    body = zlib.compress(b"\x00" * 64)  # far too little data for the claimed size: never decoded
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", body) + chunk(b"IEND", b""))
    return path


def poster_pdf(path: Path, side_pt: float = 14400) -> Path:
    """A one-page PDF of side_pt × side_pt points (200 × 200 inches at the PDF maximum)."""
    pdf = pdfium.PdfDocument.new()
    pdf.new_page(side_pt, side_pt)
    pdf.save(str(path))
    pdf.close()
    return path


def docx(path: Path, paragraphs: list[str]) -> Path:
    """A minimal WordprocessingML package: what Word writes, without styles."""
    body = "".join(f'<w:p><w:r><w:t xml:space="preserve">{p}</w:t></w:r></w:p>' for p in paragraphs)
    with zipfile.ZipFile(path, "w") as package:
        package.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
        )
        package.writestr(
            "_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>',
        )
        package.writestr(
            "word/document.xml",
            '<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
            f"<w:body>{body}</w:body></w:document>",
        )
    return path


def encrypted_pdf(path: Path, work: Path) -> Path:
    """A PDF with an open password, exported by LibreOffice (needs soffice)."""
    work.mkdir(parents=True, exist_ok=True)
    source = docx(work / "secret.docx", ["1．这份试卷有密码"])
    options = {"EncryptFile": {"type": "boolean", "value": "true"}, "DocumentOpenPassword": {"type": "string", "value": "s3cret"}}
    subprocess.run(
        ["soffice", f"-env:UserInstallation={(work / 'profile').as_uri()}", "--headless",
         "--convert-to", f"pdf:writer_pdf_Export:{json.dumps(options)}", "--outdir", str(work / "out"), str(source)],
        check=True, capture_output=True, timeout=180,
    )
    shutil.move(work / "out" / "secret.pdf", path)
    return path


def write_bad_files(folder: Path) -> dict[str, str]:
    """Every bad input that needs no LibreOffice, in `folder`: file name -> the BadPaper reason expected."""
    (folder / "empty.pdf").write_bytes(b"")
    sample = SAMPLE_PDF.read_bytes()
    (folder / "truncated.pdf").write_bytes(sample[: len(sample) * 6 // 10])
    docx(folder / "word-renamed.pdf", ["1．题目"])  # a .docx renamed to .pdf
    (folder / "garbage.pdf").write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 8 + b"\n%%EOF\n")
    png_header_only(folder / "bomb.png", 100_000, 100_000)
    poster_pdf(folder / "poster.pdf")
    (folder / "photo.jpg").write_text("not a jpeg")
    (folder / "notes.txt").write_text("a list of homework")
    (folder / "text-as.docx").write_text("plain text named .docx")
    return {
        "empty.pdf": "empty",
        "truncated.pdf": "truncated",
        "word-renamed.pdf": "not_pdf",
        "garbage.pdf": "damaged",
        "bomb.png": "too_large",
        "poster.pdf": "too_large",
        "photo.jpg": "not_image",
        "notes.txt": "unsupported_type",
        "text-as.docx": "not_word",
    }
