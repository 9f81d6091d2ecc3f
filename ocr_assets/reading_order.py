"""Stage 4a — OCR lines become a reading order, without page furniture.

Columns first: a recursive cut (XY-cut over line boxes, not a fixed split) finds vertical gutters — between the
two pages of an A3 spread, two columns, or three (two gaps tested together, each piece holding lines as wide as
itself) — that text runs up to on the left and that few lines cross; lines that do cross (a title over both
columns) split the region into bands read top to bottom. Within a column,
lines are grouped into rows by their vertical centres, rows run top to bottom and lines within a row left to
right, so options laid out 2 or 4 to a line stay in order.

A gutter narrower than MIN_GUTTER_SHARE (a 4–6 mm gutter between padded OCR boxes leaves a gap of a dozen
pixels) is taken on evidence, not width alone: the layout model's blocks stand on both sides of it and few
cross it, or the lines that cross it cover little of the text body's height (white space down the page).
An OCR line that straddles a gutter amid column text (the detector glued a left-column row to the right
column's row) is split at the gutter before reading order; a line over both columns above them (a title,
notices) or inside a layout block that spans the gutter stays whole.
"""

from __future__ import annotations

import re

from resources.engines.base import Block, TextLine, box_iou, median_height

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
MARGIN_WATERMARK = re.compile(r"提供下载|版权所有|原创精品|精品资源|公众号|www\.\S+|\S+\.(?:com|cn|net)\b", re.I)
SENTENCE_PUNCTUATION = re.compile(r"[。？！；]")


MIN_GUTTER_SHARE = 0.012  # a gutter is at least this share of the page width
MAX_CROSSING_SHARE = 0.15  # at most this share of a region's lines may cross a gutter (titles, banners)
MIN_SIDE_LINES = 4  # each column holds at least this many lines
MIN_FULL_LINES = 3  # each column holds at least this many lines at least half its width


NARROW_GUTTER_LINES = 0.25  # narrower than MIN_GUTTER_SHARE, down to this share of a line's height, a gap is a
# gutter only with evidence (blocks or white space); a line's height, not the page's width, scales on a spread too
MAX_CROSSING_COVER = 0.2  # a narrow gutter's crossing lines cover at most this share of the body's height
CONTENT_BLOCKS = {"text", "title", "figure", "figure_caption", "table", "table_caption", "reference", "formula",
                  "equation"}
MIN_SPLIT_SHARE = 0.12  # a straddling line with less than this share of its width on one side belongs to the other


def reading_order(lines: list[TextLine], width: int, height: int, blocks: list[Block] | None = None) -> list[TextLine]:
    """Columns left to right (recursively), rows top to bottom, lines within a row left to right.
    `blocks` (the layout model's regions, optional) are evidence of where columns are."""
    spread_middle = width / 2 if width > height else None  # a landscape page is usually two pages side by side
    content = [b for b in blocks or [] if b.label in CONTENT_BLOCKS]
    return restore_split_numbers(_order_region(lines, width, spread_middle=spread_middle, blocks=content))


TRAILING_DIGITS = re.compile(r"^(.*\S)\s*(\d{1,2})$", re.S)
NUMBER_FRAGMENT = re.compile(r"^\s*(\d?)\s*([.．、])\s*(?=[^\d\s])")  # "0.已知…" or "．已知…" at a column's edge
QUESTION_NUMBER = re.compile(r"^\s*(\d{1,3})\s*[.．、]\s*(?!\d)")


def restore_split_numbers(ordered: list[TextLine]) -> list[TextLine]:
    """A question number's leading digit(s) that the detector read into the line left of it across a narrow
    gutter ("…则该球 2" | "0.已知…" for 20.) go back to the number — only where the joined number is the one
    after the last question number before it in reading order and the fragment alone is not."""
    out = list(ordered)
    for index, line in enumerate(out):
        fragment = NUMBER_FRAGMENT.match(line.text)
        if not fragment:
            continue
        previous = next((int(m.group(1)) for l in reversed(out[:index]) if (m := QUESTION_NUMBER.match(l.text))), None)
        if previous is None or (fragment.group(1) and int(fragment.group(1)) == previous + 1):
            continue
        for position, left in enumerate(out):
            tail = TRAILING_DIGITS.match(left.text)
            if (tail and left.x1 <= line.x0 + 2 and line.x0 - left.x1 <= 2 * max(line.height, 1.0) and same_row(left, line)
                    and int(tail.group(2) + fragment.group(1)) == previous + 1):
                out[position] = TextLine(tail.group(1), left.bbox, left.confidence)
                out[index] = TextLine(tail.group(2) + line.text.lstrip(), line.bbox, line.confidence)
                break
    return out


