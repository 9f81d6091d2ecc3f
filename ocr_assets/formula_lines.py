"""Formula pieces read as their own small line join the line they belong to.

The detector boxes a raised `2`, a lowered `aₙ` or an italic run between two Chinese segments apart
from its row, and a second read of uncovered ink (ocr_assets/ink.py) adds such pieces as lines of
their own. Reading order would then put them before or after their row. Here each piece is placed
inside its host line by x, so the row reads `记Sₙ为数列{aₙ}…`; a short line on a row of its own,
or an ordinary segment beside another on the same baseline, is left alone.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from typing import Sequence

from resources.engines.base import TextLine, median_height

MAX_PIECE_CHARS = 8
# Latin/Greek letters, digits, sub/superscripts and operators: what a formula run is made of
FORMULA_PIECE = re.compile(r"^[A-Za-z0-9α-ωΑ-Ω₀-₉⁰-⁹¹²³ⁿₙₐₑₒₓₖₘₚₛₜᵢⱼ⁺⁻⁼₊₋₌()\[\]{}+\-−=′'·,.<>≤≥|/√∞πΔ△∠⊥∥×÷]+$")
# an option or question label ("B.3", "12.") starts a line of its own, whatever follows it
LABEL = re.compile(r"^\s*(?:[（(]?[A-H][)）]?\s*[.．、]|\d{1,3}\s*[.．、](?!\d))")
TALL_HOST = 1.8  # a "line" taller than this many line heights is a table or a block, not a row to join
BAND = 0.45  # a piece sits within this many line heights above or below its host's box
BAND_SHARE = 0.6  # ...with at least this share of its own height
REACH = 1.5  # and at most this many line heights left or right of the host
SCRIPT_HEIGHT = 0.8  # a piece this much smaller than a line is a script (raised or lowered)
ADJACENT = 0.5  # or it touches the host's end (a word gap at most) on the same baseline
OFFSET = 0.2  # or its centre is this far (line heights) above or below its host's centre
SUBSCRIPTS = str.maketrans("0123456789+-=()naeoxkmpstij", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₙₐₑₒₓₖₘₚₛₜᵢⱼ")
SUPERSCRIPTS = str.maketrans("0123456789+-=()n", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿ")


def is_formula_text(text: str) -> bool:
    stripped = text.replace(" ", "")
    return (0 < len(stripped) <= MAX_PIECE_CHARS and bool(FORMULA_PIECE.match(stripped))
            and not LABEL.match(stripped))


def _centre_y(line: TextLine) -> float:
    return (line.y0 + line.y1) / 2


def _centre_x(line: TextLine) -> float:
    return (line.x0 + line.x1) / 2


def _band_share(piece: TextLine, host: TextLine, line_height: float) -> float:
    top, bottom = host.y0 - BAND * line_height, host.y1 + BAND * line_height
    inside = min(piece.y1, bottom) - max(piece.y0, top)
    return max(0.0, inside) / max(piece.height, 1.0)


def _x_gap(piece: TextLine, host: TextLine) -> float:
    return max(0.0, host.x0 - piece.x1, piece.x0 - host.x1)


def host_of(piece: TextLine, lines: Sequence[TextLine], line_height: float) -> TextLine | None:
    """The line a formula piece belongs to, or None when it is a line in its own right.

    A piece joins a host when it lies in the host's row band, within reach left or right, and is
    either inside the host's x-range, next to its end, smaller than a line (a script), or raised/lowered
    against it; a same-size segment further along the same baseline is ordinary text for reading order."""
    best, best_key = None, None
    for host in lines:
        if host is piece or is_formula_text(host.text) and host.height < piece.height:
            continue
        if host.height > TALL_HOST * line_height:
            continue
        if piece.x1 <= host.x0 + 0.25 * line_height and LABEL.match(host.text):
            continue  # what stands before "B." ends the option before it ("A12" | "B. 16"), not a piece of B
        if _band_share(piece, host, line_height) < BAND_SHARE:
            continue
        gap = _x_gap(piece, host)
        if gap > REACH * line_height:
            continue
        inside = gap == 0.0
        script = piece.height <= SCRIPT_HEIGHT * min(host.height, line_height * 1.2)
        offset = abs(_centre_y(piece) - _centre_y(host)) >= OFFSET * line_height
        adjacent = gap <= ADJACENT * line_height
        if not (inside or script or offset or adjacent):
            continue
        # a script between two close rows belongs to the row whose box it touches, then the nearest
        touches = min(piece.y1, host.y1) - max(piece.y0, host.y0) >= 0.25 * piece.height
        key = (not touches, gap, abs(_centre_y(piece) - _centre_y(host)))
        if best_key is None or key < best_key:
            best, best_key = host, key
    return best


def _char_width(char: str) -> float:
    return 1.0 if unicodedata.east_asian_width(char) in ("W", "F") else 0.55


def _char_centres(line: TextLine) -> list[tuple[float, str]]:
    """Each character of the line at an estimated x (wide characters take a full em, others half)."""
    widths = [_char_width(c) for c in line.text]
    total = sum(widths) or 1.0
    scale = (line.x1 - line.x0) / total
    out, x = [], line.x0
    for char, width in zip(line.text, widths):
        out.append((x + width * scale / 2, char))
        x += width * scale
    return out


def _script_text(piece: TextLine, host: TextLine, line_height: float) -> str:
    """A small lowered piece is a subscript, a small raised one a superscript (as the recogniser
    writes S₃ and x² when it reads them inside their row); other pieces keep their text."""
    text = piece.text.replace(" ", "")
    if piece.height > SCRIPT_HEIGHT * line_height:
        return text
    shift = _centre_y(piece) - _centre_y(host)
    table = SUBSCRIPTS if shift >= OFFSET * line_height else SUPERSCRIPTS if shift <= -OFFSET * line_height else None
    if table is None:
        return text
    converted = text.translate(table)
    return converted if all(c != o or not c.isalnum() for c, o in zip(converted, text)) else text


def join_formula_pieces(lines: Sequence[TextLine]) -> list[TextLine]:
    """Lines with every formula piece merged into its host line at its x position; order kept."""
    lines = list(lines)
    if len(lines) < 2:
        return lines
    line_height = median_height(lines)
    host_by_piece: dict[int, TextLine] = {}
    for piece in lines:
        if is_formula_text(piece.text):
            host = host_of(piece, lines, line_height)
            if host is not None:
                host_by_piece[id(piece)] = host
    pieces_of: dict[int, list[TextLine]] = defaultdict(list)
    absorbed: set[int] = set()
    for piece in lines:
        host, seen = host_by_piece.get(id(piece)), {id(piece)}
        while host is not None and id(host) in host_by_piece and id(host) not in seen:  # a piece of a piece
            seen.add(id(host))
            host = host_by_piece[id(host)]
        if host is None or id(host) in seen:
            continue
        pieces_of[id(host)].append(piece)
        absorbed.add(id(piece))
    if not absorbed:
        return lines
    out = []
    for line in lines:
        if id(line) in absorbed:
            continue
        pieces = pieces_of.get(id(line))
        if not pieces:
            out.append(line)
            continue
        tokens = _char_centres(line) + [(_centre_x(p), _script_text(p, line, line_height)) for p in pieces]
        text = "".join(t for _, t in sorted(tokens, key=lambda t: t[0]))
        group = [line, *pieces]
        box = (min(l.x0 for l in group), min(l.y0 for l in group), max(l.x1 for l in group), max(l.y1 for l in group))
        out.append(TextLine(text, box, min(l.confidence for l in group)))
    return out
