"""The passes of the page analysis (`ocr_assets/page_analysis.py` lists them in order).

Each pass is a pure function over one `AnalysedPage` that returns it with its own part added; the
rules it applies live in the modules named after them (`figures.py`, `blanks.py`, `tables.py`,
`reading_order.py`, `formula_lines.py`). Image passes take the page; line passes take the page and
the `DocumentContext`.
"""

from __future__ import annotations

from resources.engines.base import TextLine


def scaled(lines: list[TextLine], factor: float) -> list[TextLine]:
    """Lines with their boxes times `factor` (page pixels <-> frame pixels)."""
    return [TextLine(l.text, tuple(v * factor for v in l.bbox), l.confidence) for l in lines]
