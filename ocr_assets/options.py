"""Option labels in a line of text: A. B. C. D. in rows, or (A)(B)(C)(D)(E) run inline through the text
and wrapped over lines (Taiwan style: `…何者正確？(A)甲物質… (B)乙溶液可` / `過濾分離(C)…`).

Pure: one line and the label due next in, the labels that open options out. A line can hold several
readings ("圖(A)為甲，何者正確？(A)甲 (B)乙"); the one with most labels, then the best placed, wins.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

OPTION_LABELS = "ABCDEFGH"
# A, A., A．, A、 or (A) / （A） / （Ａ）; where it may stand is decided below. A traditional-Chinese font
# centres the full-width "．", and OCR reads "A．" printed in it as "A·".
OPTION_LABEL = re.compile(
    rf"[（(]\s*([{OPTION_LABELS}Ａ-Ｈ])\s*[)）]|([{OPTION_LABELS}{OPTION_LABELS.lower()}])\s*([.．、·•])"
)
GLUED_RUN = 2  # a first (A) glued to a word opens options only when (B) follows it in the line
STRONG, WEAK = 2, 1  # how well a label is placed: after a space or a mark, or glued to a word
CLOSING_MARKS = "）)？?：:。；;」』"  # what a stem ends with before its options run on in the same line
# "A NaCl  B. KNO3": a first label typed without its mark (OCR drops the space: "ANaCl"); it
# counts only where B. follows it. Not before an English word ("An apple", "As"), a word that joins two
# named things ("A和B", "A与B", "A、B") or a mark; "Ac>b>a" is option A "c>b>a".
BARE_FIRST_LABEL = re.compile(r"\s*(A)(?![a-z]+(?:\s|$)|[.．、·•)）和与及或,，])\s*(?=\S)")


def next_label(label: str) -> str:
    position = OPTION_LABELS.index(label) + 1
    return OPTION_LABELS[position] if position < len(OPTION_LABELS) else ""


@dataclass(frozen=True)
class _Candidate:
    start: int
    end: int
    label: str  # upper case
    bracketed: bool  # (A) rather than A.
    lower: bool  # OCR read "C." as "c."
    at_line_start: bool
    before: str  # the character before it ("" at the start)
    names_things: bool  # "A、B两种物质": a list of things, not options


def _candidates(text: str) -> list[_Candidate]:
    stripped_start = len(text) - len(text.lstrip())
    found = []
    for match in OPTION_LABEL.finditer(text):
        raw = match.group(1) or match.group(2)
        if match.group(3) in ("·", "•") and raw.islower():
            continue  # "a·b" is a product, not an option
        start, end = match.span()
        after = text[end:end + 1]
        found.append(_Candidate(
            start, end, unicodedata.normalize("NFKC", raw).upper(), match.group(1) is not None, raw.islower(),
            start == stripped_start, text[start - 1] if start > 0 else "",
            match.group(3) == "、" and after.isascii() and after.isupper(),
        ))
    return found


def _strength(c: _Candidate, expected: str, first: bool, glued_first: bool = False) -> int | None:
    """How well `c` serves as the label due (`expected`), as the first label of the line or a later one;
    None where it cannot be one. `glued_first`: a first (A) glued to a Chinese word may open the options
    (only taken where a long run follows it, see find_option_labels)."""
    if not expected:
        return None
    # OCR loses a label now and then (an option that is a picture); at a line start one gap is safe
    if c.label != expected and not (first and c.at_line_start and c.label == next_label(expected)):
        return None
    if c.bracketed:
        glued = c.before.isalnum()  # "圖(A)" names a panel, "P(A)" / "f(B)" is a formula
        if first and expected == "A" and glued and not c.at_line_start:
            if glued_first and not c.before.isascii():
                return WEAK  # "…之值爲(A)3 (B)6 (C)8 (D)10": the space before (A) lost by the OCR
            return None  # options open after a space or a mark ("何者正確？(A)…"), never glued to a word
        return WEAK if glued else STRONG  # glued to the text of a wrapped option: "過濾分離(C)…"
    if c.names_things:
        return None
    if c.lower:  # in a row of options after a space, or opening a line when it is exactly the option due
        # after A and B ("c.ln|x-y|>0")
        ok = (not first and c.before.isspace()) or (c.at_line_start and expected != "A")
        return STRONG if ok else None
    if first and (c.at_line_start or c.before.isspace() or c.before in CLOSING_MARKS):
        return STRONG  # "（　）A．甲 B．乙": after the answer bracket or the question mark
    if first:  # options open on a fresh start; continued, a label may be glued to the option before it
        return WEAK if expected != "A" and c.before.isalnum() else None
    # glued to a Latin word it may be a formula ("NaB."), but the label due is taken: "C. Sn=2n²-8nD. …"
    return WEAK if c.before.isascii() and c.before.isalpha() else STRONG


def _after_closing_mark(text: str, c: _Candidate) -> bool:
    """The label follows the end of a stem ("何者錯誤？ A．", "（　）A．"), spaces aside."""
    before = text[: c.start].rstrip()
    return bool(before) and before[-1] in CLOSING_MARKS


def find_option_labels(text: str, expected: str) -> list[tuple[int, int, str]]:
    """(start, end, label) of the option labels in `text`, in order from the label due; [] when the line
    holds none.

    A. labels open a line or follow a space (one in mid-line is a word like "A." in a sentence); (A) labels
    may open options in mid-line after a mark or a space, and once options are open, glued to the text of
    the option before. Where a line holds several readings the longest, then the best placed, wins."""
    candidates = _candidates(text)

    @lru_cache(maxsize=None)
    def best(index: int, due: str, first: bool, glued_first: bool) -> tuple[tuple[int, int], tuple[int, ...]]:
        chosen: tuple[tuple[int, int], tuple[int, ...]] = ((0, 0), ())
        for j in range(index, len(candidates)):
            strength = _strength(candidates[j], due, first, glued_first)
            if strength is None:
                continue
            (count, total), rest = best(j + 1, next_label(candidates[j].label), False, glued_first)
            score = (count + 1, total + strength)
            if score > chosen[0]:
                chosen = (score, (j, *rest))
        return chosen

    run = [candidates[j] for j in best(0, expected, True, False)[1]]
    glued = [candidates[j] for j in best(0, expected, True, True)[1]]
    if (len(glued) >= GLUED_RUN and len(glued) > len(run)
            and not any(c.before.isalnum() and not c.before.isascii() for c in glued[1:])):
        # (A)(B)… after a word, the later labels after a space or an option's own text ("爲(A)9 (B)8"), never
        # glued to a Chinese word as a panel named in the stem is ("圖(A)與圖(B)"): options whose opening
        # space the OCR dropped; wrapped, the run goes on in the next line
        run = glued
    if not run and expected == "A":
        return _after_bare_first_label(text)
    if len(run) == 1 and not run[0].at_line_start and not run[0].bracketed and not _after_closing_mark(text, run[0]):
        if expected == "A" or (run[0].before.isascii() and run[0].before.isalnum()):
            return []  # one A. in mid-line is a word in a sentence ("NaC." a formula), not an option row
    return [(c.start, c.end, c.label) for c in run]


def wrapped_option_run(previous: str, text: str) -> tuple[list[tuple[int, int, str]], list[tuple[int, int, str]]] | None:
    """Options opened by an (A) glued to the stem's last word in the line before (`previous`) and wrapped:
    that line ends with (A), alone or with the start of its option ("…之值爲(A)", "…則(A)f(x)在(0,π/2)單調遞"),
    or with (A)…(B)… whose space the OCR lost ("共有(A)60種(B)120"), and `text` goes on with the rest of
    that option, then the next label ("40　(B)-20　(C)…", "減　(B)…", "種 (C)240種 …"). Returns the labels
    in `previous` (from A) and in `text`; None otherwise. A label of `text` glued to a Chinese word alone
    is a panel the stem names ("如圖(A)" over "中甲與圖(B)…"), unless more labels follow it in the line."""
    found = _candidates(previous)
    run: list[_Candidate] = []
    for c in reversed(found):  # the labels ending the line: …, (A) or …, (A), (B), in order
        if not c.bracketed or (run and next_label(c.label) != run[0].label):
            break
        run.insert(0, c)
        if c.label == "A":
            break
    if not run or run[0].label != "A":
        return None
    first = run[0]
    if first.at_line_start or not previous[: first.start].strip() or (first.before.isascii() and first.before.isalnum()):
        return None  # "P(A)", "f(A)": a formula; a line opening with (A) was read as options already
    due = next_label(run[-1].label)
    labels = find_option_labels(text, due) if due else []
    if not labels or labels[0][2] != due:
        return None
    glued_to_words = [start for start, _, _ in labels if start and text[start - 1].isalnum() and not text[start - 1].isascii()]
    if glued_to_words and len(labels) < 2:
        return None
    return [(c.start, c.end, c.label) for c in run], labels


def bare_first_label(text: str) -> int | None:
    """Where the option text starts when `text` opens with a first label typed without its mark
    ("A NaCl", read "ANaCl"); None otherwise. On its own it proves nothing: the caller needs
    B. right after it (in the same line or the next box of the option row)."""
    match = BARE_FIRST_LABEL.match(text)
    return match.end() if match else None


def _after_bare_first_label(text: str) -> list[tuple[int, int, str]]:
    """"ANaCl B.KNO3 C. HCl D. KCl" in one line: a bare A, then a run of labels from B."""
    start = bare_first_label(text)
    if start is None:
        return []
    rest = find_option_labels(text[start:], "B")
    if not rest or rest[0][2] != "B" or rest[0][0] == 0 or not text[start:start + rest[0][0]].strip():
        return []
    if not text[start + rest[0][0] - 1].isspace():
        return []  # "AB." or "A甲B." glued: no evidence of a row of options
    label_at = text.index("A")
    return [(label_at, start, "A")] + [(s + start, e + start, label) for s, e, label in rest]
