"""Review pages and plots a person can open from the Dagster UI.

Dagster's UI shows `MetadataValue.url` as a link, but its webserver has no route for our files, and
a browser does not follow a `file://` link from an `http://` page (Chromium: "Not allowed to load
local resource"). So the review folder is served read-only over HTTP by this small server
(`python -m ocr_assets.review_server`), and the assets link to it when EXAMPAPER_REVIEW_URL names it;
without it they link `file://` URLs, which open when pasted into the address bar.
"""

from __future__ import annotations

import argparse
import base64
import functools
import os
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

DEFAULT_PORT = 3001
_DATA_URI_PNG = "(data:image/png;base64,"


def review_base_url() -> str | None:
    return os.environ.get("EXAMPAPER_REVIEW_URL") or None


def review_url(path: Path, review_root: Path, base_url: str | None = None) -> str:
    """The URL of a file under the review folder: on the review server when there is one, else file://."""
    base_url = base_url if base_url is not None else review_base_url()
    if not base_url:
        return path.resolve().as_uri()
    relative = path.resolve().relative_to(review_root.resolve()).as_posix()
    return f"{base_url.rstrip('/')}/{quote(relative)}"


def inline_plot(plot_md: str, png_path: Path, review_root: Path, base_url: str | None = None) -> str:
    """A Markdown plot short enough for the UI to show inline (it hides Markdown of 1000+ characters
    behind "[Show Markdown]"): the PNG written beside the review page and linked on the review server.
    Without a review server the embedded PNG is kept as it is."""
    base_url = base_url if base_url is not None else review_base_url()
    if not base_url or _DATA_URI_PNG not in plot_md:
        return plot_md
    alt, data = plot_md.split(_DATA_URI_PNG, 1)
    png_path.parent.mkdir(parents=True, exist_ok=True)
    png_path.write_bytes(base64.b64decode(data.rstrip(")")))
    return f"{alt}({review_url(png_path, review_root, base_url)})"


class _ReviewHandler(SimpleHTTPRequestHandler):
    def list_directory(self, path):  # pages are linked from the UI; no browsing of the folder
        self.send_error(404, "no listing")

    def log_message(self, format, *args):  # quiet: one line per request is noise beside dagster dev
        pass


def make_server(review_root: Path, host: str = "127.0.0.1", port: int = DEFAULT_PORT) -> ThreadingHTTPServer:
    """A read-only HTTP server for `review_root` (http.server never serves outside its directory)."""
    review_root.mkdir(parents=True, exist_ok=True)
    handler = functools.partial(_ReviewHandler, directory=str(review_root.resolve()))
    return ThreadingHTTPServer((host, port), handler)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve the review pages under DATA_DIR/review for the Dagster UI's links.")
    parser.add_argument("--data-dir", default=os.environ.get("EXAMPAPER_DATA_DIR", "data"))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    args = parser.parse_args(argv)
    server = make_server(Path(args.data_dir) / "review", args.host, args.port)
    print(f"review pages on http://{args.host}:{server.server_port}/ (set EXAMPAPER_REVIEW_URL to this for the UI's links)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
