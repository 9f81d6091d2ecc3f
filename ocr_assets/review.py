"""The review page a teacher reads to trust or correct a paper's questions: one card per question
(number, type, score, stem, options, sub-questions, figure crops, its answer and 解析 when the paper
prints them, a picture of where it stands on the page), failed pages first. HTML and Markdown, images as files beside them."""

from __future__ import annotations

import html
from pathlib import Path

from PIL import Image

from ocr_assets.frames import Frame
from ocr_assets.pipeline import question_keys

SPAN_WIDTH = 640  # px of the span thumbnails


def _span_pictures(question: dict, key: str, frames: dict[int, Frame], opened: dict[int, Image.Image], out_dir: Path) -> list[str]:
    pictures = []
    for span in question["spans"]:
        frame = frames.get(span["page"])
        if frame is None or frame.path is None:
            continue
        if frame.index not in opened:  # each page decoded once for all the questions on it
            opened[frame.index] = Image.open(frame.path)
        x0, y0, x1, y1 = (v * frame.scale for v in span["bbox"])
        crop = opened[frame.index].crop((max(0, int(x0) - 8), max(0, int(y0) - 8), int(x1) + 8, int(y1) + 8))
        crop.thumbnail((SPAN_WIDTH, SPAN_WIDTH * 3))
        name = f"spans/q{key}-p{span['page']}.jpg"
        crop.convert("RGB").save(out_dir / name, quality=80)
        pictures.append(name)
    return pictures


MARKDOWN_MARKS = str.maketrans({"\\": "\\\\", "_": "\\_", "*": "\\*"})


def markdown_text(text: str) -> str:
    """Question text as Markdown shows it literally: an answer blank "______" is not a rule or emphasis."""
    return text.translate(MARKDOWN_MARKS)