def _order_region(lines: list[TextLine], page_width: int, depth: int = 0, spread_middle: float | None = None,
                  blocks: list[Block] | None = None) -> list[TextLine]:
    blocks = blocks or []
    gutters = find_gutters(lines, page_width, spread_middle, _blocks_within(blocks, lines)) if depth < 6 else []
    if not gutters:
        return [line for row in group_rows(lines) for line in sorted(row, key=lambda line: (line.x0, line.y0))]
    for g0, g1 in gutters:
        lines = split_at_gutter(lines, g0, g1, blocks)

    def crosses(line: TextLine) -> bool:
        return any(line.x0 < g0 and line.x1 > g1 for g0, g1 in gutters)

    crossing = sorted((l for l in lines if crosses(l)), key=_centre_y)
    if crossing:  # bands between the lines that span a gutter, each read on its own
        ordered, rest = [], [l for l in lines if not crosses(l)]
        for spanning in crossing:
            above = [l for l in rest if _centre_y(l) < _centre_y(spanning)]
            rest = [l for l in rest if _centre_y(l) >= _centre_y(spanning)]
            ordered += _order_region(above, page_width, depth + 1, spread_middle, blocks) + [spanning]
        return ordered + _order_region(rest, page_width, depth + 1, spread_middle, blocks)  # bands still hold both pages
    columns: list[list[TextLine]] = [[] for _ in range(len(gutters) + 1)]
    for line in lines:  # a line belongs to the column its centre stands in
        columns[sum(1 for g0, _ in gutters if (line.x0 + line.x1) / 2 >= g0)].append(line)
    return [line for column in columns for line in _order_region(column, page_width, depth + 1, blocks=blocks)]


def _blocks_within(blocks: list[Block], lines: list[TextLine]) -> list[Block]:
    """The blocks whose centre lies inside the region the lines cover."""
    if not blocks or not lines:
        return []
    x0, y0 = min(l.x0 for l in lines), min(l.y0 for l in lines)
    x1, y1 = max(l.x1 for l in lines), max(l.y1 for l in lines)
    return [b for b in blocks if x0 <= (b.bbox[0] + b.bbox[2]) / 2 <= x1 and y0 <= (b.bbox[1] + b.bbox[3]) / 2 <= y1]


def split_at_gutter(lines: list[TextLine], g0: float, g1: float, blocks: list[Block] | None = None) -> list[TextLine]:
    """Lines that straddle the gutter (g0, g1) amid column text, cut in two at it; a line that only pokes
    into the gutter is kept whole but counted on the side that holds most of it; lines over both columns
    (titles, notices, a block that spans the gutter) are left as they are."""
    middle = (g0 + g1) / 2
    out = []
    for line in lines:
        if not (line.x0 < g0 and line.x1 > g1):
            out.append(line)
            continue
        left_share = (middle - line.x0) / max(line.x1 - line.x0, 1.0)
        if left_share < MIN_SPLIT_SHARE or left_share > 1 - MIN_SPLIT_SHARE:
            x0, x1 = (max(line.x0, g1), line.x1) if left_share < 0.5 else (line.x0, min(line.x1, g0))
            out.append(TextLine(line.text, (x0, line.y0, x1, line.y1), line.confidence))
        elif _glued_across(line, lines, g0, g1, blocks or []):
            out += split_line(line, g0, g1)
        else:
            out.append(line)
    return out


