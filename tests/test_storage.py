import socket

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from resources.storage import Option, Question, load_paper, make_engine, replace_paper


def paper_rows(n_questions, key="p1"):
    paper = {"key": key, "name": "p1.pdf", "source_path": "/drop/p1.pdf", "engine": "rapidocr"}
    pages = [{"index": 1, "source": "p1.pdf#1", "width": 100, "height": 200, "dpi": 150, "status": "ok", "error": None},
             {"index": 2, "source": "p1.pdf#2", "width": 100, "height": 200, "dpi": 150, "status": "failed",
              "error": "cannot decode page"}]
    questions = [
        {"number": str(i), "section": "一、选择题", "type": "single_choice", "score": 2.0, "stem": f"stem {i}",
         "options": [{"label": "A", "text": "a"}, {"label": "B", "text": "b"}],
         "sub_questions": [{"number": "(1)", "text": "sub"}],
         "spans": [{"page": 1, "bbox": [1, 2, 3, 4]}], "figures": [{"page": 1, "bbox": [5, 6, 7, 8], "image": None}]}
        for i in range(1, n_questions + 1)
    ]
    return paper, pages, questions


def check_replace_semantics(engine):
    replace_paper(engine, *paper_rows(3))
    replace_paper(engine, *paper_rows(2))  # re-materialising replaces, never duplicates
    replace_paper(engine, *paper_rows(1, key="other"))
    stored = load_paper(engine, "p1")
    assert [q["number"] for q in stored["questions"]] == ["1", "2"]
    assert stored["questions"][0]["options"] == [{"label": "A", "text": "a"}, {"label": "B", "text": "b"}]
    assert stored["pages"][1]["error"] == "cannot decode page"
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Question)) == 3
        assert session.scalar(select(func.count()).select_from(Option)) == 6  # old options cascaded away

    broken = paper_rows(5)
    broken[2][3]["number"] = None  # NOT NULL violation halfway through the paper
    with pytest.raises(Exception):
        replace_paper(engine, *broken)
    assert [q["number"] for q in load_paper(engine, "p1")["questions"]] == ["1", "2"]  # old rows intact


def test_sqlite_replace_is_atomic(tmp_path):
    check_replace_semantics(make_engine(f"sqlite:///{tmp_path / 'q.sqlite'}"))


def _postgres_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 5432), timeout=1).close()
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _postgres_up(), reason="no PostgreSQL on 127.0.0.1:5432 (README: 'PostgreSQL')")
def test_postgres_replace_is_atomic():
    engine = make_engine("postgresql+psycopg://postgres@127.0.0.1:5432/test")
    schema_reset = "DROP TABLE IF EXISTS figures, spans, sub_questions, options, questions, pages, papers CASCADE"
    with engine.begin() as conn:
        conn.execute(text(schema_reset))
    engine = make_engine("postgresql+psycopg://postgres@127.0.0.1:5432/test")
    try:
        check_replace_semantics(engine)
    finally:
        with engine.begin() as conn:
            conn.execute(text(schema_reset))
        engine.dispose()
