"""Word files become PDFs with LibreOffice, once per content, then are read like any born-digital PDF.

Each conversion runs `soffice --headless` with its own throw-away profile: two LibreOffice
processes sharing a profile block each other, so parallel runs would otherwise clash.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

WORD_SUFFIXES = {".docx", ".doc", ".odt", ".rtf"}
INSTALL_HINT = "install LibreOffice Writer (Debian/Ubuntu: `apt-get install libreoffice-writer-nogui`)"
CONVERT_TIMEOUT_S = float(os.environ.get("EXAMPAPER_CONVERT_TIMEOUT", "180"))
DEFAULT_CACHE = Path(tempfile.gettempdir()) / "exampaper-converted"


class ConverterMissing(RuntimeError):
    """LibreOffice is not installed: Word files cannot be read on this machine."""


class ConversionFailed(RuntimeError):
    """LibreOffice ran but made no PDF: the file is damaged or not really a Word document."""


class ConversionTimedOut(RuntimeError):
    """LibreOffice did not finish in time (a busy machine, or a document it chokes on)."""


def soffice_path() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def word_to_pdf(source: Path, cache_dir: Path = DEFAULT_CACHE, timeout_s: float = CONVERT_TIMEOUT_S) -> Path:
    """The PDF of a Word file, converted once per content hash and kept in `cache_dir` (never the drop folder)."""
    soffice = soffice_path()
    if soffice is None:
        raise ConverterMissing(f"{source.name}: Word files are converted to PDF with LibreOffice, which is not installed; {INSTALL_HINT}, or save the paper as PDF")
    cache_dir.mkdir(parents=True, exist_ok=True)
    target = cache_dir / f"{file_sha256(source)}.pdf"
    if target.exists() and target.stat().st_size > 0:
        return target
    with tempfile.TemporaryDirectory(prefix="soffice-", dir=cache_dir) as work:
        work_dir = Path(work)
        staged = work_dir / f"in{source.suffix.lower()}"  # an ASCII name: soffice names its output after the input
        shutil.copyfile(source, staged)
        command = [
            soffice, f"-env:UserInstallation={(work_dir / 'profile').as_uri()}", "--headless", "--norestore",
            "--convert-to", "pdf", "--outdir", str(work_dir / "out"), str(staged),
        ]
        # its own process group: soffice starts soffice.bin as a child, and a timeout must end both
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
        try:
            stdout, stderr = process.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired as exc:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise ConversionTimedOut(f"{source.name}: LibreOffice did not convert it within {timeout_s:.0f} s (EXAMPAPER_CONVERT_TIMEOUT)") from exc
        produced = work_dir / "out" / "in.pdf"
        if not produced.exists() or produced.stat().st_size == 0:
            said = (stderr or stdout).strip().splitlines()
            raise ConversionFailed(
                f"{source.name}: LibreOffice could not convert it to PDF (exit {process.returncode}"
                f"{': ' + said[-1] if said else ''}); open it in Word and save it again, or save it as PDF"
            )
        os.replace(produced, target)  # atomic: a parallel conversion of the same bytes writes the same file
    return target