def _glued_across(line: TextLine, lines: list[TextLine], g0: float, g1: float, blocks: list[Block]) -> bool:
    """The line lies amid two columns' text: the layout blocks at its height stand on either side of the
    gutter and none spans it; without such blocks, column lines stand on both sides above and below it (above
    only, on the region's last row)."""
    beside = [b for b in blocks if min(b.bbox[3], line.y1) - max(b.bbox[1], line.y0) > 0.5 * line.height]
    if any(b.bbox[0] < g0 and b.bbox[2] > g1 and b.label != "formula" for b in beside):
        return False
    if any(b.bbox[2] <= g1 for b in beside) and any(b.bbox[0] >= g0 for b in beside):
        return True
    reach = 3 * max(line.height, 1.0)
    centre = _centre_y(line)

    def column_text(side, above: bool) -> bool:
        return any(
            (centre - reach <= _centre_y(l) < centre if above else centre < _centre_y(l) <= centre + reach)
            for l in side
        )

    left = [l for l in lines if l.x1 <= g1 and l is not line]
    right = [l for l in lines if l.x0 >= g0 and l is not line]
    if not any(_centre_y(l) > centre + 0.5 * line.height for l in lines if l is not line):
        # the region's last row (the foot of both columns): nothing can stand below it, column text above will do
        return all(column_text(side, True) for side in (left, right))
    return all(column_text(side, above) for side in (left, right) for above in (True, False))


# A question or option number begins the right column's part: "…直线ax 7. 在新冠…" splits before "7."
PIECE_START = re.compile(r"\s+|(?=\d{1,2}\s*[.．、](?!\d))|(?=[（(]?[A-H][)）]?\s*[.．、])")


def _char_width(char: str) -> float:
    """Relative advance: full-width (CJK, full-width punctuation) 1, everything else about half."""
    return 1.0 if ord(char) >= 0x2E80 or "\uff00" <= char <= "\uffef" else 0.55


def split_line(line: TextLine, g0: float, g1: float) -> list[TextLine]:
    """One straddling line as two: the text is cut where the character advances (full-width 1, others 0.55,
    laid out proportionally over the box) reach the gutter, moved to a space or to a number that starts
    the right part when one is within two characters; the boxes end and start at the gutter."""
    text = line.text
    widths = [_char_width(c) for c in text]
    total = sum(widths)
    target = total * ((g0 + g1) / 2 - line.x0) / max(line.x1 - line.x0, 1.0)
    cumulative, cut = 0.0, len(text)
    for index, width in enumerate(widths):
        if cumulative + width / 2 >= target:
            cut = index
            break
        cumulative += width
    nearby = [m.start() for m in PIECE_START.finditer(text) if 0 < m.start() < len(text) and abs(m.start() - cut) <= 2]
    if nearby:
        cut = min(nearby, key=lambda position: abs(position - cut))
    left_text, right_text = text[:cut].strip(), text[cut:].strip()
    if not left_text or not right_text:
        return [line]
    return [TextLine(left_text, (line.x0, line.y0, g0, line.y1), line.confidence),
            TextLine(right_text, (g1, line.y0, line.x1, line.y1), line.confidence)]


SPREAD_MIDDLE_SHARE = 0.1  # a spread's fold lies within this share of the width from the middle


def find_gutter(lines: list[TextLine], page_width: int, spread_middle: float | None = None,
                blocks: list[Block] | None = None) -> tuple[float, float] | None:
    """The first (leftmost of three columns) gutter find_gutters finds, or None."""
    gutters = find_gutters(lines, page_width, spread_middle, blocks)
    return gutters[0] if gutters else None


