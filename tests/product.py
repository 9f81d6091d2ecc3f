"""The product started as `make run` starts it (`python -m ocr_assets.launcher`), in a temporary
data folder on a free port, for tests that need the real processes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil

from ocr_assets.launcher import stop_with_parent
from tests.conftest import REPO


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ui_answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=2) as reply:
            return reply.status == 200
    except OSError:
        return False


def wait_until(condition, timeout: float, what: str, poll: float = 0.2):
    """Poll `condition` until it returns something truthy; fail saying `what` did not happen."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(poll)  # polling other processes, not waiting on our threads
    raise AssertionError(f"{what} within {timeout:.0f} s")


def _default_sigterm_ignored_sigint() -> None:
    # what bash gives an `&` job of a non-interactive script: SIGINT ignored
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    stop_with_parent()  # a killed test run stops the product it started (no UI left on a port)


def start_product(data_dir: Path, port: int, log: Path, **env: str) -> subprocess.Popen:
    """The launcher as a background job of a script would run it (SIGINT ignored, its own group)."""
    environ = {
        **os.environ,
        "EXAMPAPER_DATA_DIR": str(data_dir),
        "DAGSTER_HOME": str(data_dir / "dagster_home"),
        "EXAMPAPER_SETTLE_SECONDS": "1",
        **env,
    }
    for key in ("EXAMPAPER_DROP_DIR", "EXAMPAPER_DATABASE_URL", "EXAMPAPER_CELERY_BROKER",
                "EXAMPAPER_CELERY_BACKEND", "EXAMPAPER_CELERY_QUEUE"):
        if key not in env:
            environ.pop(key, None)
    (data_dir / "drop").mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        [sys.executable, "-m", "ocr_assets.launcher", "--port", str(port)],
        cwd=REPO, env=environ, stdout=log.open("w"), stderr=subprocess.STDOUT,
        start_new_session=True, preexec_fn=_default_sigterm_ignored_sigint,
    )


def process_tree(root: int) -> list[psutil.Process]:
    try:
        parent = psutil.Process(root)
        return [parent, *parent.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def survivors(tree: list[psutil.Process]) -> list[str]:
    """The processes of `tree` still alive (psutil matches pid and start time: no recycled pid)."""
    alive = []
    for proc in tree:
        try:
            if proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE:
                alive.append(f"{proc.pid} {' '.join(proc.cmdline())[:120]}")
        except psutil.NoSuchProcess:
            continue
    return alive


def kill_tree(tree: list[psutil.Process]) -> None:
    for proc in tree:
        try:
            proc.kill()
        except psutil.NoSuchProcess:
            pass
