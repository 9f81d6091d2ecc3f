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