def find_gutters(lines: list[TextLine], page_width: int, spread_middle: float | None = None,
                 blocks: list[Block] | None = None) -> list[tuple[float, float]]:
    """The vertical gaps (x0, x1) that separate real columns of text, left to right: one gap between two
    columns — the one fewest lines cross, then the widest — or, when no single gap does, two gaps between
    three columns. On a landscape spread a gap at the fold splits the two pages even where they hold few
    full-width lines (a primary-school paper of short option rows). A gap narrower than MIN_GUTTER_SHARE
    needs evidence: layout blocks on both sides of it, or white space down the body."""
    if len(lines) < 2 * MIN_SIDE_LINES:
        return []
    x_min, x_max = min(l.x0 for l in lines), max(l.x1 for l in lines)
    step = max(2.0, page_width / 400)
    allowed = max(1, int(MAX_CROSSING_SHARE * len(lines)))
    xs = [x_min + step * i for i in range(1, int((x_max - x_min) / step))]
    crossing = [sum(1 for l in lines if l.x0 < x < l.x1) for x in xs]
    candidates, run = [], []
    for x, count in zip(xs + [x_max], crossing + [allowed + 1]):
        if count <= allowed:
            run.append((x, count))
        elif run:
            fewest = min(c for _, c in run)  # the gutter proper: where fewest lines cross
            inner = [x for x, c in run if c == fewest]
            if inner[-1] - inner[0] < MIN_GUTTER_SHARE * page_width:
                # a narrow core: padded boxes poking in from either side shave it; count the few that do
                near = [x for x, c in run if c <= fewest + CORE_TOLERANCE]
                inner = _contiguous_around(near, inner[0], inner[-1])
            candidates.append((inner[0], inner[-1], fewest, run[0][0], run[-1][0]))
            run = []
    # the gutter fewest lines cross (a spread's middle, crossed by one long formula line at most), then the
    # widest: a wide gap that a dozen lines cross is the space before a column of option pictures
    evidenced = []  # (g0, g1, full lines needed) of the gaps wide enough or with evidence
    block_rooms = {}  # the columns' widths the layout model's blocks give on each side of a gap
    for g0, g1, _, run0, run1 in sorted(candidates, key=lambda gap: (gap[2], gap[0] - gap[1])):
        if g1 - g0 < NARROW_GUTTER_LINES * median_height(lines):
            continue
        blocks_split, white_space = _blocks_split_at(blocks or [], g0, g1), _white_space_down(lines, g0, g1)
        if g1 - g0 < MIN_GUTTER_SHARE * page_width and not (blocks_split or white_space):
            continue
        # the fold: a clear band (a footer line may cross part of it) at the middle of a landscape page
        at_fold = spread_middle is not None and (
            run0 <= spread_middle <= run1 or abs((g0 + g1) / 2 - spread_middle) < SPREAD_MIDDLE_SHARE * page_width
        )
        if at_fold and _both_sides_hold(lines, g0, g1, step):
            return [(g0, g1)]
        # white space down the body and blocks on both sides, or a gap of full width: a short last column (one
        # or two questions beside a full one) is still a column
        wide = g1 - g0 >= MIN_GUTTER_SHARE * page_width
        evidenced.append((g0, g1, 1 if white_space and (blocks_split or wide) else MIN_FULL_LINES))
        block_rooms[(g0, g1)] = _block_widths(blocks or [], g0, g1) if blocks_split else None
    # three columns before two: beside the first column, the other two look like one column of short lines
    three = _three_columns(lines, evidenced, step, page_width)
    if three:
        return three
    return next(([(g0, g1)] for g0, g1, full_needed in evidenced
                 if _separates_columns(lines, g0, g1, step, page_width, full_needed, block_rooms[(g0, g1)])), [])


def _three_columns(lines: list[TextLine], gaps: list[tuple[float, float, int]], step: float,
                   page_width: float) -> list[tuple[float, float]]:
    """Two gaps that cut the region into three columns, each holding full lines of its own width (the
    two-column test measures two columns on one side of a gap as one wide column, so it rejects both gaps);
    in the order the gaps were tried. A table's cells fail here: some piece is two cells wide, or a stem or
    option line spans the pieces below their top."""
    x_min, right_edge = min(l.x0 for l in lines), _right_edge(lines, page_width, step)
    for index, first in enumerate(gaps):
        for second in gaps[index + 1:]:
            (a0, a1, _), (b0, b1, _) = sorted([first, second])
            pieces = ((x_min, a0), (a1, b0), (b1, right_edge))
            needed = max(first[2], second[2])
            if all(_holds_column(lines, left, right, step, needed) for left, right in pieces) and not _spanned_below_top(
                    lines, a0, b1):
                return [(a0, a1), (b0, b1)]
    return []


def _spanned_below_top(lines: list[TextLine], left: float, right: float) -> bool:
    """A line across all three pieces stands below the top of their text: the pieces are a table's cells
    between a stem and its options, not columns (which stand under the title and notices that span them)."""
    spanning = [l for l in lines if l.x0 < left and l.x1 > right]
    top = min((l.y0 for l in lines if not (l.x0 < left and l.x1 > right)), default=float("inf"))
    return any(_centre_y(l) > top for l in spanning)


