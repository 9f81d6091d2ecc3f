import contextlib
import socket
import uuid

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session

from resources.storage import Option, Question, load_paper, make_engine, record_paper_failure, replace_paper

POSTGRES_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def paper_rows(n_questions, key="p1"):
    paper = {"key": key, "name": "p1.pdf", "source_path": "/drop/p1.pdf", "engine": "rapidocr"}
    pages = [{"index": 1, "source": "p1.pdf#1", "width": 100, "height": 200, "dpi": 150, "status": "ok", "error": None},
             {"index": 2, "source": "p1.pdf#2", "width": 100, "height": 200, "dpi": 150, "status": "failed",
              "error": "cannot decode page"}]
    questions = [
        {"number": str(i), "section": "一、选择题", "type": "single_choice", "score": 2.0, "stem": f"stem {i}",
         "options": [{"label": "A", "text": "a"}, {"label": "B", "text": "b"}],
         "sub_questions": [{"number": "(1)", "text": "sub"}],
         "spans": [{"page": 1, "bbox": [1, 2, 3, 4]}], "figures": [{"page": 1, "bbox": [5, 6, 7, 8], "image": None}],
         "answer": "B" if i % 2 else None, "analysis": f"因为 {i}" if i % 2 else None}
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
    assert [(q["answer"], q["analysis"]) for q in stored["questions"]] == [("B", "因为 1"), (None, None)]
    assert (stored["status"], stored["error"]) == ("done", None)
    assert stored["pages"][1]["error"] == "cannot decode page"
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Question)) == 3
        assert session.scalar(select(func.count()).select_from(Option)) == 6  # old options cascaded away

    broken = paper_rows(5)
    broken[2][3]["number"] = None  # NOT NULL violation halfway through the paper
    with pytest.raises(Exception):
        replace_paper(engine, *broken)
    assert [q["number"] for q in load_paper(engine, "p1")["questions"]] == ["1", "2"]  # old rows intact


def check_failure_rows(engine):
    paper = paper_rows(3, key="bad")[0]
    replace_paper(engine, *paper_rows(3, key="bad"))
    record_paper_failure(engine, paper, "bad.pdf is encrypted: remove the password and drop it again", "bad_file")
    stored = load_paper(engine, "bad")
    assert (stored["status"], stored["error"]) == ("refused", "bad.pdf is encrypted: remove the password and drop it again")
    assert stored["pages"] == [] and stored["questions"] == []  # the earlier read's rows are replaced

    record_paper_failure(engine, paper, "engine failed to load: out of memory", "transient")
    assert load_paper(engine, "bad")["status"] == "failed"
    replace_paper(engine, *paper_rows(1, key="bad"))  # the paper is read after all: done, error cleared
    stored = load_paper(engine, "bad")
    assert (stored["status"], stored["error"], len(stored["questions"])) == ("done", None, 1)


def test_sqlite_replace_is_atomic(tmp_path):
    check_replace_semantics(make_engine(f"sqlite:///{tmp_path / 'q.sqlite'}"))


def test_sqlite_failure_rows(tmp_path):
    check_failure_rows(make_engine(f"sqlite:///{tmp_path / 'q.sqlite'}"))


def _postgres_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 5432), timeout=1).close()
        return True
    except OSError:
        return False


needs_postgres = pytest.mark.skipif(
    not _postgres_up(),
    reason=f"no PostgreSQL answers on 127.0.0.1:5432 ({POSTGRES_SERVER}); start one as the README's 'PostgreSQL' "
           "section says to run these tests",
)


@contextlib.contextmanager
def postgres_schema_url():
    """A URL whose tables land in a schema of their own, dropped afterwards: parallel runs never share tables."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{POSTGRES_SERVER}?options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@needs_postgres
def test_postgres_replace_is_atomic():
    with postgres_schema_url() as url:
        engine = make_engine(url)
        try:
            check_replace_semantics(engine)
            check_failure_rows(engine)
        finally:
            engine.dispose()
