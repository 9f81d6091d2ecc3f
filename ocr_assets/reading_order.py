"""Stage 4a — OCR lines become a reading order, without page furniture.

Single column for now: lines are grouped into rows by their vertical centres, rows run top to bottom and lines
within a row left to right. A later issue adds XY-cut for two-column pages and A3 spreads behind the same
signature.
"""

from __future__ import annotations

import re
from statistics import median

from resources.engines.base import TextLine

ROW_OVERLAP = 0.5  # share of the shorter line's height two lines must share to sit on one row
TALL_LINE_FACTOR = 2.0  # a "line" this many times the page's median height is figure debris, not text
MARGIN_SHARE = 0.06  # top and bottom bands, as a share of page height, where headers and footers live
FOOTER_MAX_CHARS = 20  # footers are short; a longer line in the bottom band is kept as text

# A page number in any position is unmistakable when it says 第…页.
PAGE_OF_PAGES = re.compile(r"第\s*\d+\s*页\s*[，,、]?\s*[（(]?\s*共\s*\d+\s*页\s*[)）]?")
# A bare number, "- 3 -", "3/6" or "Page 3" is a page number only when it stands alone in a margin.
BARE_PAGE_NUMBER = re.compile(r"^[-—–\s]*(?:第\s*)?\d{1,3}\s*(?:页)?(?:\s*/\s*\d{1,3})?[-—–\s]*$|^page\s*\d{1,3}", re.I)
# Exam-sharing sites stamp their name on every page; these names never occur in a question.
SITE_WATERMARK = re.compile(
    r"第一试卷网|shijuan1\s*\.\s*com|试卷网|学科网|zxxk|组卷网|21世纪教育网|21cnjy|jb1000|正确云|菁优网|jyeoo", re.I
)
# Generic footer phrases, only trusted inside the top/bottom bands.
MARGIN_WATERMARK = re.compile(r"提供下载|版权所有|原创精品|精品资源|www\.\S+|\S+\.(?:com|cn|net)\b", re.I)
SENTENCE_PUNCTUATION = re.compile(r"[。？！；]")


def reading_order(lines: list[TextLine], width: int, height: int) -> list[TextLine]:
    """Rows top to bottom, lines within a row left to right."""
    rows = group_rows(lines)
    return [line for row in rows for line in sorted(row, key=lambda line: (line.x0, line.y0))]


def group_rows(lines: list[TextLine]) -> list[list[TextLine]]:
    """Lines whose vertical extents overlap enough form one row; rows come out top to bottom."""
    if not lines:
        return []
    tall = TALL_LINE_FACTOR * median(max(line.height, 1.0) for line in lines)
    rows: list[list[TextLine]] = []
    anchors: list[TextLine] = []  # each row is compared with its first line, so rows cannot creep downwards
    for line in sorted(lines, key=_centre_y):
        if rows and line.height <= tall and anchors[-1].height <= tall and same_row(anchors[-1], line):
            rows[-1].append(line)
        else:
            rows.append([line])
            anchors.append(line)
    return rows


def same_row(a: TextLine, b: TextLine) -> bool:
    overlap = min(a.y1, b.y1) - max(a.y0, b.y0)
    return overlap >= ROW_OVERLAP * max(min(a.height, b.height), 1.0)


def drop_page_furniture(lines: list[TextLine], width: int, height: int) -> list[TextLine]:
    """Remove page numbers, site watermarks and short footers; everything else is kept."""
    return [line for line in lines if not is_page_furniture(line, lines, height)]


def is_page_furniture(line: TextLine, page_lines: list[TextLine], height: int) -> bool:
    text = line.text.strip()
    if not text:
        return True
    if PAGE_OF_PAGES.search(text) or SITE_WATERMARK.search(text):
        return True
    in_top = _centre_y(line) <= MARGIN_SHARE * height
    in_bottom = _centre_y(line) >= (1.0 - MARGIN_SHARE) * height
    if not (in_top or in_bottom):
        return False
    if MARGIN_WATERMARK.search(text):
        return True
    # A lone number in a margin is a page number; next to other text it is a subscript or an item.
    if BARE_PAGE_NUMBER.match(text) and not _has_row_neighbour(line, page_lines):
        return True
    return in_bottom and len(text) <= FOOTER_MAX_CHARS and not SENTENCE_PUNCTUATION.search(text)


def _has_row_neighbour(line: TextLine, page_lines: list[TextLine]) -> bool:
    return any(other is not line and same_row(line, other) for other in page_lines)


def _centre_y(line: TextLine) -> float:
    return (line.y0 + line.y1) / 2.0