def _holds_column(lines: list[TextLine], left: float, right: float, step: float, full_needed: int) -> bool:
    """The lines wholly between left and right are a column: enough of them, and full lines (at least half
    the width, not options) among them."""
    inside = [l for l in lines if l.x0 >= left - step and l.x1 <= right + step]
    room = right - left
    full = sum(1 for l in inside if l.x1 - l.x0 >= 0.5 * room and not OPTION_START.match(l.text))
    return room > 0 and len(inside) >= MIN_SIDE_LINES and full >= full_needed


CORE_TOLERANCE = 2  # lines poking into a narrow gutter that still leave it a gutter


def _contiguous_around(xs: list[float], start: float, end: float) -> list[float]:
    """The contiguous run of sampled positions (one step apart) in xs that holds [start, end]."""
    if not xs:
        return [start, end]
    step = min((b - a for a, b in zip(xs, xs[1:])), default=1.0)
    index = next((i for i, x in enumerate(xs) if x >= start), len(xs) - 1)
    lo = hi = index
    while lo > 0 and xs[lo] - xs[lo - 1] <= step * 1.01:
        lo -= 1
    while hi + 1 < len(xs) and xs[hi + 1] - xs[hi] <= step * 1.01:
        hi += 1
    return [xs[lo], max(xs[hi], end)]


def _blocks_split_at(blocks: list[Block], g0: float, g1: float) -> bool:
    """The layout model saw columns here: blocks wholly on each side, side by side, and through the
    height where both sides hold blocks, those that span the gap cover at most MAX_CROSSING_COVER of it."""
    slack = g1 - g0
    left = [b.bbox for b in blocks if b.bbox[2] <= g1 + slack]
    right = [b.bbox for b in blocks if b.bbox[0] >= g0 - slack]
    spanning = [b.bbox for b in blocks if b.bbox[0] < g0 - slack and b.bbox[2] > g1 + slack]
    return _little_crosses_body(left, right, spanning)


def _block_widths(blocks: list[Block], g0: float, g1: float) -> tuple[float, float]:
    """The widest block wholly on each side of the gap: the columns' widths as the layout model saw them."""
    slack = g1 - g0
    left = [b.bbox[2] - b.bbox[0] for b in blocks if b.bbox[2] <= g1 + slack]
    right = [b.bbox[2] - b.bbox[0] for b in blocks if b.bbox[0] >= g0 - slack]
    return max(left, default=float("inf")), max(right, default=float("inf"))


def _white_space_down(lines: list[TextLine], g0: float, g1: float) -> bool:
    """White space down the text body: through the height where lines stand on both sides of the gap,
    the lines that cross it cover at most MAX_CROSSING_COVER of it."""
    left = [l.bbox for l in lines if l.x1 <= g1]
    right = [l.bbox for l in lines if l.x0 >= g0]
    crossing = [l.bbox for l in lines if l.x0 < g0 and l.x1 > g1]
    return _little_crosses_body(left, right, crossing)


def _little_crosses_body(left: list, right: list, crossing: list) -> bool:
    if not left or not right:
        return False
    top = max(min(b[1] for b in left), min(b[1] for b in right))
    bottom = min(max(b[3] for b in left), max(b[3] for b in right))
    if bottom <= top:
        return False
    inside = [(max(b[1], top), min(b[3], bottom)) for b in crossing if b[3] > top and b[1] < bottom]
    return _cover(inside) <= MAX_CROSSING_COVER * (bottom - top)


def _cover(spans: list[tuple[float, float]]) -> float:
    """Length of the union of [y0, y1] intervals."""
    total, end = 0.0, float("-inf")
    for y0, y1 in sorted(spans):
        if y1 > end:
            total += y1 - max(y0, end)
            end = y1
    return total


def _sides(lines: list[TextLine], g0: float, g1: float, step: float) -> tuple[list[TextLine], list[TextLine]]:
    """The lines wholly left and wholly right of a gap."""
    return [l for l in lines if l.x1 <= g0 + step], [l for l in lines if l.x0 >= g1 - step]


def _both_sides_hold(lines: list[TextLine], g0: float, g1: float, step: float) -> bool:
    return all(len(side) >= MIN_SIDE_LINES for side in _sides(lines, g0, g1, step))


def _right_edge(lines: list[TextLine], page_width: float, step: float) -> float:
    """The right margin mirrors the left one: of the page, or of the region's own text on half a spread."""
    x_min, x_max = min(l.x0 for l in lines), max(l.x1 for l in lines)
    if x_min > page_width / 2:
        return x_max
    if x_max <= page_width / 2 + step:  # the left page of a spread: its margin mirrors within that page
        return page_width / 2 - x_min
    return page_width - x_min


