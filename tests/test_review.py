from PIL import Image

from ocr_assets.frames import Frame
from ocr_assets.pipeline import question_keys
from tests.figure_crops import crop_figures
from ocr_assets.review import render_review


def question(number, box):
    return {"number": number, "section": None, "type": "single_choice", "score": None, "stem": f"题{number}",
            "options": [], "sub_questions": [], "passage": None,
            "spans": [{"page": 1, "bbox": box}], "figures": [{"page": 1, "bbox": box, "image": None}]}


def test_questions_numbered_from_1_in_each_section_keep_their_own_crops_and_cards(tmp_path):
    """A primary-school paper numbers every section from 1: each question 1 keeps its own figure
    crop, span picture and card, none overwrites another's."""
    page = Image.new("RGB", (400, 400), "white")
    page.paste((255, 0, 0), (0, 0, 200, 200))
    page.paste((0, 0, 255), (200, 200, 400, 400))
    page.save(tmp_path / "page.png")
    frame = Frame(1, "page.png", str(tmp_path / "page.png"), 400, 400, None, 1.0, None, "ok")
    questions = [question("1", [0, 0, 200, 200]), question("2", [0, 200, 200, 400]), question("1", [200, 200, 400, 400])]
    assert question_keys(questions) == ["1", "2", "1_2"]
    review = tmp_path / "review"
    crop_figures(questions, {1: frame}, review / "figures")
    first, second = questions[0]["figures"][0]["image"], questions[2]["figures"][0]["image"]
    assert first == "figures/q1-1.png" and second == "figures/q1_2-1.png"
    assert Image.open(review / first).getpixel((5, 5)) == (255, 0, 0)
    assert Image.open(review / second).getpixel((5, 5)) == (0, 0, 255)
    doc = {"paper": "p", "engine": "rapidocr", "pages": [{"index": 1, "source": "page.png", "status": "ok", "error": None}],
           "questions": questions}
    html_path, md_path = render_review(doc, [frame], review)
    page_html = html_path.read_text(encoding="utf-8")
    assert page_html.count('id="q1"') == 1 and 'id="q1_2"' in page_html
    assert sorted(p.name for p in (review / "spans").iterdir()) == ["q1-p1.jpg", "q1_2-p1.jpg", "q2-p1.jpg"]
