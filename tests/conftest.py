from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

os.environ.setdefault("EXAMPAPER_RETRY_DELAY_S", "0.2")  # step retries back off in tests too, briefly

REPO = Path(__file__).resolve().parents[1]
SAMPLE_PDF = REPO / "samples" / "sample_paper.pdf"
SAMPLE_EXPECTED = REPO / "tests" / "fixtures" / "sample_paper.expected.json"
EVALDATA = REPO.parent / "shared" / "evaldata"


@pytest.fixture(scope="session")
def sample_expected() -> dict:
    return json.loads(SAMPLE_EXPECTED.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def evaldata() -> Path:
    if not (EVALDATA / "MANIFEST.md").exists():
        pytest.skip(f"real exam pages absent: {EVALDATA} not found (they live beside the repo in ../shared, never in it)")
    return EVALDATA