QUESTION_START = re.compile(r"^\s*\d{1,3}\s*[.．、]\s*(?!\d)")  # "10. If…", not "3.5 分" or a date
COLUMN_WIDTH_SLACK = 0.1  # columns of one page are as wide as each other, give or take this share
OPTION_START = re.compile(r"^\s*[（(]?[A-H][)）]?\s*[.．、]")


def _separates_columns(lines: list[TextLine], g0: float, g1: float, step: float, page_width: float,
                       full_needed: int = MIN_FULL_LINES, block_rooms: tuple[float, float] | None = None) -> bool:
    """Both sides hold real text: a few full-width lines each that are not options (the B/D options
    of a single column laid out two to a row are not a column). A side is as wide as the mirrored margin
    leaves it, or narrower on evidence: the layout model's widest block there, or, on the right, the left
    column's width when the right side's text is as wide as that (the last page of a three-column paper holds
    two columns: the margin would measure the second as two columns wide)."""
    x_min = min(l.x0 for l in lines)
    left, right = _sides(lines, g0, g1, step)
    if len(left) >= MIN_SIDE_LINES and 0 < len(right) < MIN_SIDE_LINES:
        return _short_last_column(lines, left, right, g0, g1, step)
    if len(left) < MIN_SIDE_LINES or len(right) < MIN_SIDE_LINES:
        return False
    left_room, right_room = g0 - x_min, _right_edge(lines, page_width, step) - g1
    if block_rooms is not None:
        left_room, right_room = min(left_room, block_rooms[0]), min(right_room, block_rooms[1])
    if abs(max(l.x1 for l in right) - g1 - left_room) <= COLUMN_WIDTH_SLACK * left_room:
        right_room = min(right_room, left_room)  # text as wide as the left column is one column, not two

    def full_lines(side, room):  # options don't count: B/D options two to a row look like a column
        return sum(1 for l in side if l.x1 - l.x0 >= 0.5 * room and not OPTION_START.match(l.text))

    return full_lines(left, left_room) >= full_needed and full_lines(right, right_room) >= full_needed


def _short_last_column(lines: list[TextLine], left: list[TextLine], right: list[TextLine], g0: float, g1: float,
                       step: float) -> bool:
    """A last column that holds only the end of the text (a question's last rows at the top of the right
    column, the rest of it white): the left side is a full column, the few lines right of the gap stand in
    consecutive rows from the top of the left column's text, start at the gap and are no wider than the left
    column, and no line crosses the gap below their top (in one column, the stems below would)."""
    x_min = min(l.x0 for l in left)
    room, height = g0 - x_min, median_height(lines)
    full = [l for l in left if l.x1 - l.x0 >= 0.5 * room and not OPTION_START.match(l.text)]
    if len(full) < 2 * MIN_FULL_LINES:
        return False
    top = min(l.y0 for l in right)
    if top - min(l.y0 for l in left) > 1.5 * height or min(l.x0 for l in right) - g1 > 2 * height:
        return False
    if max(l.x1 for l in right) - g1 > (1 + COLUMN_WIDTH_SLACK) * room:
        return False
    rows = group_rows(right)
    if any(below[0].y0 - max(l.y1 for l in above) > 1.5 * height for above, below in zip(rows, rows[1:])):
        return False
    return not any(l.x0 < g0 and l.x1 > g1 and _centre_y(l) > top for l in lines)


def group_rows(lines: list[TextLine]) -> list[list[TextLine]]:
    """Lines whose vertical extents overlap enough form one row; rows come out top to bottom."""
    if not lines:
        return []
    tall = TALL_LINE_FACTOR * median_height(lines)
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


SIDE_MARGIN_SHARE = 0.06  # left and right bands where a binding margin (密封线, 姓名/座位号 sideways) lives


def drop_page_furniture(lines: list[TextLine], width: int, height: int) -> list[TextLine]:
    """Remove page numbers, site watermarks, short footers and binding-margin text; keep the rest."""
    return [
        line for line in lines
        if not is_page_furniture(line, lines, height) and not is_binding_margin(line, width)
    ]


