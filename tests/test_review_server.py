"""The review page and the utilisation plot are reachable from the UI's links: served over HTTP."""

import base64
import io
import shutil
import subprocess
import threading
import urllib.error
import urllib.request

import pytest
from PIL import Image

from ocr_assets.review_server import inline_plot, make_server, review_url


@pytest.fixture
def served(tmp_path):
    review_root = tmp_path / "data" / "review"
    page = review_root / "2023年 重庆 化学" / "review.html"
    page.parent.mkdir(parents=True)
    page.write_text("<!doctype html><meta charset='utf-8'><h1>2023年 重庆 化学 — 2 questions</h1>", encoding="utf-8")
    (tmp_path / "data" / "frames").mkdir()
    (tmp_path / "data" / "frames" / "secret.txt").write_text("not for the web")
    server = make_server(review_root, port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield review_root, page, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def _get(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read().decode("utf-8")


def test_without_a_review_server_links_are_file_urls(tmp_path, monkeypatch):
    monkeypatch.delenv("EXAMPAPER_REVIEW_URL", raising=False)
    page = tmp_path / "review" / "纸 1" / "review.html"
    assert review_url(page, tmp_path / "review") == page.resolve().as_uri()
    plot = "![utilisation and throughput](data:image/png;base64,AAAA)"
    assert inline_plot(plot, tmp_path / "review" / "纸 1" / "u.png", tmp_path / "review") == plot


def test_review_pages_are_served_by_their_links_and_nothing_else(served):
    review_root, page, base = served
    url = review_url(page, review_root, base)
    assert url == f"{base}/2023%E5%B9%B4%20%E9%87%8D%E5%BA%86%20%E5%8C%96%E5%AD%A6/review.html"
    status, body = _get(url)
    assert status == 200 and "2 questions" in body
    for outside in (f"{base}/../frames/secret.txt", f"{base}/%2e%2e/frames/secret.txt", f"{base}/"):
        with pytest.raises(urllib.error.HTTPError) as refused:
            _get(outside)
        assert refused.value.code == 404


def test_the_plot_becomes_short_markdown_the_ui_shows_inline(served):
    review_root, page, base = served
    buffer = io.BytesIO()
    Image.new("RGB", (480, 192), "white").save(buffer, format="PNG")
    plot = f"![utilisation and throughput](data:image/png;base64,{base64.b64encode(buffer.getvalue()).decode()})"
    assert len(plot) > 1000  # what the UI hides behind "[Show Markdown]"
    short = inline_plot(plot, page.parent / "utilisation.png", review_root, base)
    assert len(short) < 1000 and short.startswith("![utilisation and throughput](http://127.0.0.1:")
    with urllib.request.urlopen(short[short.index("(") + 1 : -1], timeout=10) as response:
        assert response.read() == buffer.getvalue()


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Chromium absent (Debian: apt-get install chromium)")
def test_chromium_opens_the_review_link(served):
    review_root, page, base = served
    done = subprocess.run(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", review_url(page, review_root, base)],
        capture_output=True, text=True, timeout=120,
    )
    assert "2023年 重庆 化学 — 2 questions" in done.stdout, done.stderr[-2000:]
