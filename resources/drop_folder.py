"""The drop folder behind a small resource, so tests (and later object storage) can point it anywhere."""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from ocr_assets.pages import SUPPORTED, paper_files, paper_key, paper_kind, unsupported_reason

# Which of two entries with the same stem keeps the bare key (x.pdf beside x.png and a folder x).
_KIND_RANK = {"pdf": 0, "folder": 1, "word": 2, "image": 3, "unsupported": 4, "unreadable": 5}


@dataclass(frozen=True)
class DroppedPaper:
    key: str
    path: Path
    signature: str  # cheap: names, sizes and mtimes of its files
    newest_mtime: float
    kind: str = "pdf"  # paper_kind, "outside" for a link leaving the drop folder, "unreadable"
    problem: str | None = None  # why it is refused without reading it (unsupported type, link outside)
    reason: str | None = None  # BadPaper reason code of `problem`
    complete: bool = False  # a single file whose last bytes are its format's end (looks_complete)

    def content_hash(self) -> str:
        """Exact: a hash of the bytes of every file, in page order. An entry refused for what it is
        (a link leaving the drop folder, a FIFO, no permission) is never opened: its signature stands for its bytes."""
        digest = hashlib.sha256()
        if self.kind in ("outside", "unreadable") or (self.problem is not None and not self.path.is_file()):
            digest.update(f"{self.path.name}|{self.signature}".encode("utf-8", "surrogateescape"))
            return digest.hexdigest()
        for file in paper_files(self.path):
            digest.update(file.name.encode("utf-8", "surrogateescape"))
            with file.open("rb") as handle:
                for chunk in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(chunk)
        return digest.hexdigest()


# how each format ends when the whole file is there (a copy in progress stops anywhere before it)
_TAIL_BYTES = 1024
_JPEG_END = b"\xff\xd9"
_PNG_END = b"IEND\xaeB`\x82"
_ZIP_END = b"PK\x05\x06"  # end of central directory record: .docx and .odt are zips; .doc and .rtf are not checked


def looks_complete(path: Path, kind: str) -> bool:
    """Whether a single dropped file ends as a whole file of its kind ends: a PDF's `%%EOF`, a PNG's IEND
    chunk, a JPEG's end-of-image marker (a few trailing bytes allowed), a .docx's zip directory. Such a
    file needs only a short settle (the sensor), not the full wait for slow writers. Never raises."""
    if kind not in ("pdf", "image", "word"):
        return False
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - _TAIL_BYTES))
            tail = handle.read()
    except OSError:
        return False
    suffix = path.suffix.lower()
    if kind == "pdf":
        return b"%%EOF" in tail[-64:]
    if kind == "word":
        return suffix in (".docx", ".odt") and _ZIP_END in tail
    if suffix == ".png":
        return tail.endswith(_PNG_END)
    if suffix in (".jpg", ".jpeg"):
        return _JPEG_END in tail[-16:]
    return False  # TIFF, BMP, WebP: no end marker to trust


def _stat(path: Path) -> os.stat_result:
    try:
        return path.stat()
    except OSError:  # a dangling link: describe the link itself
        return path.lstat()


def _inspect(entry: Path, kind: str, real_root: Path):
    """(kind, problem, reason, [(name, stat)], newest mtime) of one drop-folder entry."""
    if kind == "unreadable":
        raise PermissionError(f"cannot list {entry.name}")
    files = paper_files(entry) if kind == "folder" else [entry]
    if _escapes(entry, real_root) or any(_escapes(f, real_root) for f in files):
        problem = (
            f"{entry.name}: a link to {entry.resolve()}, outside the drop folder {real_root}; "
            "papers are read only from inside it: copy the paper in instead of linking it"
        )
        link = entry.lstat()
        return "outside", problem, "outside_drop_folder", [(entry.name, link)], link.st_mtime
    problem, reason = (unsupported_reason(entry), "unsupported_type") if kind == "unsupported" else (None, None)
    stats = [(f.name, _stat(f)) for f in files]
    return kind, problem, reason, stats, max([st.st_mtime for _, st in stats] + [_stat(entry).st_mtime])


def _escapes(path: Path, root: Path) -> bool:
    resolved = path.resolve()
    return resolved != root and root not in resolved.parents


class DropFolder(dg.ConfigurableResource):
    """Papers are PDFs, Word files, images or sub-folders of images directly under `path`.
    Anything else there (but hidden files and Office lock files) is listed too, as refused."""

    path: str = "data/drop"

    def root(self) -> Path:
        root = Path(self.path)
        root.mkdir(parents=True, exist_ok=True)
        return root

    def papers(self) -> list[DroppedPaper]:
        root = self.root()
        real_root = root.resolve()
        entries = []
        for entry in root.iterdir():
            try:
                kind = paper_kind(entry)
            except OSError:  # a folder we may not list: refused below, saying so
                kind = "unreadable"
            if kind is not None:
                entries.append((_KIND_RANK[kind], entry.name, entry, kind))
        found: list[DroppedPaper] = []
        keys: set[str] = set()
        for _, _, entry, kind in sorted(entries):
            try:
                kind, problem, reason, stats, newest = _inspect(entry, kind, real_root)
            except (OSError, RuntimeError) as exc:  # permissions, a link loop: never a failed sensor tick
                kind, reason = "unreadable", "unreadable"
                problem = f"{entry.name}: cannot be read ({exc}); make it readable, or remove it from the drop folder"
                stats = [(entry.name, entry.lstat())]
                newest = stats[0][1].st_mtime
            signature = hashlib.sha1(
                "|".join(f"{name}:{st.st_size}:{st.st_mtime_ns}" for name, st in stats).encode("utf-8", "surrogateescape")
            ).hexdigest()
            key = _unique_key(entry, keys)
            keys.add(key)
            # a folder can still be growing page by page (a scanner): it always gets the full settle
            complete = problem is None and kind != "folder" and looks_complete(entry, kind)
            found.append(DroppedPaper(key, entry, signature, newest, kind, problem, reason, complete))
        return sorted(found, key=lambda p: p.path.name)

    def settled(self, settle_seconds: float, now: float | None = None) -> list[DroppedPaper]:
        """Papers whose files have not changed for `settle_seconds` (fully written)."""
        now = time.time() if now is None else now
        return [p for p in self.papers() if now - p.newest_mtime >= settle_seconds]

    def get(self, key: str) -> DroppedPaper:
        for paper in self.papers():
            if paper.key == key:
                return paper
        raise FileNotFoundError(
            f"no paper with key {key!r} in drop folder {self.root().resolve()}; was it moved or renamed? "
            f"(papers are {SUPPORTED})"
        )

    def find(self, key: str) -> Path:
        return self.get(key).path


def _unique_key(entry: Path, taken: set[str]) -> str:
    """The entry's own key; the second of two same-stem entries is told apart by its suffix, then a hash."""
    key = paper_key(entry)
    if key in taken and entry.suffix:
        key = paper_key(entry, keep_suffix=True)
    if key in taken:
        key = f"{key}-{hashlib.sha1(entry.name.encode('utf-8', 'surrogateescape')).hexdigest()[:8]}"
    return key
