"""The drop folder behind a small resource, so tests (and later object storage) can point it anywhere."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from ocr_assets.pages import is_paper, paper_files, paper_key


@dataclass(frozen=True)
class DroppedPaper:
    key: str
    path: Path
    signature: str  # cheap: names, sizes and mtimes of its files
    newest_mtime: float

    def content_hash(self) -> str:
        """Exact: a hash of the bytes of every file, in page order."""
        digest = hashlib.sha256()
        for file in paper_files(self.path):
            digest.update(file.name.encode())
            with file.open("rb") as handle:
                for chunk in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(chunk)
        return digest.hexdigest()


class DropFolder(dg.ConfigurableResource):
    """Papers are PDFs, images or sub-folders of images directly under `path`."""

    path: str = "data/drop"

    def root(self) -> Path:
        root = Path(self.path)
        root.mkdir(parents=True, exist_ok=True)
        return root

    def papers(self) -> list[DroppedPaper]:
        found: list[DroppedPaper] = []
        keys: set[str] = set()
        for entry in sorted(self.root().iterdir()):
            if not is_paper(entry):
                continue
            files = paper_files(entry)
            stats = [(f.name, f.stat()) for f in files]
            signature = hashlib.sha1(
                "|".join(f"{name}:{st.st_size}:{st.st_mtime_ns}" for name, st in stats).encode()
            ).hexdigest()
            newest = max([st.st_mtime for _, st in stats] + [entry.stat().st_mtime])
            key = paper_key(entry)
            if key in keys:  # "x.pdf" beside "x.png": the later one gets its full name hashed in
                key = f"{key}-{hashlib.sha1(entry.name.encode()).hexdigest()[:8]}"
            keys.add(key)
            found.append(DroppedPaper(key, entry, signature, newest))
        return found

    def settled(self, settle_seconds: float, now: float | None = None) -> list[DroppedPaper]:
        """Papers whose files have not changed for `settle_seconds` (fully written)."""
        now = time.time() if now is None else now
        return [p for p in self.papers() if now - p.newest_mtime >= settle_seconds]

    def find(self, key: str) -> Path:
        for paper in self.papers():
            if paper.key == key:
                return paper.path
        raise FileNotFoundError(
            f"no paper with key {key!r} in drop folder {self.root().resolve()}; was it moved or renamed?"
        )