REPEAT_BAND_SHARE = 0.15  # headers and footers repeat within this top/bottom share of the page
REPEAT_MIN_PAGES_SHARE = 0.4


def repeated_furniture(pages: list[tuple[list[TextLine], int]]) -> set[str]:
    """Texts (digits ignored) that stand in the top or bottom band of at least 40 % of the pages
    (and two or more): running headers and footers such as a publisher's hotline."""
    if len(pages) < 2:
        return set()
    seen: dict[str, set[int]] = {}
    for number, (lines, height) in enumerate(pages):
        for line in lines:
            # an option row ("A. √3" here, "A. √2" on the next page) or a question's first line ("10. If 8x + 17 = 89"
            # at a page's foot, "11. If 3x + 1 = 10" at the next one's head: the same without digits) is no header
            if in_repeat_band(line, height) and not OPTION_START.match(line.text) and not QUESTION_START.match(line.text):
                seen.setdefault(furniture_key(line.text), set()).add(number)
    needed = max(2, REPEAT_MIN_PAGES_SHARE * len(pages))
    keys = {key for key, where in seen.items() if len(key) >= FURNITURE_MIN_CHARS and len(where) >= needed}
    return keys | _repeated_fragments(pages, max(3, needed))


FRAGMENT_MAX_CHARS = 4


def _repeated_fragments(pages: list[tuple[list[TextLine], int]], needed: float) -> set[str]:
    """Position keys of short fragments standing at the same place in the band on most pages, whatever
    OCR read there ("9" on one page, "39" on the next): the pieces of a logo."""
    fragments = [
        (number, line) for number, (lines, height) in enumerate(pages) for line in lines
        if in_repeat_band(line, height) and len(line.text.strip()) <= FRAGMENT_MAX_CHARS
    ]
    keys = set()
    for number, line in fragments:
        pages_with_it = {other for other, candidate in fragments if box_iou(line.bbox, candidate.bbox) >= 0.5}
        if len(pages_with_it) >= needed:
            keys.add(position_key(line))
    return keys


def position_key(line: TextLine) -> str:
    return "@{:.0f},{:.0f},{:.0f},{:.0f}".format(*line.bbox)


FURNITURE_MIN_CHARS = 3  # "C." of "C. 15" and "C. 5" is an option label, not a running header


def in_repeat_band(line: TextLine, height: int) -> bool:
    """In the top or bottom band where running headers and footers stand."""
    centre = _centre_y(line)
    return not REPEAT_BAND_SHARE * height < centre < (1 - REPEAT_BAND_SHARE) * height


TITLE_MIN_CHARS = 4


def running_titles(first_page: list[TextLine], height: int) -> list[str]:
    """The paper's title lines: text in the top band of its first page. Later pages often carry the
    title as a running header ("高三年级第一次质量检测·数学"), even when only one page does."""
    # on a spread or a page whose columns start high the top band holds questions too: an option row
    # ("A. 2 B. 3 C. 4 D. 6", digits ignored) or a question's first line is no title
    return [
        key for line in first_page
        if _centre_y(line) < REPEAT_BAND_SHARE * height and len(key := furniture_key(line.text)) >= TITLE_MIN_CHARS
        and not OPTION_START.match(line.text) and not QUESTION_START.match(line.text)
    ]


def is_running_header(line: TextLine, height: int, running: set[str], titles: list[str]) -> bool:
    """A header or footer repeated across pages, or a later page's header that repeats the title."""
    if not in_repeat_band(line, height):
        return False
    key = furniture_key(line.text)
    return key in running or position_key(line) in running or any(title in key for title in titles)


def furniture_key(text: str) -> str:
    return re.sub(r"[\d\s]+", "", text)


def in_side_margin(box, width: int) -> bool:
    """The box's centre stands in the outer left or right band, where a binding margin lives."""
    centre_x = (box[0] + box[2]) / 2
    return not SIDE_MARGIN_SHARE * width < centre_x < (1 - SIDE_MARGIN_SHARE) * width


def is_binding_margin(line: TextLine, width: int) -> bool:
    """Sideways or one-character text standing in the outer side bands (装 订 线, 姓名 printed vertically)."""
    if not in_side_margin(line.bbox, width):
        return False
    sideways = line.height > 1.5 * max(line.x1 - line.x0, 1.0)
    return sideways or len(line.text.strip()) <= 2


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