def _text_html(text: str) -> str:
    """Question text with its Markdown tables drawn as tables."""
    out, table = [], []
    for line in text.split("\n") + [""]:
        if line.startswith("|"):
            if not set(line) <= set("|-"):
                table.append([html.escape(cell.strip()) for cell in line.strip("|").split("|")])
            continue
        if table:
            out.append("<table>" + "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in table) + "</table>")
            table = []
        if line:
            out.append(html.escape(line))
    return "<br>".join(out)


def _card_html(q: dict, key: str, spans: list[str]) -> str:
    e = html.escape
    score = f"{q['score']:g} 分" if q["score"] is not None else "no score stated"
    pages = ", ".join(str(s["page"]) for s in q["spans"])
    options = "".join(f"<li><b>{e(o['label'])}</b> {e(o['text'])}</li>" for o in q["options"])
    subs = "".join(f"<li><b>{e(s['number'])}</b> {e(s['text'])}</li>" for s in q["sub_questions"])
    figures = "".join(f'<img class="figure" src="{e(f["image"])}">' for f in q["figures"] if f.get("image"))
    pictures = "".join(f'<img class="span" src="{e(p)}">' for p in spans)
    return f"""<section class="card" id="q{e(key)}">
<header><span class="num">{e(q['number'])}</span> <span class="type">{e(q['type'])}</span>
<span class="score">{score}</span> <span class="section">{e(q['section'] or '')}</span>
<span class="pages">page {pages}</span></header>
<div class="body"><div class="text">{f'<details><summary>reading passage</summary><p>{_text_html(q["passage"])}</p></details>' if q.get("passage") else ''}
<p class="stem">{_text_html(q['stem'])}</p>
{f'<ol class="options">{options}</ol>' if options else ''}{f'<ol class="subs">{subs}</ol>' if subs else ''}
{f'<div class="figures">{figures}</div>' if figures else ''}{_answer_html(q)}</div>
<div class="on-page">{pictures}</div></div></section>"""


def _answer_html(q: dict) -> str:
    """The answer and its worked solution as printed; a teacher sees at once when none was found."""
    answer, analysis = q.get("answer"), q.get("analysis")
    if answer is None and analysis is None:
        return '<p class="answer none">answer: none printed</p>'
    shown = f'<p class="answer"><b>answer</b> {_text_html(answer)}</p>' if answer is not None else '<p class="answer none">answer: none printed</p>'
    return shown + (f'<details class="analysis" open><summary>解析</summary><p>{_text_html(analysis)}</p></details>' if analysis else "")


STYLE = """body{font-family:"Noto Sans CJK SC",sans-serif;max-width:1300px;margin:2em auto;color:#222}
.card{border:1px solid #ccc;border-radius:6px;margin:1em 0;padding:.6em 1em}
header{display:flex;gap:1em;align-items:baseline;border-bottom:1px solid #eee;padding-bottom:.3em}
.num{font-size:1.4em;font-weight:bold}.type{background:#eef;padding:0 .4em;border-radius:3px}
.score{color:#a50}.section,.pages{color:#777}.body{display:flex;gap:1.5em}.text{flex:1}
.on-page img.span{max-width:640px;border:1px solid #ddd;display:block;margin-bottom:.4em}
img.figure{max-height:220px;border:1px dashed #999;margin:.3em}ol{list-style:none;padding-left:0}
.failed{background:#fee;border:1px solid #c66;padding:.5em 1em}
table{border-collapse:collapse;margin:.4em 0}td{border:1px solid #999;padding:.2em .5em}
.answer{color:#1a6b1a;margin:.4em 0}.answer.none{color:#999;font-style:italic}.analysis{color:#335}"""


def render_review(doc: dict, frames: list[Frame], out_dir: Path) -> tuple[Path, Path]:
    """Write review.html and review.md for one paper into out_dir; returns both paths."""
    (out_dir / "spans").mkdir(parents=True, exist_ok=True)
    for stale in (out_dir / "spans").glob("*.jpg"):
        stale.unlink()
    by_index = {f.index: f for f in frames}
    cards, md = [], [f"# {doc['paper']} — {len(doc['questions'])} questions ({doc['engine']})", ""]
    failed = [p for p in doc["pages"] if p["status"] != "ok"]
    failed_html = "".join(f"<li>page {p['index']} ({html.escape(p['source'])}): {html.escape(p['error'] or '')}</li>" for p in failed)
    for p in failed:
        md.append(f"> **page {p['index']} ({p['source']}) failed:** {p['error']}")
    opened: dict[int, Image.Image] = {}
    for q, key in zip(doc["questions"], question_keys(doc["questions"])):
        spans = _span_pictures(q, key, by_index, opened, out_dir)
        cards.append(_card_html(q, key, spans))
        score = f"{q['score']:g} 分" if q["score"] is not None else "no score"
        md += ["", f"## {q['number']} · {q['type']} · {score}", ""]
        md += [f"> {markdown_text(q['passage'])}", ""] if q.get("passage") else []
        md += [markdown_text(q["stem"]).replace("\n|", "\n\n|", 1), ""]
        md += [f"- **{o['label']}** {markdown_text(o['text'])}" for o in q["options"]]
        md += [f"- **{s['number']}** {markdown_text(s['text'])}" for s in q["sub_questions"]]
        md += [f"![figure]({f['image']})" for f in q["figures"] if f.get("image")]
        md += ["", f"**answer:** {q['answer']}"] if q.get("answer") is not None else []
        md += ["", f"**解析:** {q['analysis']}"] if q.get("analysis") else []
        md += [f"![on the page]({p})" for p in spans]
    for image in opened.values():
        image.close()
    html_path, md_path = out_dir / "review.html", out_dir / "review.md"
    html_path.write_text(
        f"<!doctype html><meta charset='utf-8'><title>{html.escape(doc['paper'])}</title><style>{STYLE}</style>"
        f"<h1>{html.escape(doc['paper'])} — {len(doc['questions'])} questions</h1>"
        f"<p>{len(doc['pages'])} pages, engine {html.escape(doc['engine'])}</p>"
        + (f"<div class='failed'><b>Pages that failed</b><ul>{failed_html}</ul></div>" if failed else "")
        + "".join(cards),
        encoding="utf-8",
    )
    md_path.write_text("\n".join(md) + "\n", encoding="utf-8")
    return html_path, md_path
