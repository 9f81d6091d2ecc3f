"""Scoring extracted questions against ground truth: text normalisation and character error rate."""

from __future__ import annotations

import re
import unicodedata

from rapidfuzz.distance import Levenshtein

SUBSCRIPTS = str.maketrans("₀₁₂₃₄₅₆₇₈₉⁰¹²³⁴⁵⁶⁷⁸⁹", "01234567890123456789")


def normalise(text: str) -> str:
    """Compare what was printed, not how it was typeset: NFKC (full/half width), sub/superscript
    digits as digits, no whitespace, no blank underlines."""
    text = unicodedata.normalize("NFKC", text).translate(SUBSCRIPTS)
    text = text.replace("_", "")
    return re.sub(r"\s+", "", text)


def cer(hypothesis: str, reference: str) -> float:
    """Character error rate of `hypothesis` against `reference`, after normalising both."""
    hyp, ref = normalise(hypothesis), normalise(reference)
    if not ref:
        return 0.0 if not hyp else 1.0
    return Levenshtein.distance(hyp, ref) / len(ref)


def line_cer(ocr_lines, gt_lines: list[dict], pad: float = 6.0) -> tuple[int, int]:
    """(edits, reference chars) of OCR text against ground-truth lines with boxes, page level.

    Each ground-truth line is compared with the OCR lines whose centres fall inside its box
    (padded), left to right, so reading order does not count as an error here.
    """
    edits = chars = 0
    for gt in gt_lines:
        x0, y0, x1, y1 = gt["bbox"]
        inside = [
            line for line in ocr_lines
            if x0 - pad <= (line.bbox[0] + line.bbox[2]) / 2 <= x1 + pad
            and y0 - pad <= (line.bbox[1] + line.bbox[3]) / 2 <= y1 + pad
        ]
        hyp = normalise("".join(line.text for line in sorted(inside, key=lambda l: l.bbox[0])))
        ref = normalise(gt["text"])
        edits += Levenshtein.distance(hyp, ref)
        chars += len(ref)
    return edits, chars
